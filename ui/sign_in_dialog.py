"""Sign in, offline: choose a user, type the password; checked against the local hash.

On a desktop joined to a server, only within the offline window since its last contact (desktop.auth:
the organisation's value, else the setting "signin/offline_days", 30 days): past it the dialog says to
connect to the network and offers *Connect to server…*, which signs in online.

With no one to choose (a folder that holds no accounts), it says so and offers to connect to the
organisation's server instead (ui.dialogs.server_dialog).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)

from desktop import auth
from desktop.models import User
from ui.context import AppContext
from ui.labels import role_name
from ui.ops import QueryOp, describe


class SignInDialog(QDialog):
    """Modal sign-in. ``sig_signed_in`` carries the user once the password was right."""

    sig_signed_in = Signal(object)
    """A desktop.models.User whose password was verified."""
    sig_connect_requested = Signal()
    """The user wants to connect to a server to get an account on this computer."""

    def __init__(self, context: AppContext, parent=None) -> None:
        super().__init__(parent)
        self.context = context
        self.setWindowTitle(self.tr("Sign in to Fieldmark"))
        self.user_combo = QComboBox()
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.error_label = QLabel()
        self.error_label.setStyleSheet("color: #b00020")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        form = QFormLayout()
        form.addRow(self.tr("User:"), self.user_combo)
        form.addRow(self.tr("Password:"), self.password_edit)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Sign in"))
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        self.empty_label = QLabel(self.tr(
            "No one can sign in on this computer yet: this data folder holds no accounts. Connect to your "
            "organisation's server to get yours."))
        self.empty_label.setWordWrap(True)
        self.connect_button = QPushButton(self.tr("Connect to server…"))
        self.connect_button.clicked.connect(self._connect)
        layout = QVBoxLayout(self)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.connect_button)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        with context.store.read() as session:
            for user in auth.users_for_sign_in(session):
                self.user_combo.addItem(f"{user.display_name} · {role_name(user.role)} ({user.username})",
                                        user.username)
        nobody = self.user_combo.count() == 0
        self.empty_label.setVisible(nobody)
        self.connect_button.setVisible(nobody)
        self.user_combo.setEnabled(not nobody)
        self.password_edit.setEnabled(not nobody)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not nobody)
        last = context.settings().value("signin/last_user", "")
        if last:
            index = self.user_combo.findData(last)
            if index >= 0:
                self.user_combo.setCurrentIndex(index)
        self.password_edit.setFocus()

    def select_user(self, username: str) -> None:
        self.user_combo.setCurrentIndex(self.user_combo.findData(username))

    def submit(self) -> None:
        """Check the password on the database thread (scrypt is deliberately slow)."""
        username = self.user_combo.currentData()
        password = self.password_edit.text()
        if not username:
            self._show_error(self.tr("There is no one to sign in as on this computer; connect to your "
                                     "organisation's server first."))
            return
        if not password:
            self._show_error(self.tr("Enter your password."))
            return
        self.buttons.setEnabled(False)
        days = _setting_days(self.context.settings().value("signin/offline_days", None))
        QueryOp(self.context.tasks, lambda store: _sign_in(store, username, password, days)) \
            .success(self._signed_in).failure(self._failed).run()

    # ---- Private API

    def _connect(self) -> None:
        self.sig_connect_requested.emit()
        self.accept()

    def _signed_in(self, user: User) -> None:
        self.buttons.setEnabled(True)
        self.context.settings().setValue("signin/last_user", user.username)
        self.sig_signed_in.emit(user)
        self.accept()

    def _failed(self, exc: Exception) -> None:
        self.buttons.setEnabled(True)
        self.password_edit.selectAll()
        self.password_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self._show_error(describe(exc, self.context.language))
        if getattr(exc, "code", "") == "offline_too_long":
            self.connect_button.show()  # online sign-in works: it syncs, and the count starts again

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()


def _sign_in(store, username: str, password: str, days: int | None = None) -> User:
    with store.read() as session:
        return auth.sign_in_offline(session, username, password, days)


def _setting_days(value: object) -> int | None:
    """The "signin/offline_days" setting as a number of days, or None when unset or not a number."""
    try:
        days = int(str(value))
    except ValueError:
        return None
    return days if days >= 1 else None
