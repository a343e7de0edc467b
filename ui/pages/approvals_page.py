"""The approvals inbox for finance and the finance director: the quotes waiting for the user's decision,
why each needs it, and for USD quotes how far today's cached rate has moved from the locked one.

Everything shown is read from the local database, so the inbox works offline. Which quotes are listed
and why comes from the core (desktop.quote_decisions, the same rule approval.decide applies,
desktop.approval_policy.drift_pct, desktop.fx.calendar.rate_status); Approve and Reject run
``approval.decide``, which checks every rule again and whose refusal is shown as it words it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from desktop import approval_policy, quote_decisions
from desktop.errors import DomainError
from desktop.fx.calendar import rate_status
from desktop.lazy_list import LazyList
from desktop.models import Quote, User
from desktop.mutations import quotes as quote_core
from desktop.store import Store
from desktop.timeutil import utcnow
from ui.context import AppContext
from ui.forms import ERROR_COLOR, confirm_stale_rate, open_form
from ui.freshness import Freshness
from ui.labels import currency_name, money_text, role_name
from ui.ops import MutationOp, QueryOp, describe
from ui.rate_labels import rate_text

_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Reason:
    role: str
    reason_zh: str
    reason_en: str
    new: bool  # required now (today's rate, the current policy) though not at submission
    earlier: bool = False  # fired at a decision earlier in the round; still required, though not now


class InboxItem(NamedTuple):
    """One quote waiting for the user's decision, as the inbox lists it; its reasons are read when
    it is chosen (load_reasons). A named tuple: the inbox may hold ten thousand."""

    quote_id: str
    version: int
    customer: str
    number: str
    revision: int
    owner: str
    currency: str
    total: Decimal
    facts: approval_policy.Facts  # what the policy looks at (for the roles it requires, when shown)
    required: str  # what fired at submission, as stored (quote_decisions.Candidate.required)
    locked_rate: Decimal | None
    locked_rate_date: str | None
    today_rate: Decimal | None
    today_rate_date: str | None
    drift_pct: Decimal | None
    rate_message_zh: str
    rate_message_en: str
    rate_current: bool


Needed = Callable[[approval_policy.Facts, str, str], tuple[tuple[str, ...], tuple[str, ...]]]


def _nothing_needed(_facts: approval_policy.Facts, _quote_id: str,
                    _required: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return (), ()


class Inbox(NamedTuple):
    """What load_inbox read: the items, and the policy and rate they were decided with."""

    items: Sequence[InboxItem]  # made when read (desktop.lazy_list): the table reads the rows on screen
    # The roles a quote still waits for and those that approved (quote_decisions.Inbox.still_needed):
    # worked out when a row is shown, not for ten thousand when listing.
    needed: Needed
    drift_threshold: Decimal | None = None  # the policy's drift rule's, so the drift shown compares truly
    position: Callable[[str], int | None] = lambda _quote_id: None  # a quote's row, without making the items


def load_inbox(store: Store, user_id: str, now: datetime) -> Inbox:
    """On the database thread: the quotes awaiting a decision from the user (desktop.quote_decisions,
    the rule approval.decide applies too), with what the list shows."""
    with store.read() as session:
        user = session.get(User, user_id)
        if user is None:
            return Inbox([], _nothing_needed)
        inbox = quote_decisions.awaiting(session, user, now)
        today = quote_decisions.today_rate(session, now)
    status = rate_status(date.fromisoformat(today.rate_date), now) if today is not None else None
    message_zh, message_en = (status.message_zh, status.message_en) if status is not None else ("", "")
    current = status.usable_without_confirmation if status is not None else True
    pending = inbox.pending

    def item(index: int) -> InboxItem:
        quote, facts = pending[index]
        locked = quote.locked_rate
        if locked is not None and today is not None:
            return InboxItem(
                quote.id, quote.version, quote.customer, quote.number, quote.revision, quote.owner, quote.currency,
                quote.total, facts, quote.required, locked, quote.locked_rate_date, today.rate, today.rate_date,
                approval_policy.drift_pct(locked, today.rate), message_zh, message_en, current)
        return InboxItem(
            quote.id, quote.version, quote.customer, quote.number, quote.revision, quote.owner, quote.currency,
            quote.total, facts, quote.required, locked, quote.locked_rate_date, None, None, None, "", "", True)

    threshold = next((rule.threshold for rule in inbox.rules if rule.kind == "fx_drift"), None)
    return Inbox(LazyList(range(len(pending)), item), inbox.still_needed, threshold, inbox.position)


def load_reasons(store: Store, quote_id: str, now: datetime) -> tuple[Reason, ...]:
    """On the database thread: why a quote needs approval - the reasons stored when it was submitted,
    then those the current policy and today's rate add (marked new), then those that fired at an
    earlier decision of the round and stay required though they would not fire now (marked earlier,
    with the reason they had then: quotes.in_force)."""
    with store.read() as session:
        quote = session.get(Quote, quote_id)
        if quote is None:
            return ()
        stored = [Reason(r["role"], r["reason_zh"], r["reason_en"], False) for r in quote.required]
        known = {(r["rule"], r["role"]) for r in quote.required}
        live = quote_core.requirements(session, quote, now)
        added = [Reason(r.role, r.reason_zh, r.reason_en, True) for r in live if (r.rule, r.role) not in known]
        known |= {(r.rule, r.role) for r in live}
        earlier = []
        fired = quote_core.fired(quote, quote_core.round_approvals(session, quote))
        for r in approval_policy.in_force(live, fired)[len(live):]:
            if (r.rule, r.role) not in known:
                known.add((r.rule, r.role))
                earlier.append(Reason(r.role, r.reason_zh, r.reason_en, False, earlier=True))
        return tuple(stored + added + earlier)


class InboxModel(QAbstractTableModel):
    """The inbox's rows; Qt asks only for the rows on screen, so ten thousand quotes list at once."""

    COLUMNS = 7
    RIGHT = (4, 5)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.items: Sequence[InboxItem] = []
        self.needed: Needed = _nothing_needed
        self.drift_threshold: Decimal | None = None

    def set_inbox(self, inbox: Inbox) -> None:
        self.beginResetModel()
        self.items, self.needed = inbox.items, inbox.needed
        self.drift_threshold = inbox.drift_threshold
        self.endResetModel()

    def drift_text(self, item: InboxItem) -> str:
        """The drift with enough decimals to compare truly with the policy's threshold ("0.801")."""
        if item.drift_pct is None:
            return ""
        return approval_policy.pct_text(item.drift_pct, self.drift_threshold)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008 (Qt's name and default)
        return 0 if parent.isValid() else len(self.items)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else self.COLUMNS

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        return (self.tr("Customer"), self.tr("Quote"), self.tr("Owner"), self.tr("Currency"), self.tr("Total"),
                self.tr("Rate drift"), self.tr("Approvals needed"))[section]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.items):
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in self.RIGHT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        item = self.items[index.row()]
        column = index.column()
        if column == 0:
            return item.customer
        if column == 1:
            return self.tr("%1 rev. %2").replace("%1", item.number).replace("%2", str(item.revision))
        if column == 2:
            return item.owner
        if column == 3:
            return currency_name(item.currency)
        if column == 4:
            return money_text(item.total)
        if column == 5:
            return f"{self.drift_text(item)}%" if item.drift_pct is not None else ""
        return self.needed_text(item)

    def needed_text(self, item: InboxItem) -> str:
        """Whose approval the quote still waits for, then who approved in this round ("Finance director
        (approved: Finance)"): what the approver needs to know, not every role the round required."""
        waiting, approved = self.needed(item.facts, item.quote_id, item.required)
        comma = self.tr(", ", "between the roles in a list")  # 、 in Chinese
        text = comma.join(role_name(r) for r in waiting)
        if approved:
            names = comma.join(role_name(r) for r in approved)
            text = (self.tr("%1 (approved: %2)").replace("%1", text).replace("%2", names) if text
                    else self.tr("approved: %1").replace("%1", names))
        return text


class ApprovalsPage(QWidget):
    """Pick a quote on the left; its reasons, the rate and the decision are on the right."""

    sig_loaded = Signal()
    """The list was read again (after opening, a decision or any data change)."""
    sig_decided = Signal(object)
    """A decision was recorded; carries the desktop.mutations.Outcome."""
    sig_refused = Signal(str)
    """A decision was refused; carries the message in the user's language."""
    sig_reasons_shown = Signal()
    """The chosen quote's reasons are shown (after they were read)."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.items: Sequence[InboxItem] = []
        self.inbox = Inbox([], _nothing_needed)
        self._generation = 0
        self._refusal: tuple[str, str] | None = None  # (quote id, message) of the last refused decision
        self._reasons: dict[str, tuple[Reason, ...]] = {}  # read when a quote is chosen; dropped on refresh
        self.model = InboxModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        # Columns fit the rows on screen, not every row of a long inbox (Qt would read a thousand).
        self.table.horizontalHeader().setResizeContentsPrecision(0)
        self.table.selectionModel().selectionChanged.connect(self._show_selected)
        self.empty = QLabel(self.tr("No quotes are waiting for your approval.\n\nQuotes appear here when reps "
                                    "submit them; you will see which approval rules fired and why."))
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)

        self.title = QLabel()
        self.title.setWordWrap(True)
        self.reasons = QLabel()
        self.reasons.setWordWrap(True)
        self.reasons.setTextFormat(Qt.TextFormat.PlainText)
        self.rate = QLabel()
        self.rate.setWordWrap(True)
        self.comment = QPlainTextEdit()
        self.comment.setPlaceholderText(self.tr("Comment (required to reject)"))
        self.comment.setMaximumHeight(90)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet(f"color: {ERROR_COLOR}")
        self.error.hide()
        self.approve_button = QPushButton(self.tr("Approve"))
        self.reject_button = QPushButton(self.tr("Reject"))
        self.approve_button.clicked.connect(lambda: self._decide_selected("approve"))
        self.reject_button.clicked.connect(lambda: self._decide_selected("reject"))
        self.open_button = QPushButton(self.tr("Open quote…"))
        self.open_button.setToolTip(self.tr("The quote's lines, terms and PDF (double-click a row does the same)"))
        self.open_button.clicked.connect(self.open_selected)
        self.table.doubleClicked.connect(lambda _index: self.open_selected())
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        buttons.addWidget(self.reject_button)
        buttons.addWidget(self.approve_button)
        self.detail = QWidget()
        column = QVBoxLayout(self.detail)
        column.addWidget(self.title)
        column.addWidget(QLabel(self.tr("Why it needs approval:")))
        column.addWidget(self.reasons)
        column.addWidget(self.rate)
        column.addStretch(1)
        column.addWidget(self.comment)
        column.addWidget(self.error)
        column.addLayout(buttons)

        splitter = QSplitter()
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.splitter = splitter
        layout = QVBoxLayout(self)
        layout.addWidget(self.empty)
        layout.addWidget(splitter)
        self._show_list()
        self.freshness = Freshness(self, context.tasks, self.refresh)
        self.refresh()

    # ---- Public API

    def refresh(self) -> None:
        """Read the inbox again on the database thread."""
        if self.context.user is None:
            return
        self._generation += 1
        generation, user_id = self._generation, self.context.user_id

        def done(inbox: Inbox) -> None:
            if not isValid(self) or generation != self._generation:
                return
            self.inbox = inbox
            self.items = inbox.items
            self._show_list()
            self.sig_loaded.emit()

        QueryOp(self.context.tasks, lambda store: load_inbox(store, user_id, utcnow())).success(done).run()

    def selected(self) -> InboxItem | None:
        rows = self.table.selectionModel().selectedRows()
        return self.items[rows[0].row()] if rows and rows[0].row() < len(self.items) else None

    def open_selected(self) -> QWidget | None:
        """Open the chosen quote (read-only for an approver): its lines, terms, approvals and PDF."""
        from ui.dialogs.quote_dialog import QuoteDialog

        item = self.selected()
        if item is None:
            return None
        return open_form(QuoteDialog(self.context, self, quote_id=item.quote_id))

    def decide(self, quote_id: str, quote_version: int, decision: str, comment: str, *,
               confirm_rate: bool = False) -> None:
        """Record a decision (approval.decide); a refusal is shown under the buttons, in the user's language.
        A rate more than five days old is confirmed by asking the user (``confirm_rate``)."""
        self._refusal = None
        self.error.hide()
        self.approve_button.setEnabled(False)
        self.reject_button.setEnabled(False)
        args: dict[str, Any] = {"quote_id": quote_id, "quote_version": quote_version, "decision": decision,
                                "comment": comment}
        if confirm_rate:
            args["confirm_rate"] = True

        def ok(outcome: Any) -> None:
            if not isValid(self):
                return
            self.comment.clear()
            self._update_buttons()
            self.sig_decided.emit(outcome)
            self.refresh()

        def failed(exc: Exception) -> None:
            if not isValid(self):
                return
            if not args.get("confirm_rate") and confirm_stale_rate(
                    self, exc, self.context.language, self.tr("Decide with the drift measured against this rate?")):
                self._update_buttons()
                self.decide(quote_id, quote_version, decision, comment, confirm_rate=True)
                return
            text = describe(exc, self.context.language)
            self._refusal = (quote_id, text)
            self._show_refusal()
            self._update_buttons()
            self.sig_refused.emit(text)
            if isinstance(exc, DomainError) and exc.code == "stale_version":
                self.refresh()  # show the quote as it is now; the refusal stays until another choice

        MutationOp(self.context.tasks, self.context.user_id, "approval.decide", args).success(ok).failure(failed).run()

    # ---- Private API

    def _zh(self) -> bool:
        return self.context.language.lower().startswith("zh")

    def _show_list(self) -> None:
        chosen = self.selected()
        self._reasons.clear()
        self.model.set_inbox(self.inbox)
        self.table.resizeColumnsToContents()
        has_items = bool(self.items)
        self.empty.setVisible(not has_items)
        self.splitter.setVisible(has_items)
        if has_items:
            row = self.inbox.position(chosen.quote_id) if chosen is not None else None
            self.table.selectRow(row if row is not None else 0)
        self._show_selected()

    def _show_refusal(self) -> None:
        """The last refusal, while the quote it concerns is the one selected (or none is listed)."""
        item = self.selected()
        if self._refusal is not None and (item is None or item.quote_id == self._refusal[0]):
            self.error.setText(self._refusal[1])
            self.error.show()
        else:
            self._refusal = None
            self.error.hide()

    def _show_selected(self) -> None:
        item = self.selected()
        self._show_refusal()
        if item is None:
            self.title.clear()
            self.reasons.clear()
            self.rate.clear()
            self._update_buttons()
            return
        self.title.setText(self.tr("%1 — %2 rev. %3, %4 %5 (by %6)")
                           .replace("%1", item.customer).replace("%2", item.number)
                           .replace("%3", str(item.revision)).replace("%4", money_text(item.total))
                           .replace("%5", currency_name(item.currency)).replace("%6", item.owner))
        self._show_reasons(item)
        self.rate.setText(self._rate_text(item))
        self._update_buttons()

    def _show_reasons(self, item: InboxItem) -> None:
        """The chosen quote's reasons: at once when read before, else read on the database thread."""
        reasons = self._reasons.get(item.quote_id)
        if reasons is None:
            self.reasons.setText("…")
            generation, quote_id = self._generation, item.quote_id

            def done(found: tuple[Reason, ...]) -> None:
                if not isValid(self) or generation != self._generation:
                    return
                self._reasons[quote_id] = found
                chosen = self.selected()
                if chosen is not None and chosen.quote_id == quote_id:
                    self._show_reasons(chosen)

            QueryOp(self.context.tasks, lambda store: load_reasons(store, quote_id, utcnow())).success(done).run()
            return
        zh = self._zh()
        lines = []
        for reason in reasons:
            text = f"• {role_name(reason.role)}: {reason.reason_zh if zh else reason.reason_en}"
            if reason.new:
                text += " " + self.tr("(required since submission, at today's rate)")
            elif reason.earlier:
                text += " " + self.tr("(required at an earlier decision on this submission; it stays required)")
            lines.append(text)
        self.reasons.setText("\n".join(lines))
        self.sig_reasons_shown.emit()

    def _rate_text(self, item: InboxItem) -> str:
        if item.locked_rate is None:
            return ""
        if item.today_rate is None:
            return self.tr("Locked USD/CNY rate %1 of %2; no rate for today is cached here.") \
                .replace("%1", rate_text(item.locked_rate)).replace("%2", item.locked_rate_date or "")
        drift = self.model.drift_text(item)
        text = (self.tr("USD/CNY locked at %1 (%2); latest cached rate %3 (%4): drift %5%.")
                .replace("%1", rate_text(item.locked_rate)).replace("%2", item.locked_rate_date or "")
                .replace("%3", rate_text(item.today_rate)).replace("%4", item.today_rate_date or "").replace("%5", drift))
        status = item.rate_message_zh if self._zh() else item.rate_message_en
        if status:
            text += "\n" + status + ("" if item.rate_current else " ⚠")
        return text

    def _update_buttons(self) -> None:
        enabled = self.selected() is not None
        self.approve_button.setEnabled(enabled)
        self.reject_button.setEnabled(enabled)
        self.open_button.setEnabled(enabled)

    def _decide_selected(self, decision: str) -> None:
        item = self.selected()
        if item is not None:
            self.decide(item.quote_id, item.version, decision, self.comment.toPlainText().strip())
