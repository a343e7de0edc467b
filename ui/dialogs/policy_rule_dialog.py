"""Edit one rule of the quote approval policy: who approves, and above which threshold. A new rule first
chooses its kind. Nothing is saved here: the rule goes back to the policy page's editor, which sends the
whole ordered policy (policy.set) when the finance director presses Save there."""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QWidget

from desktop import approval_policy
from desktop.approval_policy import Rule
from desktop.errors import DomainError
from desktop.policy_views import PERCENT_KINDS, amount_text, describe, number_text, parse_threshold
from ui.context import AppContext
from ui.forms import FormDialog
from ui.labels import currency_name, role_name


def kind_name(kind: str) -> str:
    """What a policy rule looks at, in a word or two."""
    names = {
        "always": QCoreApplication.translate("policy", "Every quote"),
        "fx_drift": QCoreApplication.translate("policy", "Exchange-rate drift"),
        "discount": QCoreApplication.translate("policy", "Discount"),
        "total": QCoreApplication.translate("policy", "Quote total"),
    }
    return names.get(kind, kind)


class PolicyRuleDialog(FormDialog):
    """One approval rule: kind (new rules only), approver role, threshold and, for a total, its currency."""

    sig_applied = Signal(object)
    """The rule passed its checks and goes back to the editor (not saved yet); carries the
    desktop.approval_policy.Rule."""

    def __init__(self, context: AppContext, parent: QWidget | None = None, rule: Rule | None = None) -> None:
        """``rule``: the rule to change; None for a new one (keyed after its kind; the editor makes the
        key unique)."""
        super().__init__(context, parent)
        self.rule = rule
        self.setWindowTitle(self.tr("Approval rule") if rule is None
                            else self.tr("Approval rule: %1").replace("%1", kind_name(rule.kind)))
        self.setMinimumWidth(460)
        self.save_button.setText(self.tr("OK"))  # the page's Save sends the policy; this only edits it
        self.kind_combo = QComboBox()
        for kind in approval_policy.KINDS if rule is None else (rule.kind,):
            self.kind_combo.addItem(kind_name(kind), kind)
        self.kind_combo.setEnabled(rule is None)
        self.role_combo = QComboBox()
        for role in approval_policy.APPROVER_ROLES:
            self.role_combo.addItem(role_name(role), role)
        self.threshold_edit = QLineEdit()
        self.unit_label = QLabel("%")
        threshold = QWidget()
        row = QHBoxLayout(threshold)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.threshold_edit, 1)
        row.addWidget(self.unit_label)
        self.currency_combo = QComboBox()
        for currency in ("CNY", "USD"):
            self.currency_combo.addItem(currency_name(currency), currency)
        self.meaning = QLabel()
        self.meaning.setWordWrap(True)
        self.meaning.setObjectName("meaning")

        add = self.errors.add_row
        add(self.form, self.tr("Looks at"), "kind", self.kind_combo)
        add(self.form, self.tr("Approved by"), "role", self.role_combo)
        add(self.form, self.tr("Above"), "threshold", threshold, outline=self.threshold_edit)
        add(self.form, self.tr("Currency"), "currency", self.currency_combo)
        self.form.addRow(self.meaning)
        # Typing clears the old message (FieldErrors listens to the composite's sig_changed, absent here).
        self.threshold_edit.textEdited.connect(lambda _t: self.errors.clear_field("threshold"))

        if rule is not None:
            self.role_combo.setCurrentIndex(max(0, self.role_combo.findData(rule.role)))
            self.currency_combo.setCurrentIndex(max(0, self.currency_combo.findData(rule.currency)))
            if rule.threshold is not None:
                self.threshold_edit.setText(number_text(rule.threshold) if rule.kind in PERCENT_KINDS
                                            else amount_text(rule.threshold))
        self.kind_combo.currentIndexChanged.connect(lambda _i: self._on_kind_changed())
        for signal in (self.role_combo.currentIndexChanged, self.currency_combo.currentIndexChanged,
                       self.threshold_edit.textChanged):
            signal.connect(lambda *_a: self._show_meaning())
        self._on_kind_changed()
        self._set_ready()

    def save(self) -> None:
        """Check the threshold; a good rule goes back to the editor and the dialog closes."""
        self.errors.clear()
        try:
            rule = self._rule()
        except DomainError as exc:
            self.errors.show_exception(exc)
            return
        self.sig_applied.emit(rule)
        self.accept()

    # ---- Private API

    def _kind(self) -> str:
        return str(self.kind_combo.currentData())

    def _key(self) -> str:
        return self.rule.key if self.rule is not None else self._kind()

    def _rule(self) -> Rule:
        """The rule as entered; a DomainError on field ``threshold`` when its text is not a threshold."""
        kind = self._kind()
        role = str(self.role_combo.currentData())
        if kind == "always":
            return Rule(self._key(), kind, role)
        threshold: Decimal = parse_threshold(kind, self.threshold_edit.text())
        currency = str(self.currency_combo.currentData()) if kind == "total" else "CNY"
        return Rule(self._key(), kind, role, threshold, currency)

    def _on_kind_changed(self) -> None:
        kind = self._kind()
        for name, shown in (("threshold", kind != "always"), ("currency", kind == "total")):
            self.form.setRowVisible(self.errors.label(name).parentWidget(), shown)
        self.unit_label.setVisible(kind in PERCENT_KINDS)
        if self.rule is None:
            # A new rule starts from the built-in default of its kind.
            default = next((r for r in approval_policy.DEFAULT_RULES if r["kind"] == kind), None)
            if default is not None:
                self.role_combo.setCurrentIndex(max(0, self.role_combo.findData(default["role"])))
                self.threshold_edit.setText(default.get("threshold_pct") or default.get("threshold") or "")
        self.errors.clear()
        self._show_meaning()

    def _show_meaning(self) -> None:
        """The rule in plain words as it stands, or nothing while the threshold is not a threshold yet."""
        try:
            rule = self._rule()
        except DomainError:
            self.meaning.clear()
            return
        zh, en = describe(rule)
        self.meaning.setText(zh if self.context.language.lower().startswith("zh") else en)
