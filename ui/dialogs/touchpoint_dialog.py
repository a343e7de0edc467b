"""Log a touchpoint: who was reached, how, when, what was said, how it landed and what comes next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QDate, QDateTime, Qt, QTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)
from sqlalchemy.orm import Session

from desktop import follow_ups, mutations, timeutil
from desktop.lookups import live_contacts
from desktop.models import CHANNELS, REACTIONS, Customer
from desktop.mutations.common import get_customer
from desktop.store import Store
from ui.context import AppContext
from ui.customer_picker import CustomerPicker
from ui.forms import FormDialog, alive
from ui.labels import channel_name, reaction_name
from ui.ops import QueryOp

FIELDS = mutations.REGISTRY["touchpoint.log"].fields


@dataclass(frozen=True)
class ContactChoice:
    id: str
    name: str
    title: str


def local_to_utc_text(value: QDateTime) -> str:
    """A local date and time from a Qt editor as the UTC text mutations take."""
    return timeutil.to_text(datetime.fromtimestamp(value.toMSecsSinceEpoch() / 1000, UTC))


class TouchpointDialog(FormDialog):
    """Record one touchpoint with a customer (touchpoint.log)."""

    sig_saved = Signal(object)
    """The touchpoint was logged; carries the desktop.mutations.Outcome."""

    def __init__(self, context: AppContext, parent: QWidget | None = None, customer_id: str | None = None,
                 initial: dict[str, Any] | None = None) -> None:
        """``initial``: touchpoint.log args to start from (a refused touchpoint sent again); needs customer_id."""
        super().__init__(context, parent)
        self._initial = dict(initial or {})
        self.setWindowTitle(self.tr("Log a touchpoint"))
        self.setMinimumWidth(520)
        self._contacts_seq = 0
        self._auto_with_whom = ""

        self.customer_picker = CustomerPicker(context)
        self.contact_combo = QComboBox()
        self.channel_combo = QComboBox()
        for code in CHANNELS:
            self.channel_combo.addItem(channel_name(code), code)
        # A visit goes through the visit dialog (it needs its evidence): never the default here.
        self.channel_combo.setCurrentIndex(next(i for i, code in enumerate(CHANNELS) if code != "visit"))
        self.when_edit = QDateTimeEdit(QDateTime.currentDateTime())
        self.when_edit.setCalendarPopup(True)
        self.when_edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.with_whom_edit = QLineEdit()
        self.summary_edit = QPlainTextEdit()
        self.summary_edit.setPlaceholderText(self.tr("What was said, shown, agreed or asked for"))
        self.summary_edit.setTabChangesFocus(True)
        self.reaction_combo = QComboBox()
        for code in REACTIONS:
            self.reaction_combo.addItem(reaction_name(code), code)
        self.reaction_combo.setCurrentIndex(self.reaction_combo.findData("unknown"))
        self.reaction_note_edit = QPlainTextEdit()
        self.reaction_note_edit.setTabChangesFocus(True)
        self.reaction_note_edit.setMaximumHeight(70)
        self.next_step_edit = QLineEdit()
        self.due_edit = OptionalDateEdit(self.tr("Due by"))
        # The user's open follow-ups here: this touchpoint completes one only when the user says so.
        self.follow_up_combo = QComboBox()
        self.follow_up_combo.setToolTip(self.tr("A follow-up stays open on Today's plan until you close it."))

        add = self.errors.add_row
        add(self.form, self.tr("Customer"), "customer_id", self.customer_picker,
            outline=self.customer_picker.line_edit)
        add(self.form, self.tr("Contact"), "contact_id", self.contact_combo)
        add(self.form, self.tr("Channel"), "channel", self.channel_combo)
        add(self.form, self.tr("When"), "occurred_at", self.when_edit)
        add(self.form, self.tr("With whom"), "with_whom", self.with_whom_edit)
        add(self.form, self.tr("What was said"), "summary", self.summary_edit)
        add(self.form, self.tr("Customer's reaction"), "reaction", self.reaction_combo)
        add(self.form, self.tr("Reaction details"), "reaction_note", self.reaction_note_edit)
        add(self.form, self.tr("Next step"), "next_step", self.next_step_edit)
        add(self.form, self.tr("Next step due"), "next_step_due", self.due_edit, outline=self.due_edit.date_edit)
        add(self.form, self.tr("Completes follow-up"), "closes_follow_up_id", self.follow_up_combo)
        self.save_button.setText(self.tr("Log touchpoint"))

        self._set_contacts([])
        self._set_follow_ups([])
        self.contact_combo.currentIndexChanged.connect(self._on_contact_changed)
        self.customer_picker.sig_changed.connect(self._load_contacts)
        self.channel_combo.activated.connect(self._on_channel_chosen)
        if customer_id is None:
            self._set_ready()
            self.customer_picker.line_edit.setFocus()
        else:
            self.customer_picker.set_fixed(customer_id, self.tr("Loading…"))
            user_id = context.user_id
            QueryOp(context.tasks, lambda store: _customer_and_contacts(store, customer_id, user_id)) \
                .success(self._on_customer_loaded).failure(self._on_load_failed).run()
            self.summary_edit.setFocus()

    def save(self) -> None:
        """Check the form and log the touchpoint."""
        args = self._args()
        ok = self._check(FIELDS, args)
        if args["customer_id"] is None and self.customer_picker.line_edit.text().strip():
            # Typed, but not chosen: "required" would read as if nothing had been entered.
            self.errors.show_field("customer_id", self.tr("Choose the customer from the list under the search box."))
        if ok:
            self._send("touchpoint.log", args)

    def record_as_visit(self) -> QWidget:
        """Continue in the visit dialog (a visit needs its evidence), with everything typed here."""
        from ui.dialogs.visit_dialog import VisitDialog
        from ui.forms import open_form

        args = self._args()
        initial = {name: args.get(name) for name in ("contact_id", "with_whom", "summary", "reaction",
                                                     "reaction_note", "next_step", "next_step_due")}
        initial["check_in_at"] = args["occurred_at"]
        dialog = VisitDialog(self.context, self.parentWidget(), customer_id=self.customer_picker.customer_id,
                             initial=initial)
        open_form(dialog)
        self.close_without_asking()  # everything typed went on into the visit dialog
        return dialog

    # ---- Private API

    def _on_channel_chosen(self, _index: int) -> None:
        if self.channel_combo.currentData() == "visit":
            self.record_as_visit()

    def _args(self) -> dict[str, object]:
        args: dict[str, object] = {
            "customer_id": self.customer_picker.customer_id,
            "channel": self.channel_combo.currentData(),
            "occurred_at": local_to_utc_text(self.when_edit.dateTime()),
            "summary": self.summary_edit.toPlainText(),
            "reaction": self.reaction_combo.currentData(),
        }
        if self.contact_combo.currentData() is not None:
            args["contact_id"] = self.contact_combo.currentData()
        if self.follow_up_combo.currentData() is not None:
            args["closes_follow_up_id"] = self.follow_up_combo.currentData()
        optional = {"with_whom": self.with_whom_edit.text(), "reaction_note": self.reaction_note_edit.toPlainText(),
                    "next_step": self.next_step_edit.text()}
        args.update({name: text for name, text in optional.items() if text.strip()})
        due = self.due_edit.value()
        if due is not None:
            # A due *date*: the step is due by the end of that local day, never before it happened.
            args["next_step_due"] = local_to_utc_text(QDateTime(due, QTime(23, 59, 59)))
        return args

    def _on_customer_loaded(self, loaded: tuple[Customer, list[ContactChoice]]) -> None:
        if not alive(self):
            return
        customer, contacts, open_follow_ups = loaded
        self.customer_picker.set_fixed(customer.id, customer.name)
        self._set_contacts(contacts)
        self._set_follow_ups(open_follow_ups)
        if self._initial:
            self._start_from(self._initial)
        self._set_ready()

    def _start_from(self, values: dict[str, Any]) -> None:
        """Put a touchpoint's args in the form (times shown in the user's zone)."""
        for name, combo in (("channel", self.channel_combo), ("reaction", self.reaction_combo),
                            ("contact_id", self.contact_combo), ("closes_follow_up_id", self.follow_up_combo)):
            index = combo.findData(values.get(name)) if values.get(name) is not None else -1
            if index >= 0:
                combo.setCurrentIndex(index)
        if values.get("contact_id") and self.contact_combo.findData(values["contact_id"]) < 0:
            self.errors.show_hint("contact_id", self.tr("The contact chosen before is no longer on this customer."))
        when = _local(values.get("occurred_at"))
        if when is not None:
            self.when_edit.setDateTime(when)
        for name, edit in (("with_whom", self.with_whom_edit), ("next_step", self.next_step_edit)):
            if values.get(name) is not None:
                edit.setText(str(values[name]))
        for name, text_edit in (("summary", self.summary_edit), ("reaction_note", self.reaction_note_edit)):
            if values.get(name) is not None:
                text_edit.setPlainText(str(values[name]))
        due = _local(values.get("next_step_due"))
        if due is not None:
            self.due_edit.set_value(due.date())

    def _on_load_failed(self, exc: Exception) -> None:
        if alive(self):
            self.customer_picker.line_edit.clear()
            self.errors.show_exception(exc)

    def _load_contacts(self, customer_id: str | None) -> None:
        self._contacts_seq += 1
        seq = self._contacts_seq
        self._set_contacts([])
        self._set_follow_ups([])
        if customer_id is None:
            return
        user_id = self.context.user_id
        QueryOp(self.context.tasks, lambda store: _contacts(store, customer_id, user_id)) \
            .success(lambda loaded: self._on_contacts_loaded(loaded, seq)).run()

    def _on_contacts_loaded(self, loaded: tuple[list[ContactChoice], list[follow_ups.Choice]], seq: int) -> None:
        if alive(self) and seq == self._contacts_seq:  # not for a customer picked before the last one
            self._set_contacts(loaded[0])
            self._set_follow_ups(loaded[1])

    def _set_follow_ups(self, choices: list[follow_ups.Choice]) -> None:
        self.follow_up_combo.clear()
        self.follow_up_combo.addItem(self.tr("(none)") if choices else self.tr("(no open follow-up here)"), None)
        for choice in choices:
            due = _local(timeutil.to_text(choice.when)) if choice.when is not None else None
            text = f"{due.toString('yyyy-MM-dd')} · {choice.text}" if due is not None else choice.text
            self.follow_up_combo.addItem(text[:120], choice.id)
        self.follow_up_combo.setEnabled(bool(choices))

    def _set_contacts(self, contacts: list[ContactChoice]) -> None:
        self.contact_combo.clear()
        self.contact_combo.addItem(self.tr("(no particular contact)"), None)
        for contact in contacts:
            text = f"{contact.name} · {contact.title}" if contact.title else contact.name
            self.contact_combo.addItem(text, contact.id)
            self.contact_combo.setItemData(self.contact_combo.count() - 1, contact.name, Qt.ItemDataRole.UserRole + 1)
        self.contact_combo.setEnabled(bool(contacts))

    def _on_contact_changed(self, _index: int) -> None:
        # Fill "with whom" from the contact, unless the user has typed something of their own there.
        name = self.contact_combo.currentData(Qt.ItemDataRole.UserRole + 1) or ""
        if self.with_whom_edit.text() == self._auto_with_whom:
            self.with_whom_edit.setText(name)
        self._auto_with_whom = name


class OptionalDateEdit(QWidget):
    """A date that may be left unset: a check box turns the date editor on."""

    sig_changed = Signal()
    """The date was set, cleared or changed."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.check_box = QCheckBox(text)
        self.date_edit = QDateEdit(QDate.currentDate())
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.date_edit.setEnabled(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.check_box)
        layout.addWidget(self.date_edit, 1)
        self.check_box.toggled.connect(self.date_edit.setEnabled)
        self.check_box.toggled.connect(lambda _on: self.sig_changed.emit())
        self.date_edit.dateChanged.connect(lambda _d: self.sig_changed.emit())

    def value(self) -> QDate | None:
        return self.date_edit.date() if self.check_box.isChecked() else None

    def set_value(self, value: QDate | None) -> None:
        self.check_box.setChecked(value is not None)
        if value is not None:
            self.date_edit.setDate(value)


def _local(text: Any) -> QDateTime | None:
    """A stored UTC time as a local QDateTime; None for none or for text that is not a time."""
    if not isinstance(text, str):
        return None
    try:
        value = timeutil.from_text(text)
    except ValueError:
        return None
    return QDateTime.fromMSecsSinceEpoch(int(value.timestamp() * 1000))


# ---- On the database thread

def _contacts(store: Store, customer_id: str, user_id: str | None) -> tuple[list[ContactChoice],
                                                                           list[follow_ups.Choice]]:
    with store.read() as session:
        return _choices(session, customer_id, user_id)


def _customer_and_contacts(store: Store, customer_id: str, user_id: str | None
                           ) -> tuple[Customer, list[ContactChoice], list[follow_ups.Choice]]:
    with store.read() as session:
        customer = get_customer(session, customer_id)
        return customer, *_choices(session, customer_id, user_id)


def _choices(session: Session, customer_id: str, user_id: str | None
             ) -> tuple[list[ContactChoice], list[follow_ups.Choice]]:
    """The customer's contacts, and the user's open follow-ups there."""
    return ([ContactChoice(c.id, c.name, c.title) for c in live_contacts(session, customer_id)],
            follow_ups.open_on_customer(session, user_id, customer_id) if user_id else [])
