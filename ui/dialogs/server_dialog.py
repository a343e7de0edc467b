"""Connect this computer to a Fieldmark server: sign in there, then sync (on the network thread).

The same dialog serves three moments: the first dialog of a data folder that holds no one yet (join the
organisation's server; the first pull behind a progress bar with Cancel, then the user's workbench),
*Connect to server…* from the menu, and the way back after the server stopped accepting this device's
sign-in (opened with the reason, the server address and the user name already filled in). Every step
runs in sync.join, which words every failure for the window.
"""

from __future__ import annotations

import socket

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
)

from desktop import folder as folder_
from desktop import remote
from desktop.store import Store
from sync import join
from sync.client import DeviceRevoked, SyncCancelled, SyncError
from ui.context import AppContext
from ui.forms import ERROR_COLOR, alive
from ui.ops import QueryOp
from ui.sync_actions import Finished

# Refusals about the data folder itself: a new, empty folder is the way forward.
FOLDER_CODES = frozenset({"demo_folder", "local_folder", "other_server", "username_taken", "forbidden"})
ADDRESS_CODES = frozenset({"bad_address", "no_host", "unreachable", "tls", "not_fieldmark", "timeout", "other_server"})


class ServerDialog(QDialog):
    """Sign in to a server and sync. ``first``: the folder's first dialog, which ends on the user's workbench."""

    sig_joined = Signal(object)
    """The join finished: carries the local desktop.models.User, whose password now also works offline."""
    sig_new_folder_requested = Signal()
    """The user wants a new, empty data folder (this one cannot join the server)."""

    def __init__(self, context: AppContext, parent=None, reason: str | None = None, *, first: bool = False) -> None:
        super().__init__(parent)
        self.context = context
        self.first = first
        self.busy = False
        self.setWindowTitle(self.tr("Connect to your organisation's server") if first else self.tr("Connect to server"))
        self.setMinimumWidth(480)
        self.intro_label = QLabel(self.tr(
            "No one can sign in on this computer yet: this data folder holds no accounts. Connect to your "
            "organisation's Fieldmark server with the user name and password your administrator gave you; "
            "your customers and your team's data are then downloaded, and you can work offline from then on."))
        self.intro_label.setWordWrap(True)
        self.intro_label.setVisible(first)
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("https://fieldmark.example.com")
        self.username_edit = QLineEdit(context.user.username if context.user is not None else "")
        self.username_edit.setPlaceholderText(self.tr("e.g. rep.li"))
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.reason_label = QLabel()
        self.reason_label.setWordWrap(True)
        self.reason_label.hide()
        self.state_label = QLabel()  # what the folder holds, when that matters (a stopped download, a demo)
        self.state_label.setWordWrap(True)
        self.state_label.hide()
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(f"color: {ERROR_COLOR};")
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        self.new_folder_button = QPushButton(self.tr("Use a new, empty folder…"))
        self.new_folder_button.clicked.connect(self._new_folder)
        self.new_folder_button.hide()
        self.progress_label = QLabel()
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_label.hide()
        self.progress_bar.hide()
        form = QFormLayout()
        form.addRow(self.tr("Server address"), self.url_edit)
        form.addRow(self.tr("User name"), self.username_edit)
        form.addRow(self.tr("Password"), self.password_edit)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setText(self.tr("Quit") if first else self.tr("Cancel"))
        self.connect_button = self.buttons.addButton(self.tr("Connect"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        folder_row = QHBoxLayout()
        folder_row.addStretch(1)
        folder_row.addWidget(self.new_folder_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro_label)
        layout.addWidget(self.reason_label)
        layout.addWidget(self.state_label)  # above the form: it may say the form cannot work here
        layout.addLayout(folder_row)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.progress_bar)
        layout.addStretch(1)  # room left over goes here, not between the rows
        layout.addWidget(self.buttons)
        # Return in any field connects; no button takes Return for itself (Quit would close the app).
        for button in (self.cancel_button, self.connect_button, self.new_folder_button):
            button.setAutoDefault(False)
            button.setDefault(False)
        for edit in (self.url_edit, self.username_edit, self.password_edit):
            edit.returnPressed.connect(self.submit)
        if reason:
            self.show_reason(reason)
        context.sync.sig_progress.connect(self._on_progress)
        self.url_edit.setFocus()
        # The dialog opens at once; what the folder holds is filled in when the database thread has read it.
        QueryOp(context.tasks, _known).success(self._on_known).failure(lambda _exc: None).run()

    def show_reason(self, reason: str) -> None:
        """Why the user is asked to sign in again (the server's words)."""
        self.reason_label.setText(self.tr("Sign in again to go on syncing: %1").replace("%1", reason))
        self.reason_label.show()
        self.password_edit.setFocus()

    def show_notice(self, text: str) -> None:
        """What happened to this folder before the dialog opened (it was erased: sync.revocation): said
        first, above the words on how to connect."""
        layout = self.layout()
        layout.removeWidget(self.state_label)
        layout.insertWidget(layout.indexOf(self.intro_label), self.state_label)
        self.state_label.setText(text)
        self.state_label.show()

    def submit(self) -> None:
        """Check what was typed, then join on the network thread; what was typed stays whatever happens."""
        if self.busy:
            return
        typed, username, password = self.url_edit.text().strip(), self.username_edit.text().strip(), \
            self.password_edit.text()
        if not typed or not username or not password:
            self._show_error(self.tr("Enter the server address, your user name and your password."))
            empty = next(edit for edit, text in ((self.url_edit, typed), (self.username_edit, username),
                                                 (self.password_edit, password)) if not text)
            empty.setFocus()
            return
        try:
            url = join.server_url(typed)
        except SyncError as exc:
            self._show_error(exc.message(self.context.language))
            self.url_edit.setFocus()
            return
        self._set_busy(True)
        self.error_label.hide()
        self.new_folder_button.hide()
        self._on_progress(0.0, join.CONNECT)
        device_name = socket.gethostname() or "Fieldmark"

        guessed = "://" not in typed

        def job(client, progress):
            return join.join(client, username, password, device_name, progress, scheme_guessed=guessed)

        self.context.sync.run_job(job, url, self._done)

    def reject(self) -> None:
        """Cancel, Escape or closing: while connecting, stop at the next safe point (what arrived is kept)
        and stay open to say so; else close."""
        if self.busy:
            self.progress_label.setText(self.tr("Stopping…"))
            self.cancel_button.setEnabled(False)
            self.context.sync.cancel()
            return
        super().reject()

    # ---- Private API


    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        for widget in (self.url_edit, self.username_edit, self.password_edit, self.connect_button):
            widget.setEnabled(not busy)
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText(self.tr("Stop") if busy else (self.tr("Quit") if self.first else self.tr("Cancel")))
        self.progress_label.setVisible(busy)
        self.progress_bar.setVisible(busy)
        self.adjustSize()  # grow for the bar rather than squeeze the fields

    def _on_progress(self, fraction: float, what: str) -> None:
        if not self.busy or not alive(self):
            return
        words = {join.CONNECT: self.tr("Looking for the server…"),
                 join.SIGN_IN: self.tr("Signing in…"),
                 "push": self.tr("Sending this computer's changes…"),
                 "upload": self.tr("Sending this computer's changes…"),
                 "pull": self.tr("Downloading your organisation's data…"),
                 "download": self.tr("Downloading your organisation's data…"),
                 "index": self.tr("Indexing the downloaded data…")}
        left = self.context.sync.remaining_s if what == "download" else None  # a first pull's estimate
        if left is not None:
            self.progress_label.setText(self.tr("Downloading your organisation's data, about %1 left").replace(
                "%1", self.tr("%1 min").replace("%1", str(round(left / 60))) if left >= 90
                else self.tr("%1 s").replace("%1", str(max(5, round(left / 5) * 5)))))
        elif what in words:
            self.progress_label.setText(words[what])
        self.progress_bar.setValue(int(max(0.0, min(1.0, fraction)) * 1000))

    def _on_known(self, known: tuple[str, str, folder_.Folder]) -> None:
        """Fill in what this computer already knows, unless the user has typed there meanwhile."""
        if not alive(self):
            return
        url, username, folder, last_error = known
        if url and not self.url_edit.text():
            self.url_edit.setText(url)
        if username and (not self.username_edit.text() or not self.username_edit.isModified()):
            self.username_edit.setText(username)
        if self.url_edit.text() and self.username_edit.text():
            self.password_edit.setFocus()
        if folder.kind == folder_.JOINED:
            self.intro_label.hide()  # people can sign in here; this is signing in online
        if folder.kind == folder_.HALF_JOINED and (last_error or {}).get("code") == "device_pending":
            # Registered, waiting for the administrator: the server's own words say so.
            self.state_label.setText(str(last_error.get("message_zh" if self.context.language.startswith("zh")
                                                        else "message_en", "")))
            self.state_label.show()
        elif folder.kind == folder_.HALF_JOINED:
            self.state_label.setText(self.tr(
                "The first download from %1 stopped before it finished. What arrived is kept on this computer, "
                "but the folder cannot be used until the download is complete: type your password and press "
                "Connect to go on from where it stopped.").replace("%1", folder.server_url or ""))
            self.state_label.show()
        elif folder.kind in (folder_.DEMO, folder_.LOCAL):
            try:
                folder_.check_join(folder, url or "https://")
            except Exception as exc:  # noqa: BLE001 - a DomainError: its words, shown before anyone types
                self.state_label.setText(exc.message(self.context.language))  # type: ignore[attr-defined]
            self.state_label.show()
            self.new_folder_button.show()

    def _done(self, finished: Finished) -> None:
        if not alive(self):
            return
        self._set_busy(False)
        exc = finished.error
        if isinstance(exc, DeviceRevoked):
            return  # the folder is being erased (ui.startup.Application); the next dialog says so
        if exc is None:
            user = finished.value
            self.context.settings().setValue("signin/last_user", user.username)
            self.sig_joined.emit(user)
            self.accept()
            return
        if isinstance(exc, SyncCancelled):
            self.state_label.setText(self.tr(
                "Stopped. What arrived so far is kept on this computer, but the folder cannot be used until "
                "the first download is complete. Press Connect to go on from where it stopped."))
            self.state_label.show()
            self.connect_button.setFocus()
            return
        self._show_error(join.describe(exc, self.context.language))
        code = getattr(exc, "code", "")
        if code in FOLDER_CODES:
            self.new_folder_button.show()
        if code in ADDRESS_CODES:
            self.url_edit.setFocus()
            self.url_edit.selectAll()
        else:
            self.password_edit.setFocus()
            self.password_edit.selectAll()

    def _new_folder(self) -> None:
        self.sig_new_folder_requested.emit()

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()
        self.adjustSize()


def _known(store: Store) -> tuple[str, str, folder_.Folder, dict | None]:
    """The server address and user name this computer last signed in with, what the folder holds, and
    the last sync error."""
    folder = folder_.inspect(store)
    return folder.server_url or "", folder.username or "", folder, remote.read_state(store).last_error
