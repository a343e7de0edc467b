"""Connect this computer to a Fieldmark server: sign in there, then sync once (on the network thread).

Also the way back after the server stopped accepting this device's sign-in: opened with the reason,
the server address and the user name already filled in.
"""

from __future__ import annotations

import socket

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout
from sqlalchemy import select

from desktop import remote
from desktop.models import User
from desktop.store import Store
from sync.client import SyncError
from ui.context import AppContext
from ui.forms import ERROR_COLOR, alive
from ui.ops import QueryOp
from ui.sync_actions import Finished


class ServerDialog(QDialog):
    def __init__(self, context: AppContext, parent=None, reason: str | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setWindowTitle(self.tr("Connect to server"))
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("https://fieldmark.example.com")
        self.username_edit = QLineEdit(context.user.username if context.user is not None else "")
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.reason_label = QLabel()
        self.reason_label.setWordWrap(True)
        self.reason_label.hide()
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(f"color: {ERROR_COLOR};")
        self.error_label.hide()
        form = QFormLayout()
        form.addRow(self.tr("Server address"), self.url_edit)
        form.addRow(self.tr("User name"), self.username_edit)
        form.addRow(self.tr("Password"), self.password_edit)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Cancel"))
        self.connect_button = self.buttons.addButton(self.tr("Connect"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.reason_label)
        layout.addWidget(self.error_label)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        if reason:
            self.show_reason(reason)
        QueryOp(context.tasks, _known).success(self._on_known).failure(lambda _exc: None).run()

    def show_reason(self, reason: str) -> None:
        """Why the user is asked to sign in again (the server's words)."""
        self.reason_label.setText(self.tr("Sign in again to go on syncing: %1").replace("%1", reason))
        self.reason_label.show()
        self.password_edit.setFocus()

    def submit(self) -> None:
        url, username, password = self.url_edit.text().strip(), self.username_edit.text().strip(), self.password_edit.text()
        if not url or not username or not password:
            self._show_error(self.tr("Enter the server address, your user name and your password."))
            return
        if "://" not in url:
            url = "https://" + url
        self.buttons.setEnabled(False)
        self.error_label.hide()
        device_name = socket.gethostname() or "Fieldmark"

        def job(client, progress):
            client.sign_in(username, password, device_name)
            return client.sync(progress)

        self.context.sync.run_job(job, url, self._done)

    # ---- Private API

    def _on_known(self, known: tuple[str, str]) -> None:
        """Fill in what this computer already knows, unless the user has typed there meanwhile."""
        if not alive(self):
            return
        url, username = known
        if url and not self.url_edit.text():
            self.url_edit.setText(url)
        if username and (not self.username_edit.text() or not self.username_edit.isModified()):
            self.username_edit.setText(username)
        if self.url_edit.text() and self.username_edit.text():
            self.password_edit.setFocus()

    def _done(self, finished: Finished) -> None:
        if not alive(self):
            return
        self.buttons.setEnabled(True)
        exc = finished.error
        if exc is None:
            self.accept()
        elif isinstance(exc, SyncError):
            self._show_error(exc.message(self.context.language))
        else:
            self._show_error(self.tr("Could not connect: %1").replace("%1", str(exc)))

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()


def _known(store: Store) -> tuple[str, str]:
    """The server address and the server user name this computer last signed in with (database thread)."""
    state = remote.read_state(store)
    username = ""
    if state.user_id:
        with store.read() as session:
            username = session.scalars(select(User.username).where(User.id == state.user_id)).first() or ""
    return state.server_url or "", username
