"""Add a contact to a customer, edit one (sending only what changed), or remove one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QWidget,
)

from desktop.models import DECISION_ROLES, Contact
from desktop.mutations.common import get_customer
from desktop.mutations.contacts import DETAILS, get_contact
from desktop.store import Store
from ui.context import AppContext
from ui.forms import FormDialog, alive
from ui.labels import decision_role_name
from ui.ops import QueryOp

TEXT_FIELDS = ("name", "title", "phone", "wechat", "email")
# last_reached_at is set by logging a touchpoint, not typed.
FORM_FIELDS = {name: field for name, field in DETAILS.items() if name != "last_reached_at"}


@dataclass(frozen=True)
class Loaded:
    customer_name: str
    contact: Contact | None


class ContactDialog(FormDialog):
    """New contact of customer_id (contact.add) when contact_id is None, else edit or remove contact_id."""

    sig_saved = Signal(object)
    """The contact was added, changed or removed; carries the desktop.mutations.Outcome."""

    def __init__(self, context: AppContext, parent: QWidget | None = None, customer_id: str | None = None,
                 contact_id: str | None = None, initial: dict[str, Any] | None = None) -> None:
        """``initial``: values to start from instead of the stored ones (a refused change sent again);
        where they differ from the stored contact, the stored value is shown under the field."""
        if customer_id is None and contact_id is None:
            raise ValueError("ContactDialog needs the customer to add to, or the contact to edit")
        super().__init__(context, parent)
        self.customer_id = customer_id
        self.contact_id = contact_id
        self._original: dict[str, Any] = {}
        self._initial = {k: v for k, v in (initial or {}).items() if k in FORM_FIELDS}
        self.setWindowTitle(self.tr("New contact") if contact_id is None else self.tr("Edit contact"))
        self.setMinimumWidth(460)

        self.customer_label = QLabel(self.tr("Loading…"))
        self.edits: dict[str, QLineEdit] = {name: QLineEdit() for name in TEXT_FIELDS}
        self.edits["email"].setPlaceholderText("name@example.com")
        self.role_combo = QComboBox()
        self.role_combo.setPlaceholderText(self.tr("Choose a role"))
        for code in DECISION_ROLES:
            self.role_combo.addItem(decision_role_name(code), code)
        self.role_combo.setCurrentIndex(-1)
        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setTabChangesFocus(True)

        self.form.addRow(self.tr("Customer"), self.customer_label)
        add = self.errors.add_row
        add(self.form, self.tr("Name"), "name", self.edits["name"])
        add(self.form, self.tr("Title"), "title", self.edits["title"])
        add(self.form, self.tr("Decision role"), "decision_role", self.role_combo)
        add(self.form, self.tr("Phone"), "phone", self.edits["phone"])
        add(self.form, self.tr("WeChat"), "wechat", self.edits["wechat"])
        add(self.form, self.tr("Email"), "email", self.edits["email"])
        add(self.form, self.tr("Notes"), "notes", self.notes_edit)
        self.remove_button = None
        if contact_id is not None:
            self.remove_button = self.buttons.addButton(self.tr("Remove contact"),
                                                        QDialogButtonBox.ButtonRole.DestructiveRole)
            self.remove_button.setEnabled(False)
            self.remove_button.clicked.connect(self.remove)
        self.edits["name"].setFocus()

        QueryOp(context.tasks, lambda store: _load(store, customer_id, contact_id)) \
            .success(self._on_loaded).failure(self._on_load_failed).run()

    def values(self) -> dict[str, Any]:
        """What the form holds now, as mutation args (text as typed; the mutation trims it)."""
        values: dict[str, Any] = {name: edit.text() for name, edit in self.edits.items()}
        values["decision_role"] = self.role_combo.currentData()
        values["notes"] = self.notes_edit.toPlainText()
        return values

    def save(self) -> None:
        """Add the contact, or send the fields that changed."""
        values = self.values()
        if self.contact_id is None:
            if self._check(FORM_FIELDS, values):
                self._send("contact.add", {"customer_id": self.customer_id,
                                           **{k: v for k, v in values.items() if v is not None}})
        else:
            changed = {k: v for k, v in values.items() if _differs(v, self._original.get(k))}
            if self._check(FORM_FIELDS, changed):
                self._send("contact.update", {"id": self.contact_id, **changed})

    def remove(self) -> None:
        """Remove the contact (contact.remove) after the user confirms; the touchpoints naming them stay."""
        name = self._original.get("name", "")
        answer = QMessageBox.question(
            self, self.tr("Remove contact"),
            self.tr("Remove %1 from this customer's contacts? Touchpoints that mention them are kept.")
            .replace("%1", name))
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.errors.clear()
        if self.remove_button is not None:
            self.remove_button.setEnabled(False)
        self._send("contact.remove", {"id": self.contact_id})

    # ---- Private API

    def _on_loaded(self, loaded: Loaded) -> None:
        if not alive(self):
            return
        self.customer_label.setText(loaded.customer_name)
        contact = loaded.contact
        if contact is not None:
            self.customer_id = contact.customer_id
            self._original = {name: getattr(contact, name) for name in FORM_FIELDS}
            for name, edit in self.edits.items():
                edit.setText(getattr(contact, name))
            self.role_combo.setCurrentIndex(self.role_combo.findData(contact.decision_role))
            self.notes_edit.setPlainText(contact.notes)
            if self.remove_button is not None:
                self.remove_button.setEnabled(True)
        if self._initial:
            self._start_from(self._initial)
        self._set_ready()

    def _start_from(self, values: dict[str, Any]) -> None:
        """Put values in the form; under each that differs from the stored contact, say what is stored."""
        before = {name: self._shown(name) for name in values}
        for name, value in values.items():
            text = "" if value is None else str(value)
            if name in self.edits:
                self.edits[name].setText(text)
            elif name == "decision_role":
                index = self.role_combo.findData(value)
                if index >= 0:
                    self.role_combo.setCurrentIndex(index)
            elif name == "notes":
                self.notes_edit.setPlainText(text)
        if self.contact_id is None:
            return
        for name, value in values.items():
            if _differs(value, self._original.get(name)):
                self.errors.show_hint(name, self.tr("On the server: %1").replace("%1", before[name] or self.tr("(empty)")))

    def _shown(self, name: str) -> str:
        if name in self.edits:
            return self.edits[name].text()
        if name == "decision_role":
            return self.role_combo.currentText()
        return self.notes_edit.toPlainText() if name == "notes" else ""

    def _on_load_failed(self, exc: Exception) -> None:
        if alive(self):
            self.customer_label.clear()
            self.errors.show_exception(exc)

    def _on_failed(self, exc: Exception) -> None:
        super()._on_failed(exc)
        if alive(self) and self.remove_button is not None:
            self.remove_button.setEnabled(True)


def _differs(value: Any, original: Any) -> bool:
    if isinstance(value, str):
        return value.strip() != (original or "")
    return value != original


# ---- On the database thread

def _load(store: Store, customer_id: str | None, contact_id: str | None) -> Loaded:
    with store.read() as session:
        contact = get_contact(session, contact_id) if contact_id is not None else None
        customer = get_customer(session, contact.customer_id if contact else customer_id)
        return Loaded(customer.name, contact)
