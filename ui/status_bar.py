"""The status bar: connection state, changes waiting to be sent (from the real outbox), last sync."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QStatusBar

from desktop import mutations
from ui.context import AppContext
from ui.ops import QueryOp


class StatusBar(QStatusBar):
    """Shows what the user needs to trust that nothing is lost: what is still only on this device."""

    def __init__(self, context: AppContext, parent=None) -> None:
        super().__init__(parent)
        self.context = context
        self.connection_label = QLabel()
        self.pending_label = QLabel()
        self.last_sync_label = QLabel()
        self.user_label = QLabel()
        for label in (self.user_label, self.connection_label, self.pending_label, self.last_sync_label):
            self.addPermanentWidget(label)
        self.pending = 0
        context.tasks.sig_data_changed.connect(lambda _outcome: self.refresh())
        self.retranslate()
        self.refresh()

    def retranslate(self) -> None:
        # No server is configured yet, so the device works offline; sync will drive this label.
        self.connection_label.setText("● " + self.tr("Offline"))
        self.connection_label.setToolTip(self.tr("Not connected to a Fieldmark server. Everything you enter "
                                                 "is kept on this computer and sent when a connection exists."))
        self.last_sync_label.setText(self.tr("Last sync: never"))
        self._show_pending()
        user = self.context.user
        self.user_label.setText(user.display_name if user is not None else "")

    def refresh(self) -> None:
        """Re-read the number of changes waiting in the outbox."""
        QueryOp(self.context.tasks, _pending).success(self._set_pending).failure(lambda _e: None).run()

    # ---- Private API

    def _set_pending(self, count: int) -> None:
        self.pending = count
        self._show_pending()

    def _show_pending(self) -> None:
        self.pending_label.setText(self.tr("%n change(s) waiting to be sent", "", self.pending))


def _pending(store) -> int:
    with store.read() as session:
        return mutations.pending(session)
