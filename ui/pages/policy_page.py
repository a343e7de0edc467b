"""The quote approval policy: its rules in order, each in plain words, with the version in force and who
changed it last. Everyone may read it (finance and managers see why an approval is asked of them); the
finance director and admins edit it here.

Edits are made in this page's own copy of the rules (add, change, remove, reorder, or load the built-in
defaults) and marked as unsaved until Save sends the whole ordered list through ``policy.set``. Before
sending, the rules are checked by desktop.approval_policy.parse, the very check the mutation runs; a
refusal, from there or from the mutation, is shown here in the user's language and the edits are kept.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Signal
from PySide6.QtGui import QFont
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

from desktop import approval_policy, mutations
from desktop.approval_policy import Rule
from desktop.errors import DomainError
from desktop.policy_views import PolicyView, as_data, default_rules, new_key, policy_view, rows
from desktop.store import Store
from ui.context import AppContext
from ui.dialogs.policy_rule_dialog import kind_name
from ui.forms import ERROR_COLOR, open_form
from ui.freshness import Freshness
from ui.labels import local_time, role_name
from ui.ops import MutationOp, QueryOp, describe

EDITORS = frozenset({"finance_director", "admin"})
# "Rule 2: ..." in a refusal of desktop.approval_policy.parse: the row to select.
_RULE_AT_FAULT = re.compile(r"^Rule (\d+):")


class ApprovalPolicyPage(QWidget):
    """The approval rules in a table; for the finance director and admins, an editor with Save and Revert."""

    sig_loaded = Signal(int)
    """The policy in force was read and shown; carries how many rules."""
    sig_dirty_changed = Signal(bool)
    """The editor's rules started or stopped differing from the policy in force."""
    sig_saved = Signal(object)
    """policy.set succeeded; carries the desktop.mutations.Outcome."""
    sig_save_failed = Signal(object)
    """Save was refused (by the check here or by policy.set); carries the exception. The edits are kept."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.view: PolicyView | None = None
        self.rules: list[Rule] = []  # the editor's copy, in order
        self._saving = False
        self._was_dirty = False
        self.intro = QLabel(self.tr("Every quote is checked against these rules, in this order, when it is "
                                    "submitted; each rule that applies asks for one more approval."))
        self.intro.setWordWrap(True)
        self.history = QLabel()
        self.history.setWordWrap(True)
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels([self.tr("#"), self.tr("Looks at"), self.tr("Approved by"),
                                              self.tr("Above"), self.tr("What it means")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.cellDoubleClicked.connect(lambda row, _column: self.edit(row) if self.editable else None)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.dirty_label = QLabel(self.tr("Unsaved changes: Save puts them in force for quotes submitted from "
                                          "now on; Revert discards them."))
        self.dirty_label.setObjectName("dirty")
        self.dirty_label.setWordWrap(True)
        self.dirty_label.setStyleSheet("font-weight: bold")
        self.dirty_label.hide()
        self.status = QLabel()
        self.status.setObjectName("status")
        self.status.setWordWrap(True)

        self.add_button = QPushButton(self.tr("Add rule…"))
        self.add_button.clicked.connect(lambda: self.add())
        self.edit_button = QPushButton(self.tr("Edit…"))
        self.edit_button.clicked.connect(lambda: self.edit(self.table.currentRow()))
        self.remove_button = QPushButton(self.tr("Remove"))
        self.remove_button.clicked.connect(lambda: self.remove(self.table.currentRow()))
        self.up_button = QPushButton(self.tr("Move up"))
        self.up_button.clicked.connect(lambda: self.move(self.table.currentRow(), -1))
        self.down_button = QPushButton(self.tr("Move down"))
        self.down_button.clicked.connect(lambda: self.move(self.table.currentRow(), 1))
        self.defaults_button = QPushButton(self.tr("Restore defaults"))
        self.defaults_button.setToolTip(self.tr("Load the built-in rules into the editor; Save puts them in force."))
        self.defaults_button.clicked.connect(self.restore_defaults)
        self.revert_button = QPushButton(self.tr("Revert"))
        self.revert_button.clicked.connect(self.revert)
        self.save_button = QPushButton(self.tr("Save"))
        self.save_button.clicked.connect(self.save)
        self.edit_buttons = QWidget()
        buttons = QHBoxLayout(self.edit_buttons)
        buttons.setContentsMargins(0, 0, 0, 0)
        for button in (self.add_button, self.edit_button, self.remove_button, self.up_button, self.down_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        for button in (self.defaults_button, self.revert_button, self.save_button):
            buttons.addWidget(button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.history)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.dirty_label)
        layout.addWidget(self.status)
        layout.addWidget(self.edit_buttons)
        # Its own changes, or a sync (None), which may bring a policy set on another desktop.
        self.freshness = Freshness(self, context.tasks, self.refresh,
                                   concerns=lambda o: o is None or getattr(o, "name", "") == "policy.set")
        context.sig_user_changed.connect(lambda _user: self._on_user_changed())
        self._on_user_changed()
        self.refresh()

    # ---- Public API

    @property
    def editable(self) -> bool:
        """The signed-in user may change the policy (finance director, admin)."""
        user = self.context.user
        return user is not None and user.role in EDITORS

    @property
    def is_dirty(self) -> bool:
        """The editor holds rules that differ from the policy in force."""
        return self.view is not None and tuple(self.rules) != self.view.rules

    def refresh(self) -> None:
        """Read the policy in force again; unsaved edits are kept."""

        def load(store: Store) -> PolicyView:
            with store.read() as session:
                return policy_view(session)

        QueryOp(self.context.tasks, load).success(self._loaded).failure(self._failed).run()

    def add(self) -> QWidget | None:
        """Open a new rule (its kind chosen in the dialog); it goes below the selected rule, or last.
        Returns the dialog (for tests)."""
        from ui.dialogs.policy_rule_dialog import PolicyRuleDialog

        if not self.editable or self.view is None:
            return None
        dialog = PolicyRuleDialog(self.context, self)
        dialog.sig_applied.connect(self._insert)
        return open_form(dialog)

    def edit(self, row: int) -> QWidget | None:
        """Open the rule in this row; returns the dialog (for tests)."""
        from ui.dialogs.policy_rule_dialog import PolicyRuleDialog

        if not self.editable or not 0 <= row < len(self.rules):
            return None
        dialog = PolicyRuleDialog(self.context, self, self.rules[row])
        dialog.sig_applied.connect(lambda rule, r=row: self._replace(r, rule))
        return open_form(dialog)

    def remove(self, row: int) -> None:
        if self.editable and 0 <= row < len(self.rules):
            del self.rules[row]
            self._edited(min(row, len(self.rules) - 1))

    def move(self, row: int, step: int) -> None:
        """Move the rule in ``row`` up (-1) or down (+1)."""
        target = row + step
        if self.editable and 0 <= row < len(self.rules) and 0 <= target < len(self.rules):
            self.rules[row], self.rules[target] = self.rules[target], self.rules[row]
            self._edited(target)

    def restore_defaults(self) -> None:
        """Load the built-in rules into the editor (Save puts them in force)."""
        if not self.editable:
            return
        self.rules = default_rules()
        self._edited(self.table.currentRow())
        self._show_status(self.tr("The built-in rules are loaded; Save puts them in force.") if self.is_dirty
                          else self.tr("The rules in force are the built-in ones already."))

    def revert(self) -> None:
        """Discard the unsaved edits."""
        if self.view is not None:
            self.rules = list(self.view.rules)
            self._edited(self.table.currentRow())

    def save(self) -> None:
        """Check the edited rules and send them, in order, as the policy in force (policy.set)."""
        if not self.editable or self.view is None or self._saving or not self.is_dirty:
            return
        data = as_data(self.rules)
        try:
            approval_policy.parse(data)  # what policy.set checks first: shown before anything is sent
        except DomainError as exc:
            self._on_save_failed(exc)
            return
        args: dict[str, object] = {"name": self.view.name, "rules": data}
        if self.view.stored:
            args["id"] = self.view.id
        self._saving = True
        self._update_buttons()
        self._show_status(self.tr("Saving…"))
        MutationOp(self.context.tasks, self.context.user_id, "policy.set", args) \
            .success(self._on_saved).failure(self._on_save_failed).run()

    # ---- Qt events

    # ---- Private API

    def _on_user_changed(self) -> None:
        editable = self.editable
        self.edit_buttons.setVisible(editable)
        self.dirty_label.setVisible(editable and self.is_dirty)
        if not editable and self.view is not None and self.is_dirty:
            self.revert()  # edits belong to whoever made them; the next user sees the policy in force
        self._update_buttons()

    def _loaded(self, view: PolicyView) -> None:
        if not isValid(self):
            return
        before = self.view
        dirty = self.is_dirty
        self.view = view
        if before is None or not dirty:
            self.rules = list(view.rules)
        elif before.version != view.version:
            self._show_status(self.tr("The policy was changed elsewhere (now version %1); your unsaved edits "
                                      "are kept. Revert shows the policy in force.").replace("%1", str(view.version)))
        if view.stored:
            self.history.setText(self.tr("Version %1, last changed by %2 on %3.")
                                 .replace("%1", str(view.version)).replace("%2", view.updated_by or "?")
                                 .replace("%3", local_time(view.updated_at)))
        else:
            self.history.setText(self.tr("The built-in rules: no one has changed the policy yet."))
        self._changed(self.table.currentRow())
        self.sig_loaded.emit(len(view.rules))

    def _failed(self, exc: Exception) -> None:
        if isValid(self):
            self._show_error(describe(exc, self.context.language))

    def _insert(self, rule: Rule) -> None:
        # A key the policy does not use yet: the kind, numbered when the kind is there already.
        rule = Rule(new_key(rule.kind, (r.key for r in self.rules)), rule.kind, rule.role, rule.threshold,
                    rule.currency)
        row = self.table.currentRow()
        at = row + 1 if 0 <= row < len(self.rules) else len(self.rules)
        self.rules.insert(at, rule)
        self._edited(at)

    def _replace(self, row: int, rule: Rule) -> None:
        if 0 <= row < len(self.rules):
            self.rules[row] = rule
            self._edited(row)

    def _edited(self, select: int) -> None:
        """The user changed the editor's rules: an earlier message no longer applies."""
        self._show_status("")
        self._changed(select)

    def _changed(self, select: int) -> None:
        """Show the editor's rules, mark what is not saved, and keep ``select`` selected."""
        saved = {rule.key: rule for rule in self.view.rules} if self.view is not None else {}
        zh = self.context.language.lower().startswith("zh")
        bold = QFont()
        bold.setBold(True)
        self.table.setRowCount(len(self.rules))
        for row, (rule, shown) in enumerate(zip(self.rules, rows(self.rules), strict=True)):
            unsaved = saved.get(rule.key) != rule or list(saved).index(rule.key) != row
            cells = (str(shown.order), kind_name(rule.kind), role_name(rule.role), shown.threshold_text,
                     shown.description_zh if zh else shown.description_en)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if unsaved:
                    item.setFont(bold)
                    item.setToolTip(self.tr("Not saved yet"))
                self.table.setItem(row, column, item)
        self.table.resizeRowsToContents()
        if 0 <= select < len(self.rules):
            self.table.selectRow(select)
        dirty = self.is_dirty
        self.dirty_label.setVisible(dirty and self.editable)
        if dirty != self._was_dirty:
            self._was_dirty = dirty
            self.sig_dirty_changed.emit(dirty)
        self._update_buttons()

    def _on_saved(self, outcome: mutations.Outcome) -> None:
        if not isValid(self):
            return
        self._saving = False
        if self.view is not None:  # the rules sent are the policy in force now; the refresh brings the version
            self.view = PolicyView(self.view.id or outcome.changes.entity_id, self.view.name, tuple(self.rules),
                                   self.view.version + 1, self.view.updated_by, self.view.updated_at, True)
        self._show_status(self.tr("Saved. Quotes submitted from now on are checked against these rules."))
        self._changed(self.table.currentRow())
        self.sig_saved.emit(outcome)

    def _on_save_failed(self, exc: Exception) -> None:
        if not isValid(self):
            return
        self._saving = False
        message = exc.message_en if isinstance(exc, DomainError) else ""
        at_fault = _RULE_AT_FAULT.match(message)
        if at_fault is not None and 0 < int(at_fault.group(1)) <= len(self.rules):
            self.table.selectRow(int(at_fault.group(1)) - 1)
        self._show_error(describe(exc, self.context.language))
        self._update_buttons()
        self.sig_save_failed.emit(exc)

    def _show_status(self, text: str) -> None:
        self.status.setStyleSheet("")
        self.status.setText(text)

    def _show_error(self, text: str) -> None:
        self.status.setStyleSheet(f"color: {ERROR_COLOR}")
        self.status.setText(text)

    def _update_buttons(self) -> None:
        row = self.table.currentRow()
        chosen = 0 <= row < len(self.rules)
        idle = self.view is not None and not self._saving
        dirty = self.is_dirty
        self.add_button.setEnabled(idle)
        self.edit_button.setEnabled(idle and chosen)
        self.remove_button.setEnabled(idle and chosen)
        self.up_button.setEnabled(idle and chosen and row > 0)
        self.down_button.setEnabled(idle and chosen and row < len(self.rules) - 1)
        self.defaults_button.setEnabled(idle)
        self.revert_button.setEnabled(idle and dirty)
        self.save_button.setEnabled(idle and dirty)
