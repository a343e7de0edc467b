"""A read-only table of touchpoints (desktop.activity rows), shared by the plan and team pages."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QAbstractTableModel, QCoreApplication, QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from desktop.activity import ActivityRow
from ui.labels import channel_name, reaction_name


def local_time(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value is not None else ""


class ActivityTableModel(QAbstractTableModel):
    """Columns chosen per page from: when, user, customer, channel, summary, reaction, next step, due."""

    COLUMNS = {
        "when": lambda: QCoreApplication.translate("activity", "When"),
        "user": lambda: QCoreApplication.translate("activity", "By"),
        "customer": lambda: QCoreApplication.translate("activity", "Customer"),
        "channel": lambda: QCoreApplication.translate("activity", "Channel"),
        "summary": lambda: QCoreApplication.translate("activity", "What was said"),
        "reaction": lambda: QCoreApplication.translate("activity", "Reaction"),
        "next_step": lambda: QCoreApplication.translate("activity", "Next step"),
        "due": lambda: QCoreApplication.translate("activity", "Due"),
    }

    def __init__(self, columns: list[str], parent=None) -> None:
        super().__init__(parent)
        self.columns = columns
        self.rows: list[ActivityRow] = []
        self.overdue_before: datetime | None = None

    def set_rows(self, rows: list[ActivityRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[self.columns[section]]()
        return None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        row = self.rows[index.row()]
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return {
                "when": lambda: local_time(row.occurred_at),
                "user": lambda: row.user_name,
                "customer": lambda: row.customer_name,
                "channel": lambda: channel_name(row.channel),
                "summary": lambda: row.summary.replace("\n", " "),
                "reaction": lambda: reaction_name(row.reaction),
                "next_step": lambda: row.next_step,
                "due": lambda: local_time(row.next_step_due),
            }[column]()
        if role == Qt.ItemDataRole.ToolTipRole and column in ("summary", "next_step"):
            return row.summary if column == "summary" else row.next_step
        if role == Qt.ItemDataRole.ForegroundRole and column == "due" and self.overdue_before is not None \
                and row.next_step_due is not None and row.next_step_due < self.overdue_before:
            return QBrush(QColor("#b00020"))
        return None
