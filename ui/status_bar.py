"""The status bar: connection state, changes waiting to be sent (from the real outbox), last sync."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QStatusBar

from desktop import mutations, remote
from ui.context import AppContext
from ui.labels import local_time
from ui.ops import QueryOp

CLOCK_WARNING_S = 300


class StatusBar(QStatusBar):
    """Shows what the user needs to trust that nothing is lost: what is still only on this device."""

    def __init__(self, context: AppContext, parent=None) -> None:
        super().__init__(parent)
        self.context = context
        self.connection_label = QLabel()
        self.pending_label = QLabel()
        self.last_sync_label = QLabel()
        self.clock_label = QLabel()
        self.clock_label.setStyleSheet("color: #b00020;")
        self.user_label = QLabel()
        for label in (self.user_label, self.connection_label, self.pending_label, self.last_sync_label,
                      self.clock_label):
            self.addPermanentWidget(label)
        self.pending = 0
        self.state = None  # desktop.models.SyncState, once read
        self.syncing = False
        context.tasks.sig_data_changed.connect(lambda _outcome: self.refresh())
        context.sig_sync_started.connect(self._on_sync_started)
        context.sig_sync_finished.connect(self._on_sync_finished)
        self.retranslate()
        self.refresh()

    def retranslate(self) -> None:
        self._show_state()
        self._show_pending()
        user = self.context.user
        self.user_label.setText(user.display_name if user is not None else "")

    def refresh(self) -> None:
        """Re-read the number of changes waiting in the outbox and where this device stands with the server."""
        QueryOp(self.context.tasks, _read).success(self._set).failure(lambda _e: None).run()

    # ---- Private API

    def _on_sync_started(self) -> None:
        self.syncing = True
        self._show_state()

    def _on_sync_finished(self) -> None:
        self.syncing = False
        self.refresh()

    def _set(self, result) -> None:
        self.pending, self.state = result
        self._show_state()
        self._show_pending()

    def _show_state(self) -> None:
        state = self.state
        self.clock_label.hide()
        if self.syncing:
            self.connection_label.setText("● " + self.tr("Syncing…"))
            self.connection_label.setToolTip("")
        elif state is None or not state.server_url:
            self.connection_label.setText("● " + self.tr("Offline"))
            self.connection_label.setToolTip(self.tr("Not connected to a Fieldmark server. Everything you enter "
                                                     "is kept on this computer and sent when a connection exists."))
        elif state.last_error:
            error = state.last_error
            zh = self.context.language.lower().startswith("zh")
            reason = str(error.get("message_zh" if zh else "message_en") or error.get("code") or "")
            self.connection_label.setText("● " + self.tr("Offline — %1").replace("%1", reason))
            self.connection_label.setToolTip(reason)
        else:
            self.connection_label.setText("● " + self.tr("Online"))
            self.connection_label.setToolTip(state.server_url)
        if state is not None and state.last_success_at is not None:
            self.last_sync_label.setText(self.tr("Last sync: %1").replace("%1", local_time(state.last_success_at)))
        else:
            self.last_sync_label.setText(self.tr("Last sync: never"))
        offset = state.server_time_offset_s if state is not None else None
        if offset is not None and abs(offset) > CLOCK_WARNING_S:
            minutes = round(abs(offset) / 60)
            self.clock_label.setText(self.tr("Your computer's clock is %n minute(s) off the server's", "", minutes))
            self.clock_label.show()

    def _show_pending(self) -> None:
        self.pending_label.setText(self.tr("%n change(s) waiting to be sent", "", self.pending))


def _read(store):
    with store.read() as session:
        pending = mutations.pending(session)
    return pending, remote.read_state(store)
