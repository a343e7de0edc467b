"""Close a follow-up from Today's plan: done (by which touchpoint, if one), postponed, or handed over."""

from __future__ import annotations

from PySide6.QtCore import QDate, QDateTime, QTime, Signal
from PySide6.QtWidgets import QComboBox, QDateEdit, QLabel, QWidget

from desktop import follow_ups, mutations
from desktop.activity import ActivityRow
from desktop.store import Store
from ui.activity_table import local_time
from ui.context import AppContext
from ui.dialogs.touchpoint_dialog import local_to_utc_text
from ui.forms import FormDialog, alive
from ui.ops import QueryOp

ACTIONS = ("done", "postpone", "hand_over")


class FollowUpDialog(FormDialog):
    """One follow-up of the user's plan and one way to close it (``action``: done, postpone, hand_over)."""

    sig_saved = Signal(object)
    """The follow-up changed; carries the desktop.mutations.Outcome."""

    def __init__(self, context: AppContext, row: ActivityRow, action: str, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        assert action in ACTIONS
        self.row = row
        self.action = action
        self.setMinimumWidth(460)
        titles = {"done": self.tr("Follow-up done"), "postpone": self.tr("Postpone follow-up"),
                  "hand_over": self.tr("Hand over follow-up")}
        self.setWindowTitle(titles[action])
        step = QLabel(row.next_step)
        step.setWordWrap(True)
        self.form.addRow(self.tr("Customer"), QLabel(row.customer_name))
        self.form.addRow(self.tr("Next step"), step)
        self.form.addRow(self.tr("Due"), QLabel(local_time(row.next_step_due)))
        self.choice = QComboBox()
        self.due_edit = QDateEdit(QDate.currentDate().addDays(1))
        self.due_edit.setCalendarPopup(True)
        self.due_edit.setDisplayFormat("yyyy-MM-dd")
        add = self.errors.add_row
        if action == "done":
            self.choice.addItem(self.tr("(no particular touchpoint)"), None)
            add(self.form, self.tr("Done in"), "done_in_id", self.choice)
            self.save_button.setText(self.tr("Mark done"))
        elif action == "postpone":
            add(self.form, self.tr("New due date"), "due", self.due_edit)
            self.save_button.setText(self.tr("Postpone"))
        else:
            add(self.form, self.tr("Hand over to"), "to_user_id", self.choice)
            self.save_button.setText(self.tr("Hand over"))
        if action == "postpone":
            self._set_ready()
        else:
            follow_up_id = row.touchpoint_id
            load = follow_ups.done_in_choices if action == "done" else follow_ups.takers
            QueryOp(context.tasks, lambda store: _read(store, load, follow_up_id)) \
                .success(self._on_loaded).failure(self._on_load_failed).run()

    def save(self) -> None:
        """Send the chosen way of closing the follow-up."""
        args: dict[str, object] = {"id": self.row.touchpoint_id}
        if self.action == "done":
            if self.choice.currentData() is not None:
                args["done_in_id"] = self.choice.currentData()
            name = "follow_up.done"
        elif self.action == "postpone":
            # Due by the end of that local day, as the touchpoint dialog sets a next step's due date.
            args["due"] = local_to_utc_text(QDateTime(self.due_edit.date(), QTime(23, 59, 59)))
            name = "follow_up.postpone"
        else:
            if self.choice.currentData() is None:
                self.errors.show_field("to_user_id", self.tr("Choose who takes it over."))
                return
            args["to_user_id"] = self.choice.currentData()
            name = "follow_up.hand_over"
        if self._check(mutations.REGISTRY[name].fields, args):
            self._send(name, args)

    # ---- Private API

    def _on_loaded(self, choices: list[follow_ups.Choice]) -> None:
        if not alive(self):
            return
        for choice in choices:
            text = f"{local_time(choice.when)} · {choice.text}" if choice.when is not None else choice.text
            self.choice.addItem(text[:120], choice.id)
        if self.action == "hand_over" and not choices:
            self.errors.show_field("to_user_id", self.tr("Nobody else works with this customer."))
            return
        self._set_ready()

    def _on_load_failed(self, exc: Exception) -> None:
        if alive(self):
            self.errors.show_exception(exc)


def _read(store: Store, load, follow_up_id: str) -> list[follow_ups.Choice]:
    with store.read() as session:
        return load(session, follow_up_id)
