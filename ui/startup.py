"""Start-up: the Qt application on a qasync event loop, the CJK font, the language, the database,
sign-in, and the main window."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

import qasync
from PySide6.QtCore import QTimer
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QMessageBox, QWidget
from sqlalchemy import select

import resources
from desktop import auth, demo, evidence_files, migrate
from desktop import folder as folder_
from desktop.migrate import MigrationError, MigrationFailed, UpgradeProgress
from desktop.models import User
from desktop.paths import (
    chosen_data_dir,
    database_path,
    default_data_dir,
    is_free_for_data,
    remember_data_dir,
)
from desktop.store import Store, open_store
from sync import revocation
from ui import app_log, i18n, wheel_guard
from ui.context import AppContext
from ui.forms import alive
from ui.gc_guard import GuiThreadCollector
from ui.ops import Progress, describe
from ui.progress import run_in_thread_with_progress, run_with_progress

log = logging.getLogger(__name__)


def _language() -> str:
    return i18n.default_language()


def load_cjk_font(app: QApplication) -> None:
    """Register the bundled CJK font and the PDF's fallback fonts (emoji, CJK Extensions A and B) and put
    them behind the default font in that order, so no Chinese name shows as boxes on a bare machine."""
    families: list[str] = []
    for parts in (resources.CJK_FONT, *(("fonts", file) for _name, file in resources.FALLBACK_FONTS)):
        font_id = QFontDatabase.addApplicationFont(str(resources.path(*parts)))
        for family in QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []:
            if family not in families:
                families.append(family)
    if families:
        font = app.font()
        font.setFamilies([font.family(), *(f for f in families if f != font.family())])
        app.setFont(font)


def data_dir(args: argparse.Namespace) -> Path | None:
    """--data-dir, else the folder last chosen in the app (never seeded with demo data: it was chosen to
    join a server), else None for the platform's default."""
    if args.data_dir is not None:
        return args.data_dir
    chosen = chosen_data_dir()
    if chosen is not None:
        args.no_demo = True
    return chosen


def open_database(args: argparse.Namespace, language: str, then: Callable[[Store | None], None]) -> None:
    """Open the store of the data folder args name and hand it to then (None once a start-up database
    problem was shown in the user's language); a database to upgrade is upgraded behind a progress window.

    A folder the server withdrew before the app could erase it (sync.revocation) is erased first; it
    then opens empty, never seeded with demo data, and its first dialog says why (``args.erased``)."""
    path = database_path(data_dir(args))
    try:
        args.erased = revocation.erase_if_requested(path)
    except OSError as exc:
        log.error("the withdrawn folder %s could not be erased: %s", path.parent, exc)
        _say_cannot_open(exc, path, None, language)
        then(None)
        return
    if args.erased:
        args.no_demo = True
    open_store_then(path, None, language, then)


def open_store_then(path: Path, parent: QWidget | None, language: str, then: Callable[[Store | None], None]) -> None:
    """Open the store at path and hand it to then, or None after saying what went wrong.

    A database at this version, or a new one, opens here and now, as fast as it can. One written by an
    older version is backed up and upgraded on a thread of its own behind a progress window, the event
    loop running: an upgrade of a large database takes minutes, and a window that froze for that long
    would look broken. The upgrade is one transaction: a process killed half-way leaves the file as it was.
    """
    try:
        plan = migrate.plan_upgrade(path)  # reads the stamp only; refuses a newer or foreign file here
    except (MigrationError, OSError) as exc:
        _say_cannot_open(exc, path, parent, language)
        then(None)
        return
    if plan is None or plan.creating:
        then(_open_store(path, parent, language))
        return
    title = QApplication.translate("startup", "Upgrading the database")
    texts = _UpgradeTexts(language)

    def job(report: Callable[[float, str], None]) -> Store:
        last: list[tuple[int, str]] = []

        def progress(now: UpgradeProgress) -> None:
            report(now.overall, texts.label(now))
            if last[-1:] != [(now.step, now.detail_en)]:  # one line a phase, for whoever runs it from a terminal
                last[:] = [(now.step, now.detail_en)]
                print(f"fieldmark: upgrading the database, step {now.step} of {now.steps}: {now.name_en}"
                      + (f": {now.detail_en}" if now.detail_en else ""), file=sys.stderr, flush=True)

        return open_store(path, progress=progress)

    def done(future: Future[Store]) -> None:
        exc = future.exception()
        if exc is None:
            then(future.result())
            return
        if not isinstance(exc, MigrationError | OSError):
            app_log.install(path.parent)
        _say_cannot_open(exc, path, parent, language)
        then(None)

    dialog = run_in_thread_with_progress(parent, title, job, done, thread_name="fieldmark-upgrade")
    dialog.setMinimumWidth(520)
    dialog.setLabelText(texts.label(migrate.UpgradeProgress(1, len(plan.steps()), *plan.steps()[0])))


class _UpgradeTexts:
    """The progress window's words, translated on the main thread once, filled in on the upgrade's."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.heading = QApplication.translate("startup", "Upgrading the database…")
        self.heading_saved = QApplication.translate("startup", "Upgrading the database (the backup is saved)…")
        self.step = QApplication.translate("startup", "Step %1 of %2: %3")
        self.wait = QApplication.translate(
            "startup", "On a large database this takes a few minutes; Fieldmark continues by itself when it is done.")

    def label(self, now: UpgradeProgress) -> str:
        step = self.step.replace("%1", str(now.step)).replace("%2", str(now.steps)).replace("%3", now.name(self.language))
        lines = [self.heading_saved if now.backed_up else self.heading, step, now.detail(self.language), self.wait]
        return "\n".join(line for line in lines if line)


def _open_store(path: Path, parent: QWidget | None, language: str) -> Store | None:
    try:
        return open_store(path)
    except (MigrationError, OSError) as exc:
        _say_cannot_open(exc, path, parent, language)
        return None


def _say_cannot_open(exc: BaseException, path: Path, parent: QWidget | None, language: str) -> None:
    title = QApplication.translate("startup", "Cannot open the database")
    if isinstance(exc, MigrationFailed):
        app_log.install(path.parent)
        log.error("the database upgrade failed: %s", exc.message_en)
        text = exc.for_window(language)
    elif isinstance(exc, MigrationError):
        text = exc.message(language)
    elif isinstance(exc, OSError):  # a folder that cannot be made or written
        text = (QApplication.translate("startup", "The data folder %1 cannot be used (%2). Choose another folder.")
                .replace("%1", str(path.parent)).replace("%2", exc.strerror or type(exc).__name__))
    else:
        text = describe(exc, language)  # logged for support staff, never shown raw
    QMessageBox.critical(parent, title, text)


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
                                 .replace("%1", describe(exc, context.language)))
        then()

    # Not cancellable: a half-loaded demo organisation would be worse than waiting a second.
    run_with_progress(context.tasks, None, QApplication.translate("startup", "Preparing the demo organisation…"),
                      job, done, cancellable=False)


class Application:
    """Ties the sign-in dialog and the main window together for one run of the app."""

    def __init__(self, app: QApplication, context: AppContext, *, screenshot: bool = False) -> None:
        self.app = app
        self.screenshot = screenshot
        self.context = context
        self.window = self._make_window(context)
        self.sign_in_dialog: QDialog | None = None

    def start(self, user: User | None = None, view: str | None = None, notice: str = "") -> None:
        if user is None:
            self.ask_sign_in(notice)
            return
        self.signed_in(user)
        if view:
            self.window.show_view(view)

    def ask_sign_in(self, notice: str = "") -> None:
        """The first dialog: sign in offline; on a folder where no one can (yet), join a server instead.
        ``notice``: what the first dialog says first (the folder was just erased)."""
        from ui.sign_in_dialog import SignInDialog

        with self.context.store.read() as session:
            nobody = not auth.users_for_sign_in(session)
        if nobody or folder_.inspect(self.context.store).kind == folder_.HALF_JOINED:
            self.ask_join(notice)
            return
        dialog = SignInDialog(self.context)
        dialog.sig_signed_in.connect(self.signed_in)
        dialog.sig_connect_requested.connect(self.ask_join)
        dialog.rejected.connect(self._sign_in_cancelled)
        self.sign_in_dialog = dialog
        dialog.show()

    def ask_join(self, notice: str = "") -> None:
        """Join the organisation's server from this folder; its first pull ends on the user's workbench."""
        from ui.dialogs.server_dialog import ServerDialog

        dialog = ServerDialog(self.context, first=True)
        if notice:
            dialog.show_notice(notice)
        dialog.sig_joined.connect(self.signed_in)
        dialog.sig_new_folder_requested.connect(lambda: self.choose_new_folder(dialog))
        dialog.rejected.connect(self._sign_in_cancelled)
        self.sign_in_dialog = dialog
        dialog.show()

    def choose_new_folder(self, parent: QWidget | None = None) -> None:
        """Ask for a new, empty data folder and open it here (remembered for the next start)."""
        # The folder dialog can only choose a folder that exists: an empty one beside the default is
        # made to be offered, and removed again if it is not chosen.
        offered = _free_folder(default_data_dir().with_name("Fieldmark-server"))
        suggested = str(offered) if offered is not None else str(Path.home())
        title = QApplication.translate("startup", "Choose a new, empty folder for this computer's data")
        while True:
            chosen = QFileDialog.getExistingDirectory(parent, title, suggested)
            if offered is not None and (not chosen or Path(chosen) != offered):
                _remove_if_empty(offered)
            if not chosen:
                return
            if is_free_for_data(Path(chosen)):
                break
            QMessageBox.information(parent, title, QApplication.translate(
                "startup", "The folder %1 already holds other files. Choose an empty folder, or make a new one "
                "with the dialog's “Create Folder” button.").replace("%1", chosen))
            suggested = chosen
        self.open_folder(Path(chosen))

    def open_folder(self, folder: Path) -> bool:
        """Close this folder and open another in the same window; then its first dialog. False when
        nothing is to change; a folder whose database needs upgrading opens once the upgrade is done."""
        parent = self.sign_in_dialog if self.sign_in_dialog is not None and alive(self.sign_in_dialog) else None
        if database_path(folder).resolve() == self.context.store.path.resolve():
            return False  # the folder open now: nothing to change
        if self.window.isVisible() and not self.window.may_discard_unsaved():
            return False  # a form with unsaved input stays open; the user decides first
        open_store_then(database_path(folder), parent, self.context.language, lambda store: self._opened(folder, store))
        return True

    def _opened(self, folder: Path, store: Store | None) -> None:
        if store is not None:
            self._switch_to(folder, store)
        else:  # the other folder's problem went to its own log; this folder's log goes on here
            app_log.install(self.context.store.path.parent)

    def _switch_to(self, folder: Path, store: Store) -> None:
        app_log.install(store.path.parent)
        old = self._close_folder()
        self._use(store, old)
        remember_data_dir(folder)
        self.ask_sign_in()

    def _close_folder(self) -> AppContext:
        """Close the dialogs, the window, the threads and the store of the folder open now; its context."""
        old, window = self.context, self.window
        for dialog in (self.sign_in_dialog, getattr(window, "server_dialog", None)):
            if dialog is not None and alive(dialog):
                dialog.blockSignals(True)  # closing it is not cancelling the app
                dialog.close()
        self.sign_in_dialog = None
        window.save_state()
        window.hide()
        old.set_user(None)
        old.sync.stop()
        old.sync.cancel()
        old.tasks.shutdown()
        old.store.close()
        window.deleteLater()
        return old

    def _use(self, store: Store, old: AppContext) -> None:
        context = AppContext(store, old.language)
        context.sync_client_options = old.sync_client_options
        self.context = context
        self.window = self._make_window(context)

    def device_withdrawn(self, context: AppContext) -> None:
        """The server withdrew this device (a lost laptop): close the folder, erase its data and token
        (sync.revocation), and start again from the first dialog of the now empty folder, which says so.

        Whatever was open goes, unsaved forms included: the administrator decided that nothing of the
        organisation's may stay on this computer."""
        if context is not self.context:
            return  # a folder closed already (a second run that heard the same answer)
        path = self.context.store.path
        device_id, _code = self.context.store.device()
        tokens = getattr(self.context.sync_client, "token_store", None)
        old = self._close_folder()
        try:
            revocation.erase(path.parent, device_id, tokens, db_name=path.name)
        except OSError as exc:  # the mark stays: the next start erases before opening anything
            log.error("the withdrawn folder %s could not be erased now: %s", path.parent, exc)
        store = _open_store(path, None, old.language)
        if store is None:
            self.app.quit()
            return
        self._use(store, old)
        self.ask_sign_in(revocation.erased_message(old.language))

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

    def _make_window(self, context: AppContext):
        from ui.main_window import MainWindow

        # A screenshot shows the window as a new user sees it, whatever this machine remembers.
        window = MainWindow(context, restore_layout=not self.screenshot)
        if self.screenshot:
            window.resize(1280, 800)
        window.sig_sign_out_requested.connect(self.sign_out)
        # Out of the signal's own call chain: the folder's threads are shut down from there.
        context.sync.sig_device_revoked.connect(lambda: QTimer.singleShot(0, lambda: self.device_withdrawn(context)))
        window.sig_new_folder_requested.connect(lambda: self.choose_new_folder(window.server_dialog or window))
        return window


def _free_folder(base: Path) -> Path | None:
    """An empty folder named after base (base, base-2, ...), made now; None when none can be made."""
    for n in range(1, 100):
        folder = base if n == 1 else base.with_name(f"{base.name}-{n}")
        try:
            folder.mkdir(parents=True)
            return folder
        except FileExistsError:
            if folder.is_dir() and not any(folder.iterdir()):
                return folder
        except OSError:
            return None
    return None


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()  # only an empty folder goes
    except OSError:
        pass


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


SWEEP_AFTER_MS = 20_000  # once the window has settled: the sweep waits behind the first screens' reads


def sweep_unused_files(context: AppContext) -> None:
    """Remove evidence files nothing names any more (desktop.evidence_files.sweep), on the database
    thread, so it never runs beside an attachment being added."""
    def done(future: Future[evidence_files.Swept]) -> None:
        exc = future.exception()
        if exc is not None:  # a file that could not be removed stays; the next start tries again
            print(f"evidence files were not swept: {exc}", file=sys.stderr)

    context.tasks.run_db(evidence_files.sweep, done, writes=False)


def run(args: argparse.Namespace) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Fieldmark")
    app.setOrganizationName("Fieldmark")
    GuiThreadCollector(app)
    load_cjk_font(app)
    wheel_guard.install(app)
    language = args.lang or _language()
    i18n.install(app, language)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    closing = asyncio.Event()
    app.aboutToQuit.connect(closing.set)
    exit_code = [0]
    running: list[Application] = []

    def opened(store: Store | None) -> None:
        if store is None:
            exit_code[0] = 1
            app.quit()
            return
        running.append(launch(app, args, store, language, exit_code))

    # Opened inside the event loop: an upgrade then runs behind a live progress window.
    QTimer.singleShot(0, lambda: open_database(args, language, opened))
    with loop:
        loop.run_until_complete(closing.wait())
    for application in running:
        application.window.save_state()
        application.context.tasks.shutdown()
        application.context.store.close()  # another folder's, when the user chose a new one
    return exit_code[0]


def launch(app: QApplication, args: argparse.Namespace, store: Store, language: str,
           exit_code: list[int]) -> Application:
    """The open store's first dialog (after the demo organisation on a new database) and main window."""
    app_log.install(store.path.parent)
    context = AppContext(store, language)
    application = Application(app, context, screenshot=args.screenshot is not None)

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
        notice = revocation.erased_message(language) if getattr(args, "erased", False) else ""
        application.start(user, args.view, notice)
        freeze_long_lived_objects()
        if args.screenshot is not None:
            QTimer.singleShot(500, lambda: _screenshot(application, args.screenshot))
        else:
            QTimer.singleShot(SWEEP_AFTER_MS, lambda: sweep_unused_files(context))

    if args.no_demo:
        start()
    else:
        seed_if_new(context, start)
    return application
