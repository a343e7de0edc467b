"""Start-up: the Qt application on a qasync event loop, the CJK font, the language, the database,
sign-in, and the main window."""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
from collections.abc import Callable
from concurrent.futures import Future

import qasync
from PySide6.QtCore import QTimer
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QApplication, QMessageBox
from sqlalchemy import select

import resources
from desktop import demo
from desktop.migrate import MigrationError
from desktop.models import User
from desktop.paths import database_path
from desktop.store import Store, open_store
from ui import i18n, wheel_guard
from ui.context import AppContext
from ui.ops import Progress
from ui.progress import run_with_progress


def _language() -> str:
    return i18n.default_language()


def load_cjk_font(app: QApplication) -> None:
    """Register the bundled CJK font and put it behind the default font, so Chinese never shows as boxes."""
    font_id = QFontDatabase.addApplicationFont(str(resources.path(*resources.CJK_FONT)))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if families:
        font = app.font()
        font.setFamilies([font.family(), *families])
        app.setFont(font)


def open_database(args: argparse.Namespace) -> Store | None:
    """Open the store; on a start-up database problem, say what happened in the user's language."""
    path = database_path(args.data_dir)
    try:
        return open_store(path)
    except MigrationError as exc:
        QMessageBox.critical(None, QApplication.translate("startup", "Cannot open the database"),
                             exc.message(_language()))
        return None


def seed_if_new(context: AppContext, then: Callable[[], None]) -> None:
    """On a new, empty database, load the demo organisation behind a progress dialog; then continue."""
    if not demo.is_empty(context.store):
        then()
        return

    def job(store: Store, progress: Progress) -> demo.Summary:
        return demo.seed_demo(store, progress=lambda fraction, what: progress.set(fraction, ""))

    def done(future: Future[demo.Summary]) -> None:
        exc = future.exception()
        if exc is not None:
            QMessageBox.critical(None, QApplication.translate("startup", "Demo data"),
                                 QApplication.translate("startup", "The demo data could not be loaded: %1")
                                 .replace("%1", str(exc)))
        then()

    # Not cancellable: a half-loaded demo organisation would be worse than waiting a second.
    run_with_progress(context.tasks, None, QApplication.translate("startup", "Preparing the demo organisation…"),
                      job, done, cancellable=False)


class Application:
    """Ties the sign-in dialog and the main window together for one run of the app."""

    def __init__(self, app: QApplication, context: AppContext, *, screenshot: bool = False) -> None:
        from ui.main_window import MainWindow

        self.app = app
        self.context = context
        # A screenshot shows the window as a new user sees it, whatever this machine remembers.
        self.window = MainWindow(context, restore_layout=not screenshot)
        if screenshot:
            self.window.resize(1280, 800)
        self.window.sig_sign_out_requested.connect(self.sign_out)
        self.sign_in_dialog = None

    def start(self, user: User | None = None, view: str | None = None) -> None:
        if user is None:
            self.ask_sign_in()
            return
        self.signed_in(user)
        if view:
            self.window.show_view(view)

    def ask_sign_in(self) -> None:
        from ui.sign_in_dialog import SignInDialog

        self.sign_in_dialog = SignInDialog(self.context)
        self.sign_in_dialog.sig_signed_in.connect(self.signed_in)
        self.sign_in_dialog.rejected.connect(self._sign_in_cancelled)
        self.sign_in_dialog.show()

    def signed_in(self, user: User) -> None:
        self.context.set_user(user)
        self.window.show()

    def sign_out(self) -> None:
        self.window.hide()
        self.context.set_user(None)
        self.ask_sign_in()

    def _sign_in_cancelled(self) -> None:
        if self.context.user is None:
            self.app.quit()


def _screenshot(application: Application, target, attempts: int = 100) -> None:
    """Wait until the database thread is idle, then grab the window and quit."""
    if application.context.tasks.pending and attempts:
        QTimer.singleShot(100, lambda: _screenshot(application, target, attempts - 1))
        return
    window = application.window if application.window.isVisible() else application.sign_in_dialog
    window.grab().save(str(target))
    application.app.quit()


def freeze_long_lived_objects() -> None:
    """Once the window stands: what exists now (Qt bindings, the ORM's mappings, the modules) lives as
    long as the app, so the garbage collector stops scanning it (gc.freeze). Its full collections then
    cost what the current work allocates, not the whole heap: the approvals inbox over 10,000 quotes
    opens about a fifth faster (docs/PERFORMANCE.md). Objects are still freed as usual."""
    gc.collect()
    gc.freeze()


def run(args: argparse.Namespace) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Fieldmark")
    app.setOrganizationName("Fieldmark")
    load_cjk_font(app)
    wheel_guard.install(app)
    language = args.lang or _language()
    i18n.install(app, language)
    store = open_database(args)
    if store is None:
        return 1
    context = AppContext(store, language)
    application = Application(app, context, screenshot=args.screenshot is not None)
    exit_code = [0]

    def start() -> None:
        user = None
        if args.screenshot is not None and args.user:
            with store.read() as session:
                user = session.scalars(select(User).where(User.username == args.user)).first()
            if user is None:
                print(f"no user {args.user!r} in {store.path}", file=sys.stderr)
                exit_code[0] = 2
                app.quit()
                return
        application.start(user, args.view)
        freeze_long_lived_objects()
        if args.screenshot is not None:
            QTimer.singleShot(500, lambda: _screenshot(application, args.screenshot))

    if args.no_demo:
        QTimer.singleShot(0, start)
    else:
        QTimer.singleShot(0, lambda: seed_if_new(context, start))

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    closing = asyncio.Event()
    app.aboutToQuit.connect(closing.set)
    with loop:
        loop.run_until_complete(closing.wait())
    application.window.save_state()
    context.tasks.shutdown()
    store.close()
    return exit_code[0]
