"""Products: the catalogue everyone quotes from, searchable by code or name. Finance, the finance
director, sales managers and admins add and edit products, one by one or from a CSV file; everyone
else sees the list read-only."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
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

from desktop.models import Product
from desktop.mutations.products import CATALOGUE_KEEPERS
from desktop.store import Store
from ui.context import AppContext
from ui.forms import open_form
from ui.freshness import Freshness
from ui.labels import currency_name, money_text
from ui.ops import QueryOp, describe


@dataclass(frozen=True)
class ProductRow:
    id: str
    code: str
    name: str
    unit: str
    list_price: Decimal
    currency: str
    active: bool


def load_products(store: Store) -> list[ProductRow]:
    """On the database thread: the whole catalogue, by code."""
    with store.read() as session:
        return [ProductRow(p.id, p.code, p.name, p.unit, p.list_price, p.currency, p.active)
                for p in session.scalars(select(Product).order_by(Product.code))]


class ProductsPage(QWidget):
    """The catalogue in a table; a search box narrows it; keepers add, edit and import products."""

    sig_loaded = Signal(int)
    """The catalogue was read and shown; carries how many products are listed (after the search)."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.products: list[ProductRow] = []  # the whole catalogue
        self.rows: list[ProductRow] = []  # those shown, in table order
        self._generation = 0
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(self.tr("Search by code or name"))
        self.search_edit.setClearButtonEnabled(True)
        self.search_edit.textChanged.connect(lambda _text: self._show())
        self.new_button = QPushButton(self.tr("New product…"))
        self.new_button.clicked.connect(lambda: self.edit(None))
        self.edit_button = QPushButton(self.tr("Edit…"))
        self.edit_button.clicked.connect(lambda: self.edit(self.table.currentRow()))
        self.import_button = QPushButton(self.tr("Import from CSV…"))
        self.import_button.clicked.connect(lambda: self.import_file())
        self.count = QLabel()
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels([self.tr("Code"), self.tr("Name"), self.tr("Unit"),
                                              self.tr("List price"), self.tr("Active")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.cellDoubleClicked.connect(lambda row, _column: self.edit(row))
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.status = QLabel()
        self.status.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.search_edit, 1)
        top.addWidget(self.new_button)
        top.addWidget(self.edit_button)
        top.addWidget(self.import_button)
        top.addWidget(self.count)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        # Its own changes, or a sync (None), which brings the catalogue kept elsewhere.
        self.freshness = Freshness(self, context.tasks, self.refresh, concerns=lambda o: o is None or str(
            getattr(o, "name", "")).startswith("product."))
        context.sig_user_changed.connect(lambda _user: self._on_user_changed())
        self._update_buttons()
        self.refresh()

    # ---- Public API

    @property
    def may_edit(self) -> bool:
        """Whether the signed-in user keeps the catalogue."""
        user = self.context.user
        return user is not None and user.role in CATALOGUE_KEEPERS

    def refresh(self) -> None:
        """Read the catalogue again on the database thread."""
        self._generation += 1
        generation = self._generation

        def done(products: list[ProductRow]) -> None:
            if isValid(self) and generation == self._generation:
                self.products = products
                self._show()

        QueryOp(self.context.tasks, load_products).success(done).failure(self._failed).run()

    def edit(self, row: int | None) -> QWidget | None:
        """Open the product in this table row (None: a new product); returns the dialog (for tests)."""
        from ui.dialogs.product_dialog import ProductDialog

        if not self.may_edit or (row is not None and not 0 <= row < len(self.rows)):
            return None
        return open_form(ProductDialog(self.context, self, None if row is None else self.rows[row].id))

    def import_file(self) -> QWidget | None:
        """Open the import dialog for a products CSV; returns it (for tests)."""
        from ui.dialogs.import_dialog import ImportDialog, ProductImporter

        if not self.may_edit:
            return None
        return open_form(ImportDialog(self.context, self, importer=ProductImporter()))

    # ---- Qt events

    # ---- Private API

    def _on_user_changed(self) -> None:
        if not isValid(self):
            return
        self._update_buttons()
        if self.isVisible():
            self.refresh()
        else:
            self.freshness.stale = True

    def _show(self) -> None:
        needle = _fold(self.search_edit.text().strip())
        self.rows = [p for p in self.products
                     if not needle or needle in _fold(p.code) or needle in _fold(p.name)]
        self.table.setRowCount(len(self.rows))
        for row, product in enumerate(self.rows):
            price = QTableWidgetItem(f"{money_text(product.list_price)} {currency_name(product.currency)}")
            price.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            cells = [QTableWidgetItem(product.code), QTableWidgetItem(product.name), QTableWidgetItem(product.unit),
                     price, QTableWidgetItem(self.tr("yes") if product.active else self.tr("no"))]
            for column, item in enumerate(cells):
                if not product.active:
                    item.setForeground(Qt.GlobalColor.gray)
                self.table.setItem(row, column, item)
        self.count.setText(self.tr("%n product(s)", "", len(self.rows)))
        self.status.clear()
        self._update_buttons()
        self.sig_loaded.emit(len(self.rows))

    def _failed(self, exc: Exception) -> None:
        if isValid(self):
            self.status.setText(describe(exc, self.context.language))

    def _update_buttons(self) -> None:
        allowed = self.may_edit
        why = "" if allowed else self.tr("Only finance, the finance director, sales managers and administrators "
                                         "can change the product catalogue.")
        for button in (self.new_button, self.edit_button, self.import_button):
            button.setToolTip(why)
        self.new_button.setEnabled(allowed)
        self.import_button.setEnabled(allowed)
        self.edit_button.setEnabled(allowed and 0 <= self.table.currentRow() < len(self.rows))


def _fold(text: str) -> str:
    """Text as the search compares it: full-width = half-width, case ignored."""
    return unicodedata.normalize("NFKC", text).casefold()
