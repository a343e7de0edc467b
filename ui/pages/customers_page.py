"""Customers of one scope: a list filtered as you type, and the chosen customer's detail beside it."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from desktop import customer_list
from desktop.customer_list import CustomerFilter, Owner
from desktop.permissions import OWNERS
from desktop.store import Store
from ui.context import AppContext
from ui.customer_detail import CustomerDetail
from ui.customer_list_model import CustomerListModel
from ui.forms import open_form
from ui.freshness import Freshness
from ui.ops import QueryOp
from ui.signals import blocked

# Typing pauses this long before the list is filtered: one query per pause, not per key.
FILTER_DELAY_MS = 250
# Mutations in one batch each announce themselves; refresh once for all of them.
REFRESH_DELAY_MS = 50
COLUMN_WIDTHS = (260, 110, 90, 70, 70, 90, 70, 70, 110)


class CustomersPage(QWidget):
    """The customer list of a scope ("mine", "team" or "all") with the selected customer's detail."""

    sig_customer_selected = Signal(str)
    """The detail now shows this customer (its id)."""

    sig_list_loaded = Signal(int)
    """The list was read again (filter, sort or data change); carries the number of customers."""

    def __init__(self, context: AppContext, scope: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.scope = scope
        self._selected_rid: int | None = None
        self._waiting_for_rid: int | None = None  # selected before its row was read

        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText(self.tr("Filter by name, city, address, industry…"))
        self.filter_edit.setClearButtonEnabled(True)
        self.owner_combo = QComboBox()
        # "" rather than None for "any": PySide6 6.12 mishandles a None read back from an item (see ui.signals)
        self.owner_combo.addItem(self.tr("All owners"), "")
        self.owner_combo.setVisible(scope != "mine")
        self.region_combo = QComboBox()
        self.region_combo.addItem(self.tr("All regions"), "")
        # A combo is as wide as its longest item; a long owner or region name must not widen the window.
        for combo in (self.owner_combo, self.region_combo):
            combo.setMinimumWidth(combo.fontMetrics().averageCharWidth() * 8)
        self.new_button = QPushButton(self.tr("New customer…"))
        user = context.user
        self.new_button.setEnabled(user is not None and (user.role in OWNERS or user.role == "admin"))
        self.count_label = QLabel()
        self.count_label.setWordWrap(True)  # it also shows error messages, which must not widen the window

        self.model = CustomerListModel(context, scope, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        # Fixed row heights and interactive columns: nothing measures all 100k rows.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate(COLUMN_WIDTHS):
            self.table.setColumnWidth(column, width)
        header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)  # header clicks call model.sort, which sorts in the database

        self.detail = CustomerDetail(context)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        filters = QHBoxLayout()
        filters.addWidget(self.filter_edit, 1)
        filters.addWidget(self.owner_combo)
        filters.addWidget(self.region_combo)
        filters.addWidget(self.new_button)
        left_layout.addLayout(filters)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.count_label)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.splitter)

        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DELAY_MS)
        self._filter_timer.timeout.connect(self.apply_filter)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_DELAY_MS)
        self._refresh_timer.timeout.connect(self._refresh_after_change)

        self.filter_edit.textChanged.connect(lambda _text: self._filter_timer.start())
        self.owner_combo.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.region_combo.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.new_button.clicked.connect(self._new_customer)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row)
        self.table.doubleClicked.connect(self._on_double_click)
        self.model.sig_loading.connect(lambda: self.count_label.setText(self.tr("Loading…")))
        self.model.sig_reloaded.connect(self._on_reloaded)
        self.model.sig_rows_loaded.connect(self._on_rows_loaded)
        self.model.sig_failed.connect(self.count_label.setText)
        # After a change the list is read again a moment later (a burst of changes reads it once).
        self.freshness = Freshness(self, context.tasks, self._refresh_timer.start)

        if self.model.loading:
            self.count_label.setText(self.tr("Loading…"))  # asked for when sorting was enabled above
        self._load_choices()
        self.apply_filter()

    # ---- Public API

    def apply_filter(self) -> None:
        """Filter the list by what is typed and chosen now (the typing delay is skipped)."""
        self._filter_timer.stop()
        self.model.set_filter(self.filter_edit.text(), self.owner_combo.currentData(),
                              self.region_combo.currentData())

    def select_row(self, row: int) -> None:
        """Select the list row (and show its customer in the detail)."""
        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.table.scrollTo(index)

    # ---- Private API

    def _load_choices(self) -> None:
        user = self.context.user
        if user is None:
            return
        flt = CustomerFilter(self.scope, user)
        want_owners = self.scope != "mine"

        def op(store: Store) -> tuple[list[Owner], list[str]]:
            with store.read() as session:
                return (customer_list.owners(session, flt) if want_owners else []), customer_list.regions(session)

        QueryOp(self.context.tasks, op).success(self._show_choices).run()

    def _show_choices(self, choices: tuple[list[Owner], list[str]]) -> None:
        if not isValid(self):
            return  # the page was closed while the choices were read
        owners, regions = choices
        for combo, items in ((self.owner_combo, [(o.display_name, o.id) for o in owners]),
                             (self.region_combo, [(r, r) for r in regions])):
            current = combo.currentData()
            with blocked(combo):
                while combo.count() > 1:
                    combo.removeItem(1)
                for text, data in items:
                    combo.addItem(text, data)
                found = combo.findData(current) if current else 0
                combo.setCurrentIndex(max(found, 0))
            if current and found < 0:
                self.apply_filter()  # the chosen owner or region is gone: show everyone again

    def _on_current_row(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        self._show_row(current.row())

    def _on_double_click(self, index: QModelIndex) -> None:
        self._show_row(index.row())
        sizes = self.splitter.sizes()
        if len(sizes) == 2 and sizes[1] == 0:  # the detail was collapsed: open it
            self.splitter.setSizes([sizes[0] // 2, sizes[0] - sizes[0] // 2])

    def _show_row(self, row: int) -> None:
        rid = self.model.rid_at(row)
        if rid is None:
            return
        self._selected_rid = rid
        customer_id = self.model.customer_id_at(row)
        if customer_id is None:
            self._waiting_for_rid = rid  # its page is being read; shown when it arrives
            return
        self._waiting_for_rid = None
        if customer_id != self.detail.customer_id:
            self.detail.show_customer(customer_id)
            self.sig_customer_selected.emit(customer_id)

    def _on_rows_loaded(self) -> None:
        if self._waiting_for_rid is not None:
            row = self.model.row_of_rid(self._waiting_for_rid)
            if row is not None and self.model.is_loaded(row):
                self._show_row(row)

    def _on_reloaded(self) -> None:
        count = self.model.rowCount()
        self.count_label.setText(self.tr("%n customer(s)", "", count))
        if self._selected_rid is not None:
            row = self.model.row_of_rid(self._selected_rid)
            if row is not None and self.table.selectionModel().currentIndex().row() != row:
                # Selecting the customer shown already does not read it again (see _show_row).
                self.select_row(row)
        elif count:
            self.select_row(0)  # the page opens on its first customer rather than an empty detail
        self.sig_list_loaded.emit(count)

    def _refresh_after_change(self) -> None:
        if not self.isVisible():
            self.freshness.stale = True  # hidden before the delay ended: read again when shown
            return
        self.model.refresh(data_changed=True)
        self._load_choices()

    def _new_customer(self) -> None:
        from ui.dialogs.customer_dialog import CustomerDialog

        open_form(CustomerDialog(self.context, self, customer_id=None))
