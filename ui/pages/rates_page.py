"""Exchange rates: today's USD/CNY rate with its date, source and how current it is, the rates cached so
far, and for finance (and admins) recording a rate by hand or importing finance's CSV file.

Everyone who quotes may look: the rate decides a quote's FX drift. Only the people rate.record accepts
may change it (desktop.rate_views.can_record_rates); for anyone else the buttons are disabled and say why.
The standing of the rate is desktop.fx.calendar's verdict, as in the approvals inbox.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from desktop.errors import DomainError
from desktop.fx.staleness_text import needs_attention, short_text
from desktop.rate_views import PairStatus, RateRow, can_record_rates, rate_history, rate_status
from desktop.store import Store
from desktop.timeutil import utcnow
from sync.client import SyncError
from ui.context import AppContext
from ui.forms import ERROR_COLOR, open_form
from ui.freshness import Freshness
from ui.labels import local_time
from ui.ops import QueryOp, describe
from ui.rate_labels import rate_text, source_name
from ui.sync_actions import Finished, NotConnected

PAIR = "USD/CNY"
FETCH_DAYS = 10  # two weeks of publications: covers a holiday week and the days since the last fetch


def load_rates(store: Store, pair: str, now: datetime) -> tuple[PairStatus, list[RateRow]]:
    """On the database thread: where the pair's rate stands at ``now``, and its history."""
    with store.read() as session:
        return rate_status(session, pair, now), rate_history(session, pair)


class RatesPage(QWidget):
    """The latest rate in a line at the top, the history below, the actions under it."""

    sig_loaded = Signal(int)
    """The rates were read and shown; carries how many history rows."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.pair = PAIR
        self.status: PairStatus | None = None
        self.rows: list[RateRow] = []
        self._generation = 0

        self.latest_label = QLabel()
        self.latest_label.setWordWrap(True)
        self.latest_label.setTextFormat(Qt.TextFormat.PlainText)
        font = self.latest_label.font()
        font.setBold(True)
        self.latest_label.setFont(font)
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels([
            self.tr("Date"), self.tr("Rate"), self.tr("Source"), self.tr("Fetched"), self.tr("Recorded by")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setStyleSheet(f"color: {ERROR_COLOR}")
        self.message_label.hide()

        self.record_button = QPushButton(self.tr("Record a rate…"))
        self.record_button.clicked.connect(self.record)
        self.import_button = QPushButton(self.tr("Import from CSV…"))
        self.import_button.clicked.connect(self.import_csv)
        self.fetch_button = QPushButton(self.tr("Fetch the central parity"))
        self.fetch_button.clicked.connect(self.fetch)
        self.info_label = QLabel()
        self.info_label.setWordWrap(True)
        self.info_label.hide()
        self.actions = QHBoxLayout()
        self.actions.addWidget(self.record_button)
        self.actions.addWidget(self.import_button)
        self.actions.addWidget(self.fetch_button)
        self.actions.addStretch(1)

        layout = QVBoxLayout(self)
        layout.addWidget(self.latest_label)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message_label)
        layout.addWidget(self.info_label)
        layout.addLayout(self.actions)
        # Its own rates or a sync's (None); and on every showing, since the standing of a rate changes
        # with the clock (09:15, midnight), not only with the data.
        self.freshness = Freshness(self, context.tasks, self.refresh, stale_when=lambda: True,
                                   concerns=lambda o: o is None or getattr(o, "name", "") == "rate.record")
        context.sig_user_changed.connect(self._on_user_changed)
        context.sync.sig_changed.connect(self._update_buttons)
        self._fetching = False
        self._update_buttons()
        self.refresh()

    # ---- Public API

    def fetch(self) -> bool:
        """Have the server fetch the CFETS central parity of the last days (sync.server.rates), then
        sync so the rates arrive here; on the network thread, the result said under the table.
        False when the user may not, no server is known, or a fetch is under way."""
        url = self.context.sync.server_url
        if not self.may_record() or not url or self._fetching:
            return False
        self._fetching = True
        self.message_label.hide()
        self.info_label.setText(self.tr("Asking the server for the central parity…"))
        self.info_label.show()
        self._update_buttons()

        def job(client: Any, progress: Any) -> dict[str, Any]:
            if client is None:
                raise NotConnected()
            result = client.fetch_rates_on_server(days=FETCH_DAYS)
            client.sync(progress)
            return result

        self.context.sync.run_job(job, url, self._on_fetched)
        return True

    def refresh(self) -> None:
        """Read the latest rate and the history again on the database thread."""
        self._generation += 1
        generation, pair = self._generation, self.pair

        def done(loaded: tuple[PairStatus, list[RateRow]]) -> None:
            if not isValid(self) or generation != self._generation:
                return
            self._show(*loaded)

        def failed(exc: Exception) -> None:
            if isValid(self) and generation == self._generation:
                self.message_label.setText(describe(exc, self.context.language))
                self.message_label.show()

        QueryOp(self.context.tasks, lambda store: load_rates(store, pair, utcnow())) \
            .success(done).failure(failed).run()

    def may_record(self) -> bool:
        """Whether the signed-in user may record rates."""
        user = self.context.user
        return user is not None and can_record_rates(user.role)

    def record(self) -> QWidget | None:
        """Open the form to record a rate by hand; returns the dialog (for tests)."""
        from ui.dialogs.rate_dialog import RateDialog

        if not self.may_record():
            return None
        return open_form(RateDialog(self.context, self))

    def import_csv(self) -> QWidget | None:
        """Open the CSV import preview; returns the dialog (for tests)."""
        from ui.dialogs.rate_import_dialog import RateImportDialog

        if not self.may_record():
            return None
        dialog = RateImportDialog(self.context, self)
        open_form(dialog)
        return dialog

    def latest_text(self) -> str:
        """The header line: "Latest: 7.1186 (2026-11-26, CFETS) · current", in the user's language."""
        status = self.status
        if status is None:
            return ""
        if status.rate is None or status.status is None:
            return self.tr("No %1 rate is cached here yet.").replace("%1", status.pair)
        rate = status.rate
        return (self.tr("Latest: %1 (%2, %3) · %4")
                .replace("%1", rate_text(rate.rate, status.pair)).replace("%2", rate.rate_date.isoformat())
                .replace("%3", source_name(rate.source))
                .replace("%4", short_text(status.status, self.context.language)))

    # ---- Private API

    def _on_user_changed(self, _user: Any) -> None:
        if isValid(self):
            self._update_buttons()

    def _show(self, status: PairStatus, rows: list[RateRow]) -> None:
        self.status = status
        self.rows = rows
        self.message_label.hide()
        self.latest_label.setText(self.latest_text())
        warn = status.status is None or needs_attention(status.status)
        self.latest_label.setStyleSheet(f"color: {ERROR_COLOR}" if warn else "")
        self.latest_label.setToolTip(status.status.message(self.context.language) if status.status else "")
        self.table.setRowCount(len(rows))
        for row, rate in enumerate(rows):
            cells = (rate.rate_date.isoformat(), rate_text(rate.rate, self.pair), source_name(rate.source), local_time(rate.fetched_at),
                     rate.recorded_by)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 1:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        self.sig_loaded.emit(len(rows))

    def _update_buttons(self) -> None:
        if not isValid(self):
            return
        allowed = self.may_record()
        why = "" if allowed else self.tr("Only finance, the finance director and administrators record exchange "
                                         "rates; everyone else sees them here.")
        for button in (self.record_button, self.import_button):
            button.setEnabled(allowed)
            button.setToolTip(why)
        connected = bool(self.context.sync.server_url)
        self.fetch_button.setEnabled(allowed and connected and not self._fetching)
        self.fetch_button.setToolTip(why or ("" if connected else self.tr(
            "The server fetches the central parity from CFETS: connect to the server first (Fieldmark > Connect to server…).")))

    def _on_fetched(self, finished: Finished) -> None:
        if not isValid(self):
            return
        self._fetching = False
        self._update_buttons()
        error = finished.error
        if error is None:
            value = finished.value
            self.info_label.setText(self.tr("Central parity fetched: %1 new or corrected, %2 already here.")
                                    .replace("%1", str(value.get("recorded", 0)))
                                    .replace("%2", str(value.get("unchanged", 0))))
            self.refresh()
            return
        self.info_label.hide()
        if isinstance(error, NotConnected):
            text = self.tr("Connect to the server first (Fieldmark > Connect to server…).")
        elif isinstance(error, (SyncError, DomainError)):
            text = error.message(self.context.language)
        else:
            text = describe(error, self.context.language)  # type: ignore[arg-type]
        self.message_label.setText(text)
        self.message_label.show()
