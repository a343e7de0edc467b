"""Edit one capture rule: which photos a visit needs, how long its recording, and the other checks
(capture_rule.set). A new rule first chooses what it applies to: a visit type or a customer segment."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from desktop import capture_rules, mutations
from desktop.models import SEGMENTS
from desktop.visit_views import RuleRow
from ui.context import AppContext
from ui.forms import FormDialog
from ui.labels import local_time, photo_label_name, rule_scope_name, segment_name, visit_type_name

FIELDS = mutations.REGISTRY["capture_rule.set"].fields
SETTINGS = ("required_labels", "min_audio_s", "photo_window_h", "max_file_mb", "no_photo_reuse", "active")


class OptionalNumber(QWidget):
    """A number that may be left unset: a check box turns the spin box on."""

    sig_changed = Signal()
    """The number was set, cleared or changed."""

    def __init__(self, text: str, low: float, high: float, decimals: int, suffix: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.check_box = QCheckBox(text)
        self.spin_box = QDoubleSpinBox()
        self.spin_box.setRange(low, high)
        self.spin_box.setDecimals(decimals)
        self.spin_box.setSuffix(suffix)
        self.spin_box.setEnabled(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.check_box)
        layout.addWidget(self.spin_box, 1)
        self.check_box.toggled.connect(self.spin_box.setEnabled)
        self.check_box.toggled.connect(lambda _on: self.sig_changed.emit())
        self.spin_box.valueChanged.connect(lambda _v: self.sig_changed.emit())

    def value(self) -> float | None:
        return self.spin_box.value() if self.check_box.isChecked() else None

    def set_value(self, value: float | None) -> None:
        self.check_box.setChecked(value is not None)
        if value is not None:
            self.spin_box.setValue(value)


class LabelChecks(QWidget):
    """One check box per photo label."""

    sig_changed = Signal()
    """A box was ticked or cleared."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.boxes: dict[str, QCheckBox] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for label in capture_rules.PHOTO_LABELS:
            box = QCheckBox(photo_label_name(label))
            box.toggled.connect(lambda _on: self.sig_changed.emit())
            self.boxes[label] = box
            layout.addWidget(box)

    def value(self) -> list[str]:
        return [label for label, box in self.boxes.items() if box.isChecked()]

    def set_value(self, labels: tuple[str, ...] | list[str]) -> None:
        for label, box in self.boxes.items():
            box.setChecked(label in labels)


class RuleDialog(FormDialog):
    """Create or change a capture rule; saving sends only what changed."""

    sig_saved = Signal(object)
    """The rule was saved; carries the desktop.mutations.Outcome."""

    def __init__(self, context: AppContext, parent: QWidget | None = None, rule: RuleRow | None = None) -> None:
        """``rule``: the rule to edit (the built-in default too); None for a new rule."""
        super().__init__(context, parent)
        self.rule = rule
        self.setWindowTitle(self.tr("Visit capture rule"))
        self.setMinimumWidth(460)
        self.scope_combo = QComboBox()
        for scope in ("visit_type", "segment") if rule is None else (rule.scope,):
            self.scope_combo.addItem({"default": self.tr("Every visit (default)"), "visit_type": self.tr("Visit type"),
                                      "segment": self.tr("Customer segment")}[scope], scope)
        self.scope_value_combo = QComboBox()
        self.labels = LabelChecks()
        self.min_audio = OptionalNumber(self.tr("At least"), 1, 36000, 0, self.tr(" s"))
        self.photo_window = OptionalNumber(self.tr("Within"), 0.5, 24 * 365, 1, self.tr(" h of the check-in"))
        self.max_file = OptionalNumber(self.tr("At most"), 0.1, 500, 1, " MB")
        self.no_reuse_box = QCheckBox(self.tr("A photo already used by an earlier visit is refused"))
        self.active_box = QCheckBox(self.tr("The rule is in force"))
        self.history = QLabel()
        self.history.setWordWrap(True)
        self.history.setStyleSheet("color: palette(mid)")

        add = self.errors.add_row
        add(self.form, self.tr("Applies to"), "scope", self.scope_combo)
        add(self.form, self.tr("Which one"), "scope_value", self.scope_value_combo)
        add(self.form, self.tr("Required photos"), "required_labels", self.labels)
        add(self.form, self.tr("Recording"), "min_audio_s", self.min_audio, outline=self.min_audio.spin_box)
        add(self.form, self.tr("Photo time"), "photo_window_h", self.photo_window, outline=self.photo_window.spin_box)
        add(self.form, self.tr("File size"), "max_file_mb", self.max_file, outline=self.max_file.spin_box)
        add(self.form, self.tr("Photo reuse"), "no_photo_reuse", self.no_reuse_box)
        add(self.form, self.tr("Active"), "active", self.active_box)
        self.form.addRow(self.history)
        self.scope_combo.currentIndexChanged.connect(lambda _i: self._fill_values())
        self._fill_values()

        if rule is None:
            defaults = capture_rules.Rule()
            self._show({"required_labels": defaults.required_labels, "min_audio_s": defaults.min_audio_s,
                        "photo_window_h": defaults.photo_window_h, "max_file_mb": defaults.max_file_mb,
                        "no_photo_reuse": defaults.no_photo_reuse, "active": True})
        else:
            self.scope_combo.setEnabled(False)
            self.scope_value_combo.setEnabled(False)
            self.scope_value_combo.setCurrentIndex(max(0, self.scope_value_combo.findData(rule.scope_value)))
            self._show({name: getattr(rule, name) for name in SETTINGS})
            self.setWindowTitle(self.tr("Visit capture rule: %1").replace("%1", rule_scope_name(rule.scope,
                                                                                              rule.scope_value)))
            if rule.stored:
                self.history.setText(self.tr("Version %1, last changed by %2 on %3.")
                                     .replace("%1", str(rule.version)).replace("%2", rule.updated_by or "?")
                                     .replace("%3", local_time(rule.updated_at)))
            else:
                self.history.setText(self.tr("The built-in default; saving it makes it the organisation's own."))
        self._set_ready()

    def save(self) -> None:
        """Check the form and send the rule (only the settings that changed, for an existing rule)."""
        args = self._args()
        if self._check(FIELDS, args):
            self._send("capture_rule.set", args)

    # ---- Private API

    def _values(self) -> dict[str, Any]:
        return {"required_labels": self.labels.value(), "min_audio_s": self.min_audio.value(),
                "photo_window_h": self.photo_window.value(), "max_file_mb": self.max_file.value(),
                "no_photo_reuse": self.no_reuse_box.isChecked(), "active": self.active_box.isChecked()}

    def _args(self) -> dict[str, Any]:
        values = self._values()
        rule = self.rule
        args: dict[str, Any] = {"scope": self.scope_combo.currentData(),
                                "scope_value": self.scope_value_combo.currentData() or ""}
        if rule is not None and rule.stored:
            args["id"] = rule.id
            before = {name: getattr(rule, name) for name in SETTINGS}
            before["required_labels"] = list(before["required_labels"])
            values = {k: v for k, v in values.items() if before[k] != v}
        return {**args, **values}

    def _show(self, values: dict[str, Any]) -> None:
        self.labels.set_value(values["required_labels"])
        self.min_audio.set_value(values["min_audio_s"])
        self.photo_window.set_value(values["photo_window_h"])
        self.max_file.set_value(values["max_file_mb"])
        self.no_reuse_box.setChecked(bool(values["no_photo_reuse"]))
        self.active_box.setChecked(bool(values["active"]))

    def _fill_values(self) -> None:
        scope = self.scope_combo.currentData()
        self.scope_value_combo.clear()
        if scope == "visit_type":
            for code in capture_rules.VISIT_TYPES:
                self.scope_value_combo.addItem(visit_type_name(code), code)
        elif scope == "segment":
            for code in SEGMENTS:
                self.scope_value_combo.addItem(segment_name(code), code)
        else:
            self.scope_value_combo.addItem(self.tr("(every visit)"), "")
