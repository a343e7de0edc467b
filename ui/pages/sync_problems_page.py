"""Changes the server refused (or that no longer apply here): the user's version beside the server's."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop import remote
from ui.context import AppContext
from ui.labels import mutation_title
from ui.ops import QueryOp


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class SyncProblemsPage(QWidget):
    def __init__(self, context: AppContext, parent=None) -> None:
        super().__init__(parent)
        self.context = context
        self.problems: list = []
        self._stale = False
        self.title = QLabel(self.tr("Changes the server did not accept"))
        self.title.setStyleSheet("font-weight: bold;")
        self.empty_label = QLabel(self.tr("No sync problems: the server has refused none of the changes sent from this computer."))
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.list_widget = QWidget()
        self.list_layout = QVBoxLayout(self.list_widget)
        self.list_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.list_widget)
        self.scroll = scroll
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.empty_label, 1)  # one of the two is shown, and takes the space
        layout.addWidget(scroll, 1)
        context.tasks.sig_data_changed.connect(self._on_data_changed)  # a method: disconnected when deleted
        self.refresh()

    def refresh(self) -> None:
        QueryOp(self.context.tasks, _read).success(self._show).run()

    def discard(self, problem_id: int) -> None:
        """The user lets this change go: the problem is resolved (on the database thread)."""
        def done(future) -> None:
            future.result()
            self.context.tasks.sig_data_changed.emit(None)

        self.context.tasks.run_db(lambda store: remote.resolve_problem(store, problem_id), done, writes=True)

    # ---- Qt events

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if self._stale:
            self._stale = False
            self.refresh()
        super().showEvent(event)

    # ---- Private API

    def _on_data_changed(self, _outcome: object) -> None:
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True

    def _show(self, problems: list) -> None:
        self.problems = problems
        while self.list_layout.count() > 1:
            item = self.list_layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        for problem in problems:
            self.list_layout.insertWidget(self.list_layout.count() - 1, self._card(problem))
        self.empty_label.setVisible(not problems)
        self.scroll.setVisible(bool(problems))

    def _card(self, problem) -> QWidget:
        card = QFrame()
        card.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(card)
        head = QHBoxLayout()
        head.addWidget(QLabel("<b>" + mutation_title(problem.mutation) + "</b>"), 1)
        button = QPushButton(self.tr("Discard"))
        button.setToolTip(self.tr("Let this change go; the server's version stays."))
        button.clicked.connect(lambda _checked=False, pid=problem.id: self.discard(pid))
        head.addWidget(button)
        layout.addLayout(head)
        zh = self.context.language.lower().startswith("zh")
        reason = QLabel(problem.message_zh if zh else problem.message_en)
        reason.setWordWrap(True)
        layout.addWidget(reason)
        args = problem.args or {}
        server = problem.server_row or {}
        keys = list(args) + [k for k in server if k not in args]
        table = QTableWidget(len(keys), 2)
        table.setHorizontalHeaderLabels([self.tr("Your version"), self.tr("Server's version")])
        table.setVerticalHeaderLabels(keys)
        for row, key in enumerate(keys):
            table.setItem(row, 0, QTableWidgetItem(_text(args.get(key))))
            table.setItem(row, 1, QTableWidgetItem(_text(server.get(key)) if problem.server_row is not None
                                                   else (self.tr("(none)") if row == 0 else "")))
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.horizontalHeader().setStretchLastSection(True)
        table.resizeColumnsToContents()
        table.setMinimumHeight(min(300, 30 + 26 * max(1, len(keys))))
        layout.addWidget(table)
        card.setProperty("problem_id", problem.id)
        return card


def _read(store) -> list:
    with store.read() as session:
        problems = remote.open_problems(session)
        session.expunge_all()
    return problems
