"""The approvals inbox for finance. Quotes do not exist yet, so it says so instead of showing a blank."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ui.context import AppContext


class ApprovalsPage(QWidget):
    def __init__(self, context: AppContext, parent=None) -> None:
        super().__init__(parent)
        self.context = context
        self.message = QLabel(self.tr("No quotes are waiting for your approval.\n\nQuotes appear here when reps "
                                      "submit them; you will see which approval rules fired and why."))
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
