"""Start-up: the Qt application, the CJK font, opening (and if need be migrating) the database."""

from __future__ import annotations

import argparse
import sys

from PySide6.QtCore import QLocale, QTimer
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QApplication, QMessageBox

import resources
from desktop import demo
from desktop.migrate import MigrationError
from desktop.paths import database_path
from desktop.store import Store, open_store


def _language() -> str:
    return QLocale.system().name()


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
        store = open_store(path)
    except MigrationError as exc:
        QMessageBox.critical(None, QApplication.translate("startup", "Cannot open the database"),
                             exc.message(_language()))
        return None
    if not args.no_demo and demo.is_empty(store):
        demo.seed_demo(store)
    return store


def run(args: argparse.Namespace) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Fieldmark")
    app.setOrganizationName("Fieldmark")
    load_cjk_font(app)
    store = open_database(args)
    if store is None:
        return 1
    from ui.main_window import MainWindow

    window = MainWindow(store)
    window.show()
    if args.screenshot is not None:
        def shoot() -> None:
            window.grab().save(str(args.screenshot))
            app.quit()

        QTimer.singleShot(300, shoot)
    code = app.exec()
    store.close()
    return code
