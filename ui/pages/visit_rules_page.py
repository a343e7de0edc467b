"""Visit rules: the evidence visits need (the default, per visit type, per customer segment), with each
rule's version and who changed it last. Sales managers, key-account directors and admins edit them."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from desktop.store import Store
from desktop.visit_views import RuleRow, number_text, rule_rows
from ui.context import AppContext
from ui.forms import open_form
from ui.freshness import Freshness
from ui.labels import local_time, photo_label_name, rule_scope_name
from ui.ops import QueryOp, describe


class VisitRulesPage(QWidget):
    """The capture rules in a table; double-click or Edit opens one, New rule… adds one."""

    sig_loaded = Signal(int)
    """The rules were read and shown; carries how many rows."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.rules: list[RuleRow] = []
        self.intro = QLabel(self.tr("A visit can be submitted only with the evidence its rule asks for. The rule "
                                    "for the visit's type applies first, then the one for the customer's segment, "
                                    "then the default."))
        self.intro.setWordWrap(True)
        self.table = QTableWidget(0, 9)
        self.table.setHorizontalHeaderLabels([
            self.tr("Applies to"), self.tr("Required photos"), self.tr("Recording"), self.tr("Photo time"),
            self.tr("Largest file"), self.tr("No reuse"), self.tr("Active"), self.tr("Version"),
            self.tr("Last changed")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.cellDoubleClicked.connect(lambda row, _column: self.edit(row))
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.edit_button = QPushButton(self.tr("Edit rule…"))
        self.edit_button.clicked.connect(lambda: self.edit(self.table.currentRow()))
        self.new_button = QPushButton(self.tr("New rule…"))
        self.new_button.clicked.connect(lambda: self.edit(None))
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.edit_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        # Its own changes, or a sync (None), which may bring a rule set elsewhere.
        self.freshness = Freshness(self, context.tasks, self.refresh,
                                   concerns=lambda o: o is None or getattr(o, "name", "") == "capture_rule.set")
        self._update_buttons()
        self.refresh()

    def refresh(self) -> None:
        def load(store: Store) -> list[RuleRow]:
            with store.read() as session:
                return rule_rows(session)

        QueryOp(self.context.tasks, load).success(self._show).failure(self._failed).run()

    def edit(self, row: int | None) -> QWidget | None:
        """Open the rule in this row (None: a new rule); returns the dialog (for tests)."""
        from ui.dialogs.rule_dialog import RuleDialog

        if row is not None and not 0 <= row < len(self.rules):
            return None
        return open_form(RuleDialog(self.context, self, None if row is None else self.rules[row]))

    # ---- Qt events

    # ---- Private API

    def _show(self, rules: list[RuleRow]) -> None:
        if not isValid(self):
            return
        self.rules = rules
        number = number_text
        self.table.setRowCount(len(rules))
        for row, rule in enumerate(rules):
            changed = (self.tr("%1, %2").replace("%1", rule.updated_by).replace("%2", local_time(rule.updated_at))
                       if rule.stored else self.tr("built in"))
            cells = (
                rule_scope_name(rule.scope, rule.scope_value),
                self.tr(", ").join(photo_label_name(label) for label in rule.required_labels) or self.tr("none"),
                self.tr("≥ %1 s").replace("%1", number(rule.min_audio_s)) if rule.min_audio_s else self.tr("none"),
                self.tr("± %1 h").replace("%1", number(rule.photo_window_h))
                if rule.photo_window_h is not None else self.tr("any"),
                f"{number(rule.max_file_mb)} MB" if rule.max_file_mb else self.tr("no limit"),
                self.tr("yes") if rule.no_photo_reuse else self.tr("no"),
                self.tr("yes") if rule.active else self.tr("no"),
                str(rule.version) if rule.stored else "—",
                changed,
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if not rule.active:
                    item.setForeground(Qt.GlobalColor.gray)
                self.table.setItem(row, column, item)
        self.status.setText(self.tr("%n rule(s).", "", len(rules)))
        self._update_buttons()
        self.sig_loaded.emit(len(rules))

    def _failed(self, exc: Exception) -> None:
        if isValid(self):
            self.status.setText(describe(exc, self.context.language))

    def _update_buttons(self) -> None:
        self.edit_button.setEnabled(0 <= self.table.currentRow() < len(self.rules))
