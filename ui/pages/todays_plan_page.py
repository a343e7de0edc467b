"""Today's plan: next steps due (overdue first) on the user's customers, what was logged today, and
the user's unfinished visit drafts."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from desktop import activity, visit_views
from desktop.timeutil import utcnow
from ui.activity_table import ActivityTableModel
from ui.context import AppContext
from ui.forms import open_form
from ui.freshness import Freshness
from ui.labels import local_time, relative_time, visit_type_name
from ui.ops import QueryOp


def today_bounds(now: datetime) -> tuple[datetime, datetime]:
    """Start and end of the user's local day around now, as aware datetimes."""
    day = now.astimezone().date()
    # Each midnight takes the zone's offset at that midnight (naive .astimezone() reads it as local
    # time): on a day that changes to or from daylight saving time, the day is 23 or 25 hours long.
    return (datetime.combine(day, time()).astimezone(),
            datetime.combine(day + timedelta(days=1), time()).astimezone())


class TodaysPlanPage(QWidget):
    """Double-click a row to log the follow-up touchpoint for that customer."""

    def __init__(self, context: AppContext, parent=None) -> None:
        super().__init__(parent)
        self.context = context
        self._day_start: datetime | None = None  # the local day shown
        self.due_label = QLabel()
        self.due_model = ActivityTableModel(["due", "customer", "next_step", "when", "user", "channel", "summary"], self)
        self.due_table = self._table(self.due_model)
        self.due_table.setToolTip(self.tr("Double-click a next step to log the touchpoint that follows it up."))
        # A follow-up stays here until its owner closes it: nothing else (no later touchpoint) does.
        self.done_button = QPushButton(self.tr("Done…"))
        self.postpone_button = QPushButton(self.tr("Postpone…"))
        self.hand_over_button = QPushButton(self.tr("Hand over…"))
        for button, action in ((self.done_button, "done"), (self.postpone_button, "postpone"),
                               (self.hand_over_button, "hand_over")):
            button.clicked.connect(lambda _checked=False, a=action: self.close_follow_up(a))
            button.setEnabled(False)
        self.logged_label = QLabel()
        self.logged_model = ActivityTableModel(["when", "customer", "channel", "summary", "reaction"], self)
        self.logged_table = self._table(self.logged_model)
        self.drafts_label = QLabel()
        self.drafts_table = QTableWidget(0, 5)
        self.drafts_table.setHorizontalHeaderLabels([
            self.tr("Customer"), self.tr("Visit type"), self.tr("Check-in"), self.tr("Files"), self.tr("Changed")])
        self.drafts_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.drafts_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.drafts_table.verticalHeader().hide()
        self.drafts_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.drafts_table.horizontalHeader().setStretchLastSection(True)
        self.drafts_table.setToolTip(self.tr("Double-click a draft to continue it."))
        self.drafts_table.cellDoubleClicked.connect(lambda row, _column: self._open_draft(row))
        self.drafts: list[visit_views.DraftRow] = []
        self.log_button = QPushButton(self.tr("Log a touchpoint…"))
        self.log_button.clicked.connect(lambda: self._log(None))
        self.visit_button = QPushButton(self.tr("Record a visit…"))
        self.visit_button.clicked.connect(lambda: self._record_visit(None))
        layout = QVBoxLayout(self)
        layout.addWidget(self.drafts_label)
        layout.addWidget(self.drafts_table, 1)
        layout.addWidget(self.due_label)
        layout.addWidget(self.due_table, 3)
        follow_up_buttons = QHBoxLayout()
        for button in (self.done_button, self.postpone_button, self.hand_over_button):
            follow_up_buttons.addWidget(button)
        follow_up_buttons.addStretch(1)
        layout.addLayout(follow_up_buttons)
        layout.addWidget(self.logged_label)
        layout.addWidget(self.logged_table, 2)
        buttons = QHBoxLayout()
        buttons.addWidget(self.visit_button)
        buttons.addWidget(self.log_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.due_table.doubleClicked.connect(lambda index: self._log(self.due_model.rows[index.row()].customer_id))
        self.due_table.selectionModel().selectionChanged.connect(lambda *_a: self._enable_follow_up_buttons())
        # Also read again on a new day: the window may have stayed open overnight.
        self.freshness = Freshness(self, context.tasks, self.refresh, stale_when=lambda: self._day_start is not None
                                   and today_bounds(utcnow())[0] != self._day_start)
        self.refresh()

    def refresh(self) -> None:
        user = self.context.user
        if user is None:
            return
        start, end = today_bounds(utcnow())
        self._day_start = start

        def load(store):
            with store.read() as session:
                return (activity.next_steps_due(session, user, end),
                        activity.logged_between(session, user, start, end),
                        visit_views.drafts(session, user.id))

        QueryOp(self.context.tasks, load).success(lambda result: self._show(result, start)).run()

    def selected_follow_up(self) -> activity.ActivityRow | None:
        """The follow-up chosen in the list of next steps, if any."""
        rows = self.due_table.selectionModel().selectedRows()
        return self.due_model.rows[rows[0].row()] if rows and rows[0].row() < len(self.due_model.rows) else None

    def close_follow_up(self, action: str) -> QWidget | None:
        """Open the form that closes the chosen follow-up: done, postpone or hand_over."""
        from ui.dialogs.follow_up_dialog import FollowUpDialog

        row = self.selected_follow_up()
        if row is None:
            return None
        dialog = FollowUpDialog(self.context, row, action, self)
        dialog.sig_saved.connect(lambda _outcome: self.refresh())
        return open_form(dialog)

    # ---- Private API

    def _enable_follow_up_buttons(self) -> None:
        chosen = self.selected_follow_up() is not None
        for button in (self.done_button, self.postpone_button, self.hand_over_button):
            button.setEnabled(chosen)

    def _table(self, model: ActivityTableModel) -> QTableView:
        table = QTableView()
        table.setModel(model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().hide()
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        return table

    def _show(self, result, start: datetime) -> None:
        if not isValid(self):
            return  # the page was rebuilt (language or user change) while the plan was read
        due, logged, drafts = result
        self._show_drafts(drafts)
        self.due_model.overdue_before = start
        self.due_model.set_rows(due)
        self._enable_follow_up_buttons()
        self.logged_model.set_rows(logged)
        overdue = sum(1 for r in due if r.next_step_due is not None and r.next_step_due < start)
        self.due_label.setText(self.tr("Next steps due today or overdue: %1 (%2 overdue)")
                               .replace("%1", str(len(due))).replace("%2", str(overdue)))
        self.logged_label.setText(self.tr("Logged today: %1").replace("%1", str(len(logged))))

    def _log(self, customer_id: str | None) -> None:
        from ui.dialogs.touchpoint_dialog import TouchpointDialog

        open_form(TouchpointDialog(self.context, self, customer_id=customer_id))

    def _show_drafts(self, drafts: list[visit_views.DraftRow]) -> None:
        self.drafts = drafts
        table = self.drafts_table
        table.setRowCount(len(drafts))
        for row, draft in enumerate(drafts):
            cells = (draft.customer_name, visit_type_name(draft.visit_type), local_time(draft.check_in_at),
                     str(draft.attachments), relative_time(draft.updated_at))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 0 and draft.summary:
                    item.setToolTip(draft.summary)
                item.setData(Qt.ItemDataRole.UserRole, draft.id)
                table.setItem(row, column, item)
        self.drafts_label.setText(self.tr("Unfinished visits (drafts): %1").replace("%1", str(len(drafts))))
        # Few reps keep more than a handful of drafts: the list takes room only when it has some.
        table.setVisible(bool(drafts))

    def _open_draft(self, row: int) -> None:
        if 0 <= row < len(self.drafts):
            self._record_visit(None, visit_id=self.drafts[row].id)

    def _record_visit(self, customer_id: str | None, visit_id: str | None = None) -> None:
        from ui.dialogs.visit_dialog import VisitDialog

        open_form(VisitDialog(self.context, self, customer_id=customer_id, visit_id=visit_id))
