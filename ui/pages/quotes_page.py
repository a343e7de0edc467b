"""Quotes: every quote of the customers the user sees, newest first; a double-click opens one in the
quote builder, *New quote…* starts one for a customer picked in the builder."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid
from sqlalchemy import select

from desktop.cut import Cut, cut
from desktop.models import QUOTE_STATUSES, Customer, Quote, User
from desktop.permissions import visible_customers
from desktop.store import Store
from ui.context import AppContext
from ui.forms import open_form
from ui.freshness import Freshness
from ui.labels import currency_name, cut_text, local_time, money_text, quote_status_name
from ui.ops import QueryOp


@dataclass(frozen=True)
class QuoteRow:
    id: str
    number: str
    revision: int
    customer: str
    status: str
    currency: str
    total: Decimal
    owner: str
    updated_at: datetime


LIMIT = 2000  # rows shown; the search and the status narrow the list to what is wanted
SEARCH_DELAY_MS = 250


def load_quotes(store: Store, user_id: str, include_superseded: bool, limit: int = LIMIT, *, text: str = "",
                status: str | None = None) -> list[QuoteRow]:
    """On the database thread: the quotes of the customers the user sees, most recently changed first;
    ``text`` narrows them to a number or customer name containing it, ``status`` to one state."""
    return load_quote_list(store, user_id, include_superseded, limit, text=text, status=status).rows


def load_quote_list(store: Store, user_id: str, include_superseded: bool, limit: int = LIMIT, *, text: str = "",
                    status: str | None = None) -> Cut[QuoteRow]:
    """:func:`load_quotes`, with how many quotes match in all (counted only when the list is full)."""
    with store.read() as session:
        user = session.get(User, user_id)
        if user is None:
            return Cut([], 0)
        query = (select(Quote, Customer.name, User.display_name)
                 .join(Customer, Customer.id == Quote.customer_id)
                 .join(User, User.id == Quote.owner_id)
                 .where(visible_customers(user), Customer.deleted_at.is_(None))
                 .order_by(Quote.updated_at.desc(), Quote.number.desc()))
        if status:
            query = query.where(Quote.status == status)
        elif not include_superseded:
            query = query.where(Quote.status != "superseded")
        needle = text.strip()
        if needle:
            pattern = "%" + needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            query = query.where(Quote.number.ilike(pattern, escape="\\") | Customer.name.ilike(pattern, escape="\\"))
        rows = [QuoteRow(q.id, q.number, q.revision, customer, q.status, q.currency, q.total, owner, q.updated_at)
                for q, customer, owner in session.execute(query.limit(limit))]
        return cut(session, rows, query, limit)


class QuotesPage(QWidget):
    sig_loaded = Signal()
    """The list was read again."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.rows: list[QuoteRow] = []
        self.total = 0  # quotes matching in all; more than the rows when the list is cut at LIMIT
        self.more = False  # more than total (desktop.cut.CAP) match
        self._generation = 0
        self.new_button = QPushButton(self.tr("New quote…"))
        self.new_button.clicked.connect(self.new_quote)
        self.open_button = QPushButton(self.tr("Open…"))
        self.open_button.clicked.connect(self.open_selected)
        self.superseded = QCheckBox(self.tr("Show superseded revisions"))
        self.superseded.toggled.connect(lambda _on: self.refresh())
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Quote number or customer"))
        self.search.setClearButtonEnabled(True)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.status = QComboBox()
        self.status.addItem(self.tr("Any status"), "")
        for code in QUOTE_STATUSES:
            self.status.addItem(quote_status_name(code), code)
        self.status.currentIndexChanged.connect(lambda _i: self.refresh())
        self.count = QLabel()
        self.table = QTableWidget(0, 7)
        self.table.setHorizontalHeaderLabels([self.tr("Quote"), self.tr("Customer"), self.tr("Status"),
                                              self.tr("Currency"), self.tr("Total"), self.tr("Owner"),
                                              self.tr("Changed")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.cellDoubleClicked.connect(lambda row, _col: self.open_row(row))
        top = QHBoxLayout()
        top.addWidget(self.new_button)
        top.addWidget(self.open_button)
        top.addWidget(self.search, 1)
        top.addWidget(self.status)
        top.addWidget(self.superseded)
        top.addWidget(self.count)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table)
        self.freshness = Freshness(self, context.tasks, self.refresh)
        self.refresh()

    def refresh(self) -> None:
        if self.context.user is None:
            return
        self._generation += 1
        generation, user_id, superseded = self._generation, self.context.user_id, self.superseded.isChecked()
        text, status = self.search.text(), self.status.currentData() or None

        def done(found: Cut[QuoteRow]) -> None:
            if isValid(self) and generation == self._generation:
                self.rows = found.rows
                self.total, self.more = found.total, found.more
                self._show()
                self.sig_loaded.emit()

        QueryOp(self.context.tasks,
                lambda store: load_quote_list(store, user_id, superseded, LIMIT, text=text, status=status)) \
            .success(done).run()

    def new_quote(self) -> None:
        from ui.dialogs.quote_dialog import QuoteDialog

        self.dialog = open_form(QuoteDialog(self.context, self))

    def open_row(self, row: int) -> None:
        from ui.dialogs.quote_dialog import QuoteDialog

        if 0 <= row < len(self.rows):
            self.dialog = open_form(QuoteDialog(self.context, self, quote_id=self.rows[row].id))

    def open_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.open_row(rows[0].row())

    # ---- Private API

    def _show(self) -> None:
        self.table.setRowCount(len(self.rows))
        for row, quote in enumerate(self.rows):
            cells = [self.tr("%1 rev. %2").replace("%1", quote.number).replace("%2", str(quote.revision)),
                     quote.customer, quote_status_name(quote.status), currency_name(quote.currency),
                     money_text(quote.total), quote.owner, local_time(quote.updated_at)]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col == 4:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, item)
        if self.total > len(self.rows):
            self.count.setText(cut_text(len(self.rows), self.total, self.more) + " · " + self.tr("search to find others."))
        else:
            self.count.setText(self.tr("%n quote(s)", "", len(self.rows)))
