"""Create a product, or edit one (sending only what changed)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QWidget

from desktop import product_import
from desktop.models import CURRENCIES, Product
from desktop.mutations.products import FIELDS
from desktop.store import Store
from ui.context import AppContext
from ui.forms import FormDialog, alive
from ui.labels import currency_name
from ui.ops import QueryOp

TEXT_FIELDS = ("code", "name", "unit")


class ProductDialog(FormDialog):
    """New product (product.create) when product_id is None, else edit it (product.update)."""

    sig_saved = Signal(object)
    """The product was created or changed; carries the desktop.mutations.Outcome."""

    def __init__(self, context: AppContext, parent: QWidget | None = None, product_id: str | None = None) -> None:
        super().__init__(context, parent)
        self.product_id = product_id
        self._original: dict[str, Any] = {}
        self.setWindowTitle(self.tr("New product") if product_id is None else self.tr("Edit product"))
        self.setMinimumWidth(460)

        self.edits: dict[str, QLineEdit] = {name: QLineEdit() for name in TEXT_FIELDS}
        self.edits["code"].setPlaceholderText(self.tr("Such as X200-A"))
        self.edits["unit"].setPlaceholderText(self.tr("Such as 台, 套, 个"))
        self.price_edit = QLineEdit()
        self.price_edit.setPlaceholderText(self.tr("Such as 12800.00"))
        self.currency_combo = QComboBox()
        for code in CURRENCIES:
            self.currency_combo.addItem(currency_name(code), code)
        self.active_check = QCheckBox(self.tr("Can be quoted"))
        self.active_check.setChecked(True)

        add = self.errors.add_row
        add(self.form, self.tr("Product code"), "code", self.edits["code"])
        add(self.form, self.tr("Product name"), "name", self.edits["name"])
        add(self.form, self.tr("Unit"), "unit", self.edits["unit"])
        add(self.form, self.tr("List price"), "list_price", self.price_edit)
        add(self.form, self.tr("Currency"), "currency", self.currency_combo)
        add(self.form, self.tr("Active"), "active", self.active_check)
        self.edits["code"].setFocus()

        if product_id is None:
            self._set_ready()
        else:
            QueryOp(context.tasks, lambda store: _load(store, product_id)) \
                .success(self._on_loaded).failure(self._on_load_failed).run()

    def values(self) -> dict[str, Any]:
        """What the form holds now, as mutation args (text as typed; the mutation trims it)."""
        values: dict[str, Any] = {name: edit.text() for name, edit in self.edits.items()}
        values["list_price"] = product_import.price_text(self.price_edit.text()) or None
        values["currency"] = self.currency_combo.currentData()
        values["active"] = self.active_check.isChecked()
        return values

    def save(self) -> None:
        """Create the product, or send the fields that changed."""
        values = self.values()
        if self.product_id is None:
            if self._check(FIELDS, values) and self._check_price(values):
                self._send("product.create", values)
        else:
            changed = {k: v for k, v in values.items() if _differs(k, v, self._original.get(k))}
            # Nothing changed still goes to the mutation, whose "Nothing was changed." is the message.
            if self._check(FIELDS, changed) and self._check_price(changed):
                self._send("product.update", {"id": self.product_id, **changed})

    # ---- Private API

    def _check_price(self, args: dict[str, Any]) -> bool:
        """More than two decimals: the mutation would round them away without a word."""
        if args.get("list_price") is None:
            return True
        _amount, problem = product_import.check_price(args["list_price"])
        if problem is not None:
            self.errors.show_exception(problem)
            return False
        return True

    def _on_loaded(self, product: Product | None) -> None:
        if not alive(self):
            return
        if product is None:
            self.errors.show_banner(self.tr("This product no longer exists."))
            return
        self._original = {"code": product.code, "name": product.name, "unit": product.unit,
                          "list_price": product.list_price, "currency": product.currency, "active": product.active}
        for name, edit in self.edits.items():
            edit.setText(self._original[name])
        self.price_edit.setText(format(product.list_price, "f"))
        self.currency_combo.setCurrentIndex(self.currency_combo.findData(product.currency))
        self.active_check.setChecked(product.active)
        self._set_ready()

    def _on_load_failed(self, exc: Exception) -> None:
        if alive(self):
            self.errors.show_exception(exc)


def _differs(name: str, value: Any, original: Any) -> bool:
    """Whether the form's value is a change, as the mutation would see it (text trimmed, prices as numbers)."""
    if name == "list_price":
        if value is None or original is None:
            return value is not None or original is not None
        try:
            return Decimal(value) != original
        except InvalidOperation:
            return True  # not an amount: send it, so the mutation says what is wrong with it
    if isinstance(value, str):
        return value.strip() != (original or "")
    return value != original


# ---- On the database thread

def _load(store: Store, product_id: str) -> Product | None:
    with store.read() as session:
        return session.get(Product, product_id)
