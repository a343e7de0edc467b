"""The status bar: connection state, changes waiting to be sent (from the real outbox), last sync, and
while a sync runs a compact progress bar with Cancel; after the server refused the sign-in, a button to
sign in again (a background sync never opens a dialog in the middle of the user's work)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QStatusBar, QToolButton

from desktop import mutations, remote, timeutil
from sync.client import SyncError
from ui import sync_schedule as schedule_
from ui.context import AppContext
from ui.labels import local_time
from ui.ops import QueryOp, describe

# sync_state.last_error codes, for the state a previous run left (before this run's first sync).
_KIND_OF_CODE = {"unavailable": schedule_.UNAVAILABLE, "unauthorized": schedule_.SIGN_IN,
                 "bad_credentials": schedule_.SIGN_IN, "upgrade_required": schedule_.UPGRADE}

CLOCK_WARNING_S = 300


class StatusBar(QStatusBar):
    """Shows what the user needs to trust that nothing is lost: what is still only on this device."""

    sig_sign_in_requested = Signal(str)
    """The user clicked "Sign in again…"; carries the server's reason, in the user's language."""

    def __init__(self, context: AppContext, parent=None) -> None:
        super().__init__(parent)
        self.context = context
        self.connection_label = QLabel()
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setFixedWidth(110)
        self.progress_bar.setMaximumHeight(14)
        self.cancel_button = QToolButton()
        self.cancel_button.clicked.connect(context.sync.cancel)
        self.sign_in_button = QPushButton()
        self.sign_in_button.setFlat(True)
        self.sign_in_button.setStyleSheet("color: #0b57d0; text-decoration: underline;")
        self.sign_in_button.clicked.connect(self._on_sign_in_clicked)
        self.pending_label = QLabel()
        self.last_sync_label = QLabel()
        self.clock_label = QLabel()
        self.clock_label.setStyleSheet("color: #b00020;")
        self.reset_label = QLabel()  # the server was restored or replaced: everything was read again
        self.reset_label.setObjectName("reset_notice")
        self.reset_label.setStyleSheet("color: #8a5a00;")
        self.user_label = QLabel()
        for widget in (self.user_label, self.connection_label, self.sign_in_button, self.progress_bar,
                       self.cancel_button, self.pending_label, self.last_sync_label, self.clock_label,
                       self.reset_label):
            self.addPermanentWidget(widget)
        self.pending = 0
        self.state = None  # desktop.models.SyncState, once read
        context.tasks.sig_data_changed.connect(lambda _outcome: self.refresh())
        context.sig_sync_started.connect(self._on_sync_started)
        context.sig_sync_finished.connect(self._on_sync_finished)
        context.sync.sig_changed.connect(self._show_state)
        context.sync.sig_progress.connect(self._on_progress)
        self.retranslate()
        self.refresh()

    def retranslate(self) -> None:
        self.cancel_button.setText(self.tr("Cancel"))
        self.cancel_button.setToolTip(self.tr("Stop this sync. What was already sent or received is kept; "
                                              "the next sync continues from there."))
        self.sign_in_button.setText(self.tr("Sign in again…"))
        self._show_state()
        self._show_pending()
        user = self.context.user
        self.user_label.setText(user.display_name if user is not None else "")

    @property
    def syncing(self) -> bool:
        return self.context.sync.syncing

    def refresh(self) -> None:
        """Re-read the number of changes waiting in the outbox and where this device stands with the server."""
        QueryOp(self.context.tasks, _read).success(self._set).failure(lambda _e: None).run()

    # ---- Private API

    def _on_sync_started(self) -> None:
        self._show_state()

    def _on_sync_finished(self) -> None:
        self.refresh()

    def _set(self, result) -> None:
        self.pending, self.state = result
        self._show_state()
        self._show_pending()

    def _on_progress(self, fraction: float, what: str) -> None:
        self.progress_bar.setValue(int(max(0.0, min(1.0, fraction)) * 1000))
        if self.syncing and not self.context.sync.cancel_requested:
            self.connection_label.setText("● " + self._doing(what))

    def _on_sign_in_clicked(self) -> None:
        self.sig_sign_in_requested.emit(self.reason())

    def reason(self) -> str:
        """Why the last sync did not succeed, in the user's language ("" when it did)."""
        error = self.context.sync.error
        if isinstance(error, SyncError):
            return error.message(self.context.language)
        if self.state is not None and self.state.last_error:
            last = self.state.last_error
            zh = self.context.language.lower().startswith("zh")
            return str(last.get("message_zh" if zh else "message_en") or last.get("code") or "")
        return describe(error, self.context.language) if error is not None else ""

    def kind(self) -> str | None:
        """How things stand with the server: an outcome of ui.sync_schedule, or None (never synced)."""
        sync = self.context.sync
        if sync.outcome is not None:
            return sync.outcome
        state = self.state
        if state is None or not state.last_error:
            return schedule_.OK if state is not None and state.last_success_at is not None else None
        return _KIND_OF_CODE.get(str(state.last_error.get("code")), schedule_.ERROR)

    def _doing(self, what: str) -> str:
        if what == "push":
            return self.tr("Sending changes…")
        if what == "pull":
            return self.tr("Receiving changes…")
        if what == "upload":
            return self.tr("Sending photos and recordings…")
        if what == "download":
            left = self.context.sync.remaining_s  # the bar beside shows how far it is
            if left is None:
                return self.tr("Downloading your data for the first time…")
            return self.tr("Downloading your data for the first time, about %1 left").replace(
                "%1", self._duration(left))
        if what == "index":
            return self.tr("Indexing the downloaded data…")
        return self.tr("Syncing…")

    def _duration(self, seconds: float) -> str:
        """A rough time left, as a person says it: "3 min", "20 s"."""
        if seconds >= 90:
            return self.tr("%1 min").replace("%1", str(round(seconds / 60)))
        return self.tr("%1 s").replace("%1", str(max(5, round(seconds / 5) * 5)))

    def _show_state(self) -> None:
        state = self.state
        sync = self.context.sync
        self.clock_label.hide()
        self.sign_in_button.hide()
        self.progress_bar.setVisible(self.syncing)
        self.cancel_button.setVisible(self.syncing)
        self.cancel_button.setEnabled(not sync.cancel_requested)
        kind = self.kind()
        if self.syncing:
            if sync.cancel_requested:
                self.connection_label.setText("● " + self.tr("Stopping…"))
            else:
                self.connection_label.setText("● " + self._doing(sync.what))
                self.progress_bar.setValue(int(sync.fraction * 1000))
            self.connection_label.setToolTip("")
        elif state is None or not state.server_url or kind == schedule_.NOT_CONNECTED:
            self.connection_label.setText("● " + self.tr("Offline"))
            self.connection_label.setToolTip(self.tr("Not connected to a Fieldmark server. Everything you enter "
                                                     "is kept on this computer and sent when a connection exists."))
        elif kind == schedule_.UNAVAILABLE:
            self.connection_label.setText("● " + self.tr("Offline"))
            self.connection_label.setToolTip(self.reason() + "\n" + self.tr(
                "Fieldmark keeps trying by itself, less often while the server stays out of reach."))
        elif kind == schedule_.SIGN_IN:
            self.connection_label.setText("● " + self.tr("Signed out of the server"))
            self.connection_label.setToolTip(self.reason())
            self.sign_in_button.setToolTip(self.reason())
            self.sign_in_button.show()
        elif kind == schedule_.UPGRADE:
            self.connection_label.setText("● " + self.tr("Upgrade needed: %1").replace("%1", self.reason()))
            self.connection_label.setToolTip(self.tr("Sync stays off until Fieldmark is upgraded. Everything you "
                                                     "enter is kept on this computer."))
        elif kind == schedule_.CANCELLED:
            self.connection_label.setText("● " + self.tr("Sync stopped; what was done is kept"))
            self.connection_label.setToolTip(self.tr("The next sync continues from where this one stopped."))
        elif kind == schedule_.ERROR:
            self.connection_label.setText("● " + self.tr("Sync failed — %1").replace("%1", self.reason()))
            self.connection_label.setToolTip(self.reason())
        else:
            self.connection_label.setText("● " + self.tr("Online"))
            self.connection_label.setToolTip(state.server_url)
        if state is not None and state.last_success_at is not None:
            self.last_sync_label.setText(self.tr("Last sync: %1").replace("%1", local_time(state.last_success_at)))
        else:
            self.last_sync_label.setText(self.tr("Last sync: never"))
        self._show_reset_notice(state)
        offset = state.server_time_offset_s if state is not None else None
        if offset is not None and abs(offset) > CLOCK_WARNING_S:
            minutes = round(abs(offset) / 60)
            self.clock_label.setText(self.tr("Your computer's clock is %n minute(s) off the server's", "", minutes))
            self.clock_label.show()

    def _show_reset_notice(self, state) -> None:
        """Why this computer read all its data again (desktop.reread), until the user dismisses it."""
        notice = state.reset_notice if state is not None else None
        self.reset_label.setVisible(bool(notice))
        if not notice:
            return
        zh = self.context.language.lower().startswith("zh")
        self.reset_label.setText("● " + str(notice.get("message_zh" if zh else "message_en") or ""))
        at = notice.get("done_at") or notice.get("at")
        detail = str(notice.get("detail_zh" if zh else "detail_en") or "")
        self.reset_label.setToolTip(detail + "\n" + self.tr("Since %1. Dismiss this notice on the Sync problems "
                                                            "page.").replace("%1", local_time(timeutil.from_text(at))
                                                                             if at else ""))

    def _show_pending(self) -> None:
        self.pending_label.setText(self.tr("%n change(s) waiting to be sent", "", self.pending))


def _read(store):
    with store.read() as session:
        pending = mutations.pending(session)
    return pending, remote.read_state(store)
