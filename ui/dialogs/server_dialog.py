"""Connect this computer to a Fieldmark server: sign in there, then sync once (on the network thread)."""

from __future__ import annotations

import socket
from concurrent.futures import Future

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout

from desktop import remote
from sync.client import SyncError
from ui.context import AppContext
from ui.forms import ERROR_COLOR, alive
from ui.sync_actions import client_for, run_sync


class ServerDialog(QDialog):
    def __init__(self, context: AppContext, parent=None) -> None:
        super().__init__(parent)
        self.context = context
        self.setWindowTitle(self.tr("Connect to server"))
        state = remote.read_state(context.store)
        self.url_edit = QLineEdit(state.server_url or "")
        self.url_edit.setPlaceholderText("https://fieldmark.example.com")
        self.username_edit = QLineEdit(context.user.username if context.user is not None else "")
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(f"color: {ERROR_COLOR};")
        self.error_label.hide()
        form = QFormLayout()
        form.addRow(self.tr("Server address"), self.url_edit)
        form.addRow(self.tr("User name"), self.username_edit)
        form.addRow(self.tr("Password"), self.password_edit)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.connect_button = self.buttons.addButton(self.tr("Connect"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.error_label)
        layout.addLayout(form)
        layout.addWidget(self.buttons)

    def submit(self) -> None:
        url, username, password = self.url_edit.text().strip(), self.username_edit.text().strip(), self.password_edit.text()
        if not url or not username or not password:
            self._show_error(self.tr("Enter the server address, your user name and your password."))
            return
        if "://" not in url:
            url = "https://" + url
        client = client_for(self.context, url)
        assert client is not None
        self.buttons.setEnabled(False)
        self.error_label.hide()
        device_name = socket.gethostname() or "Fieldmark"

        def job(c):
            c.sign_in(username, password, device_name)
            return c.sync()

        run_sync(self.context, job, client, self._done)

    def _done(self, future: Future) -> None:
        if not alive(self):
            return
        self.buttons.setEnabled(True)
        exc = future.exception()
        if exc is None:
            self.accept()
        elif isinstance(exc, SyncError):
            self._show_error(exc.message(self.context.language))
        else:
            self._show_error(self.tr("Could not connect: %1").replace("%1", str(exc)))

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()
