"""Team activity: the trail the team left, newest first, filtered by person and period."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from desktop import activity
from desktop.cut import Cut
from desktop.timeutil import utcnow
from ui.activity_table import ActivityTableModel
from ui.context import AppContext
from ui.freshness import Freshness
from ui.labels import cut_text
from ui.ops import QueryOp

PERIODS = (1, 7, 30, 180)


class TeamActivityPage(QWidget):
    """What the manager reads before the morning meeting."""

    def __init__(self, context: AppContext, parent=None) -> None:
        super().__init__(parent)
        self.context = context
        self.member_combo = QComboBox()
        self.period_combo = QComboBox()
        for days in PERIODS:
            self.period_combo.addItem(self.tr("Last %n day(s)", "", days), days)
        self.period_combo.setCurrentIndex(1)
        self.count_label = QLabel()
        self.model = ActivityTableModel(["when", "user", "customer", "channel", "summary", "reaction", "next_step"],
                                        self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        filters = QHBoxLayout()
        filters.addWidget(QLabel(self.tr("Who:")))
        filters.addWidget(self.member_combo)
        filters.addWidget(QLabel(self.tr("Period:")))
        filters.addWidget(self.period_combo)
        filters.addStretch(1)
        filters.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table)
        self.member_combo.addItem(self.tr("Everyone in the team"), None)
        user = context.user
        if user is not None:
            with context.store.read() as session:
                for member in activity.team_members(session, user):
                    self.member_combo.addItem(member.display_name, member.id)
        self.member_combo.currentIndexChanged.connect(self.refresh)
        self.period_combo.currentIndexChanged.connect(self.refresh)
        self.freshness = Freshness(self, context.tasks, self.refresh)
        self.refresh()

    def refresh(self) -> None:
        user = self.context.user
        if user is None:
            return
        since = utcnow() - timedelta(days=self.period_combo.currentData())
        member = self.member_combo.currentData()

        def load(store):
            with store.read() as session:
                return activity.team_activity_cut(session, user, since, member_id=member)

        QueryOp(self.context.tasks, load).success(self._show).run()

    # ---- Qt events

    # ---- Private API

    def _show(self, found: Cut[activity.ActivityRow]) -> None:
        if not isValid(self):
            return  # the page was rebuilt (language or user change) while the trail was read
        self.model.set_rows(found.rows)
        self.count_label.setText(cut_text(len(found.rows), found.total, found.more) if found.is_cut
                                 else self.tr("%n touchpoint(s)", "", len(found.rows)))
