"""The main window: a navigation frame whose entries depend on the signed-in user's role."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QEvent, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QWidget,
)

from desktop import touchpoint_import
from ui import i18n
from ui.context import AppContext
from ui.forms import alive, open_form
from ui.labels import role_name
from ui.status_bar import StatusBar
from ui.workbench import Entry, entries_for


class MainWindow(QMainWindow):
    """Navigation on the left, the chosen page on the right, the status bar below."""

    sig_sign_out_requested = Signal()
    """The user asked to sign out (or to switch user); the application shows the sign-in dialog."""
    sig_new_folder_requested = Signal()
    """The connect dialog asked for a new, empty data folder (this one cannot join a server)."""

    def __init__(self, context: AppContext, *, restore_layout: bool = True) -> None:
        super().__init__()
        self.context = context
        self.entries: list[Entry] = []
        self.pages: dict[str, QWidget] = {}
        self._page_row = -1
        self.nav = QListWidget()
        self.nav.setMinimumWidth(160)
        self.stack = QStackedWidget()
        self.empty = QLabel()
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack.addWidget(self.empty)
        self.splitter = QSplitter()
        self.splitter.addWidget(self.nav)
        self.splitter.addWidget(self.stack)
        self.splitter.setStretchFactor(1, 1)
        self.setCentralWidget(self.splitter)
        self.status = StatusBar(context, self)
        self.setStatusBar(self.status)
        self.status.sig_sign_in_requested.connect(self.open_server_dialog)
        self.server_dialog: QWidget | None = None
        context.sync.sig_sign_in_required.connect(self.open_server_dialog)
        context.sync.sig_changed.connect(self._update_sync_action)
        self.nav.currentRowChanged.connect(self._on_nav)
        self.nav.itemClicked.connect(self._on_item_clicked)
        self._build_menu()
        self.resize(1200, 760)
        settings = context.settings()
        geometry = settings.value("window/geometry") if restore_layout else None
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        splitter = settings.value("window/splitter") if restore_layout else None
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)
        else:
            self.splitter.setSizes([180, 1020])
        context.sig_user_changed.connect(self._on_user_changed)
        self.retranslate()
        context.sync.refresh()  # is a server configured? (enables Sync now)

    # ---- Public API

    def current_key(self) -> str | None:
        row = self.nav.currentRow()
        return self.entries[row].key if 0 <= row < len(self.entries) else None

    def show_view(self, key: str) -> bool:
        """Go to the entry with this key; False when the role has no such (enabled) entry."""
        for row, entry in enumerate(self.entries):
            if entry.key == key and entry.page is not None and entry.disabled_reason is None:
                self.nav.setCurrentRow(row)
                return True
        return False

    def open_action(self, action: str) -> QWidget | None:
        """Open the dialog an action entry stands for; returns it (for tests)."""
        if action == "log_touchpoint":
            from ui.dialogs.touchpoint_dialog import TouchpointDialog

            return open_form(TouchpointDialog(self.context, self))
        if action == "record_visit":
            from ui.dialogs.visit_dialog import VisitDialog

            return open_form(VisitDialog(self.context, self))
        return None

    def retranslate(self) -> None:
        self.setWindowTitle(self.tr("Fieldmark"))
        self.sign_out_action.setText(self.tr("Sign out"))
        self.switch_action.setText(self.tr("Switch user…"))
        self.connect_action.setText(self.tr("Connect to server…"))
        self.sync_action.setText(self.tr("Sync now"))
        self.import_action.setText(self.tr("Import touchpoints from CSV…"))
        self.quit_action.setText(self.tr("Quit"))
        self.file_menu.setTitle(self.tr("&Fieldmark"))
        self.language_menu.setTitle(self.tr("&Language"))
        self.empty.setText(self.tr("Choose an entry on the left."))
        self.status.retranslate()
        for row, entry in enumerate(self.entries):
            item = self.nav.item(row)
            item.setText(entry.title())
            if entry.disabled_reason is not None:
                item.setToolTip(entry.disabled_reason())
        user = self.context.user
        if user is not None:
            self.setWindowTitle(self.tr("Fieldmark — %1 (%2)").replace("%1", user.display_name)
                                .replace("%2", role_name(user.role)))

    def save_state(self) -> None:
        settings = self.context.settings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/splitter", self.splitter.saveState())
        if self.context.user is not None and self.current_key():
            settings.setValue(f"window/last_view/{self.context.user.username}", self.current_key())

    # ---- Qt events

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt's name)
        if event.type() == QEvent.Type.LanguageChange:
            self._rebuild_pages()
            self.retranslate()
        super().changeEvent(event)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if not self.may_discard_unsaved():
            event.ignore()
            return
        self.save_state()
        self.context.sync.stop()
        self.context.sync.cancel()  # a sync under way stops at its next safe point; what it did is kept
        super().closeEvent(event)

    # ---- Private API

    def _build_menu(self) -> None:
        self.file_menu = self.menuBar().addMenu("")
        self.switch_action = QAction(self)
        self.switch_action.triggered.connect(self._sign_out)
        self.sign_out_action = QAction(self)
        self.sign_out_action.triggered.connect(self._sign_out)
        self.connect_action = QAction(self)
        self.connect_action.triggered.connect(lambda _checked=False: self.open_server_dialog())
        self.sync_action = QAction(self)
        self.sync_action.triggered.connect(self.sync_now)
        self.quit_action = QAction(self)
        self.quit_action.triggered.connect(self.close)
        self.import_action = QAction(self)
        self.import_action.triggered.connect(lambda _checked=False: self.open_import_dialog())
        self.import_action.setVisible(False)
        self.language_menu = self.menuBar().addMenu("")
        group = QActionGroup(self)
        self.language_actions: dict[str, QAction] = {}
        for code, name in i18n.LANGUAGES.items():
            action = QAction(name, self, checkable=True)
            action.setChecked(code == self.context.language)
            action.triggered.connect(lambda _checked=False, c=code: self.set_language(c))
            group.addAction(action)
            self.language_menu.addAction(action)
            self.language_actions[code] = action
        self.file_menu.addAction(self.connect_action)
        self.file_menu.addAction(self.sync_action)
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.import_action)
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.switch_action)
        self.file_menu.addAction(self.sign_out_action)
        self.file_menu.addSeparator()
        self.file_menu.addAction(self.quit_action)
        self._update_sync_action()

    def open_server_dialog(self, reason: str = "") -> QWidget:
        """The connect dialog (one at a time); ``reason`` says why signing in again is needed."""
        from ui.dialogs.server_dialog import ServerDialog

        if self.server_dialog is not None and alive(self.server_dialog) and self.server_dialog.isVisible():
            if reason:
                self.server_dialog.show_reason(reason)
            self.server_dialog.raise_()
            self.server_dialog.activateWindow()
            return self.server_dialog
        dialog = ServerDialog(self.context, self, reason=reason or None)
        dialog.sig_new_folder_requested.connect(self.sig_new_folder_requested)
        self.server_dialog = open_form(dialog)
        return self.server_dialog

    def open_import_dialog(self) -> QWidget:
        """Import touchpoints from a CSV file (shown to roles that log touchpoints)."""
        from ui.dialogs.import_dialog import ImportDialog

        return open_form(ImportDialog(self.context, self))

    def sync_now(self) -> bool:
        """Push and pull on the network thread (or join the sync under way); False when no server is known."""
        return self.context.sync.sync_now()

    def _update_sync_action(self) -> None:
        # The server URL as the sync controller last read it (on the database thread): no read here.
        self.sync_action.setEnabled(bool(self.context.sync.server_url))

    def unsaved(self) -> list[str]:
        """The titles of the pages holding edits not saved yet (a page says so with ``is_dirty``)."""
        titles = {e.key: e.title() for e in self.entries}
        return [titles.get(key, key) for key, page in self.pages.items() if alive(page) and getattr(page, "is_dirty", False)]

    def may_discard_unsaved(self) -> bool:
        """Before the pages are dropped (closing, signing out, another language): True when nothing is
        unsaved or the user agrees to discard it."""
        pages = self.unsaved()
        if not pages:
            return True
        answer = QMessageBox.question(
            self, self.tr("Unsaved changes"),
            self.tr("Changes on “%1” are not saved yet. Discard them?").replace("%1", "”, “".join(pages)),
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Discard

    def set_language(self, code: str) -> None:
        """Switch language now and remember it (after asking about unsaved edits: the pages are rebuilt)."""
        if code != self.context.language and not self.may_discard_unsaved():
            self.language_actions[self.context.language].setChecked(True)
            return
        self.context.language = code
        self.context.settings().setValue(i18n.SETTING, code)
        self.language_actions[code].setChecked(True)
        i18n.install(QApplication.instance(), code)

    def _sign_out(self) -> None:
        if not self.may_discard_unsaved():
            return
        self.save_state()
        self.sig_sign_out_requested.emit()

    def _on_user_changed(self, user) -> None:
        self.nav.blockSignals(True)
        self.nav.clear()
        self._page_row = -1
        self.entries = entries_for(user.role) if user is not None else []
        self.import_action.setVisible(touchpoint_import.may_import(user))
        for entry in self.entries:
            item = QListWidgetItem(entry.title())
            if entry.disabled_reason is not None:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
                item.setToolTip(entry.disabled_reason())
            self.nav.addItem(item)
        self.nav.blockSignals(False)
        # After the entries were replaced (no row is current): the previous user's page is dropped,
        # not built again for the new user (or for no one, after signing out).
        self._rebuild_pages()
        self.retranslate()
        if user is None:
            self.context.sync.stop()
            return
        self.context.sync.start()
        last = self.context.settings().value(f"window/last_view/{user.username}", "")
        if not (last and self.show_view(str(last))):
            home = next((e.key for e in self.entries if e.page is not None and e.disabled_reason is None), None)
            if home:
                self.show_view(home)

    def _on_nav(self, row: int) -> None:
        if not 0 <= row < len(self.entries):
            self.stack.setCurrentWidget(self.empty)
            return
        entry = self.entries[row]
        if entry.page is None:  # an action: it opens on click; the page on show stays selected
            self.nav.blockSignals(True)
            self.nav.setCurrentRow(self._page_row)
            self.nav.blockSignals(False)
            return
        self._page_row = row
        page = self.pages.get(entry.key)
        if page is None:
            page = entry.page(self.context)
            self.pages[entry.key] = page
            self.stack.addWidget(page)
        self.stack.setCurrentWidget(page)

    def _on_item_clicked(self, item: QListWidgetItem) -> None:
        entry = self.entries[self.nav.row(item)]
        if entry.action is not None:
            self.open_action(entry.action)

    def _rebuild_pages(self) -> None:
        """Drop the built pages (after a user or language change); the current one is rebuilt at once."""
        for page in self.pages.values():
            self.stack.removeWidget(page)
            page.deleteLater()
        self.pages.clear()
        self._on_nav(self.nav.currentRow())
