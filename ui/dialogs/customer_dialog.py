"""Create a customer, or edit one's profile (sending only what changed)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QLineEdit, QPlainTextEdit, QWidget

from desktop.lookups import assignable_owners
from desktop.models import CUSTOMER_STATUSES, SEGMENTS, Customer, User
from desktop.mutations.common import get_customer
from desktop.mutations.customers import PROFILE
from desktop.store import Store
from ui.context import AppContext
from ui.forms import FormDialog, alive
from ui.labels import customer_status_name, role_name, segment_name
from ui.ops import QueryOp

TEXT_FIELDS = ("name", "short_name", "region", "city", "address", "industry", "phone")


@dataclass(frozen=True)
class Loaded:
    owners: list[User]
    customer: Customer | None


class CustomerDialog(FormDialog):
    """New customer (customer.create) when customer_id is None, else edit it (customer.update)."""

    sig_saved = Signal(object)
    """The customer was created or changed; carries the desktop.mutations.Outcome."""

    def __init__(self, context: AppContext, parent: QWidget | None = None, customer_id: str | None = None,
                 initial: dict[str, Any] | None = None) -> None:
        """``initial``: values to start from instead of the stored ones (a refused change sent again);
        where they differ from the stored customer, the stored value is shown under the field."""
        super().__init__(context, parent)
        self.customer_id = customer_id
        self._original: dict[str, Any] = {}
        self._initial = {k: v for k, v in (initial or {}).items() if k in PROFILE}
        self.setWindowTitle(self.tr("New customer") if customer_id is None else self.tr("Edit customer"))
        self.setMinimumWidth(520)

        self.edits: dict[str, QLineEdit] = {name: QLineEdit() for name in TEXT_FIELDS}
        self.owner_combo = QComboBox()
        self.owner_combo.setPlaceholderText(self.tr("Choose an owner"))
        self.segment_combo = QComboBox()
        for code in SEGMENTS:
            self.segment_combo.addItem(segment_name(code), code)
        self.segment_combo.setCurrentIndex(self.segment_combo.findData("standard"))
        self.status_combo = QComboBox()
        for code in CUSTOMER_STATUSES:
            self.status_combo.addItem(customer_status_name(code), code)
        self.status_combo.setCurrentIndex(self.status_combo.findData("active"))
        self.credit_limit_edit = QLineEdit()
        self.credit_limit_edit.setPlaceholderText(self.tr("Amount in yuan, such as 50000.00; empty for none"))
        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setTabChangesFocus(True)

        add = self.errors.add_row
        add(self.form, self.tr("Customer name"), "name", self.edits["name"])
        add(self.form, self.tr("Short name"), "short_name", self.edits["short_name"])
        add(self.form, self.tr("Owner"), "owner_id", self.owner_combo)
        add(self.form, self.tr("Region"), "region", self.edits["region"])
        add(self.form, self.tr("City"), "city", self.edits["city"])
        add(self.form, self.tr("Address"), "address", self.edits["address"])
        add(self.form, self.tr("Industry"), "industry", self.edits["industry"])
        add(self.form, self.tr("Segment"), "segment", self.segment_combo)
        add(self.form, self.tr("Status"), "status", self.status_combo)
        add(self.form, self.tr("Phone"), "phone", self.edits["phone"])
        add(self.form, self.tr("Credit limit"), "credit_limit", self.credit_limit_edit)
        add(self.form, self.tr("Notes"), "notes", self.notes_edit)
        self.edits["name"].setFocus()

        user_id = context.user_id
        QueryOp(context.tasks, lambda store: _load(store, user_id, customer_id)) \
            .success(self._on_loaded).failure(self._on_load_failed).run()

    def values(self) -> dict[str, Any]:
        """What the form holds now, as mutation args (text as typed; the mutation trims it)."""
        values: dict[str, Any] = {name: edit.text() for name, edit in self.edits.items()}
        values["owner_id"] = self.owner_combo.currentData()
        values["segment"] = self.segment_combo.currentData()
        values["status"] = self.status_combo.currentData()
        values["credit_limit"] = self.credit_limit_edit.text().strip() or None
        values["notes"] = self.notes_edit.toPlainText()
        return values

    def save(self) -> None:
        """Create the customer, or send the fields that changed."""
        values = self.values()
        if self.customer_id is None:
            fields = dict(PROFILE)
            if self.owner_combo.count():  # nobody to choose: let the mutation say why (e.g. the role)
                fields["owner_id"] = replace(PROFILE["owner_id"], required=True)
            args = {k: v for k, v in values.items() if v is not None}
            args.setdefault("owner_id", None)
            if self._check(fields, args):
                args = {k: v for k, v in args.items() if v is not None}
                self._send("customer.create", args)
        else:
            changed = {k: v for k, v in values.items() if _differs(k, v, self._original.get(k))}
            # Nothing changed still goes to the mutation, whose "Nothing was changed." is the message.
            if self._check(PROFILE, changed):
                self._send("customer.update", {"id": self.customer_id, **changed})

    # ---- Private API

    def _on_loaded(self, loaded: Loaded) -> None:
        if not alive(self):
            return
        for owner in loaded.owners:
            self.owner_combo.addItem(f"{owner.display_name} · {role_name(owner.role)}", owner.id)
        customer = loaded.customer
        if customer is None:
            self.owner_combo.setCurrentIndex(self.owner_combo.findData(self.context.user_id))
        else:
            self._original = {name: getattr(customer, name) for name in PROFILE}
            for name, edit in self.edits.items():
                edit.setText(getattr(customer, name))
            self.owner_combo.setCurrentIndex(self.owner_combo.findData(customer.owner_id))
            self.segment_combo.setCurrentIndex(self.segment_combo.findData(customer.segment))
            self.status_combo.setCurrentIndex(self.status_combo.findData(customer.status))
            limit = customer.credit_limit
            self.credit_limit_edit.setText("" if limit is None else format(limit, "f"))
            self.notes_edit.setPlainText(customer.notes)
        if self._initial:
            self._start_from(self._initial)
        self._set_ready()

    def _on_load_failed(self, exc: Exception) -> None:
        if alive(self):
            self.errors.show_exception(exc)

    def _start_from(self, values: dict[str, Any]) -> None:
        """Put values in the form; under each that differs from the stored customer, say what is stored."""
        shown_before = {name: self._shown(name) for name in values}
        for name, value in values.items():
            if name in self.edits:
                self.edits[name].setText("" if value is None else str(value))
            elif name in ("owner_id", "segment", "status"):
                combo = {"owner_id": self.owner_combo, "segment": self.segment_combo, "status": self.status_combo}[name]
                index = combo.findData(value)
                if index >= 0:
                    combo.setCurrentIndex(index)
            elif name == "credit_limit":
                self.credit_limit_edit.setText("" if value is None else str(value))
            elif name == "notes":
                self.notes_edit.setPlainText("" if value is None else str(value))
        if self.customer_id is None:
            return
        for name, value in values.items():
            if _differs(name, value, self._original.get(name)):
                self.errors.show_hint(name, self.tr("On the server: %1").replace(
                    "%1", shown_before[name] or self.tr("(empty)")))

    def _shown(self, name: str) -> str:
        """The field's value as the form shows it now."""
        if name in self.edits:
            return self.edits[name].text()
        combo = {"owner_id": self.owner_combo, "segment": self.segment_combo, "status": self.status_combo}.get(name)
        if combo is not None:
            return combo.currentText()
        if name == "credit_limit":
            return self.credit_limit_edit.text()
        return self.notes_edit.toPlainText() if name == "notes" else ""


def _differs(name: str, value: Any, original: Any) -> bool:
    """Whether the form's value is a change, as the mutation would see it (text trimmed, amounts as numbers)."""
    if name == "credit_limit":
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

def _load(store: Store, user_id: str, customer_id: str | None) -> Loaded:
    with store.read() as session:
        actor = session.get(User, user_id)
        customer = get_customer(session, customer_id, "id") if customer_id is not None else None
        if actor is None:
            return Loaded([], customer)
        return Loaded(assignable_owners(session, actor, customer.owner_id if customer else None), customer)
