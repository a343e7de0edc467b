"""Compare two revisions of a quote: the terms, lines and totals that changed (desktop.quote_compare).

Opened from the quote builder of a quote that has more than one revision; it starts on the revision
shown and the one before it, and either side can be changed to any revision held here.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from desktop import quote_compare
from desktop.quote_compare import ADDED, REMOVED, SAME, Change, Comparison
from desktop.store import Store
from ui.context import AppContext
from ui.forms import ERROR_COLOR
from ui.labels import quote_status_name
from ui.ops import QueryOp, describe


def load_revisions(store: Store, quote_id: str) -> list[tuple[str, int, str]]:
    with store.read() as session:
        return quote_compare.revisions(session, quote_id)


def load_comparison(store: Store, older_id: str, newer_id: str) -> Comparison:
    with store.read() as session:
        return quote_compare.compare(session, older_id, newer_id)


class QuoteCompareDialog(QDialog):
    """Two revision pickers above a tree: Terms, Lines and Totals, each change as before and after."""

    sig_compared = Signal()
    """A comparison is shown."""

    def __init__(self, context: AppContext, quote_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.quote_id = quote_id
        self.comparison: Comparison | None = None
        self._generation = 0
        self.setWindowTitle(self.tr("Compare versions"))
        self.resize(860, 560)
        self.older = QComboBox()
        self.newer = QComboBox()
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels([self.tr("What"), self.tr("Before"), self.tr("After")])
        self.tree.setColumnWidth(0, 320)
        self.tree.setColumnWidth(1, 230)
        close = QPushButton(self.tr("Close"))
        close.clicked.connect(self.accept)
        pickers = QHBoxLayout()
        pickers.addWidget(QLabel(self.tr("From")))
        pickers.addWidget(self.older, 1)
        pickers.addWidget(QLabel(self.tr("to")))
        pickers.addWidget(self.newer, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(pickers)
        layout.addWidget(self.summary)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        self.older.currentIndexChanged.connect(lambda _i: self.refresh())
        self.newer.currentIndexChanged.connect(lambda _i: self.refresh())
        QueryOp(context.tasks, lambda store: load_revisions(store, quote_id)).success(self._show_revisions) \
            .failure(self._failed).run()

    # ---- Public API

    def choose(self, older_revision: int, newer_revision: int) -> None:
        """Compare these two revisions (by their numbers)."""
        for combo, wanted in ((self.older, older_revision), (self.newer, newer_revision)):
            index = next((i for i in range(combo.count()) if combo.itemData(i)[1] == wanted), -1)
            if index >= 0:
                combo.blockSignals(True)
                combo.setCurrentIndex(index)
                combo.blockSignals(False)
        self.refresh()

    def refresh(self) -> None:
        older, newer = self.older.currentData(), self.newer.currentData()
        if older is None or newer is None:
            return
        self._generation += 1
        generation = self._generation

        def done(comparison: Comparison) -> None:
            if isValid(self) and generation == self._generation:
                self._show(comparison)

        QueryOp(self.context.tasks, lambda store: load_comparison(store, older[0], newer[0])) \
            .success(done).failure(self._failed).run()

    # ---- Private API

    def _show_revisions(self, revisions: list[tuple[str, int, str]]) -> None:
        if not isValid(self):
            return
        for combo in (self.older, self.newer):
            combo.blockSignals(True)
            combo.clear()
            for quote_id, revision, status in revisions:
                combo.addItem(self.tr("Revision %1 (%2)").replace("%1", str(revision))
                              .replace("%2", quote_status_name(status)), (quote_id, revision))
            combo.blockSignals(False)
        current = next((r for _id, r, _s in revisions if _id == self.quote_id), None)
        if current is None or len(revisions) < 2:
            self.summary.setText(self.tr("This quote has only one revision here."))
            return
        before = current - 1 if any(r == current - 1 for _i, r, _s in revisions) else revisions[0][1]
        if before == current:  # the first revision: compare it with the next
            before, current = current, next(r for _i, r, _s in revisions if r > current)
        self.choose(before, current)

    def _show(self, comparison: Comparison) -> None:
        self.comparison = comparison
        zh = self.context.language.lower().startswith("zh")
        self.tree.clear()
        bold = QFont()
        bold.setBold(True)

        def section(title: str, count: int) -> QTreeWidgetItem:
            item = QTreeWidgetItem(self.tree, [f"{title} ({count})" if count else title])
            item.setFont(0, bold)
            item.setExpanded(True)
            return item

        def change_rows(parent: QTreeWidgetItem, changes: tuple[Change, ...]) -> None:
            for change in changes:
                QTreeWidgetItem(parent, [change.label.zh if zh else change.label.en, change.before, change.after])

        terms = section(self.tr("Terms"), len(comparison.terms))
        change_rows(terms, comparison.terms)
        changed_lines = [line for line in comparison.lines if line.kind != SAME]
        lines = section(self.tr("Lines"), len(changed_lines))
        for line in changed_lines:
            kind = {ADDED: self.tr("added"), REMOVED: self.tr("removed")}.get(line.kind, self.tr("changed"))
            title = self.tr("Line %1 %2: %3").replace("%1", str(line.position)).replace("%2", kind) \
                .replace("%3", line.description)
            row = QTreeWidgetItem(lines, [title])
            if line.kind == REMOVED:
                row.setForeground(0, self.palette().placeholderText())
            change_rows(row, line.changes)
            row.setExpanded(True)
        totals = section(self.tr("Totals"), len(comparison.totals))
        change_rows(totals, comparison.totals)
        self.tree.expandAll()
        if comparison.unchanged:
            self.summary.setText(self.tr("Revisions %1 and %2 are the same.").replace("%1", str(comparison.older))
                                 .replace("%2", str(comparison.newer)))
        else:
            self.summary.setText(self.tr("%1: revision %2 → revision %3").replace("%1", comparison.number)
                                 .replace("%2", str(comparison.older)).replace("%3", str(comparison.newer)))
        self.summary.setStyleSheet("")
        self.sig_compared.emit()

    def _failed(self, exc: Exception) -> None:
        if isValid(self):
            self.summary.setText(describe(exc, self.context.language))
            self.summary.setStyleSheet(f"color: {ERROR_COLOR}")
