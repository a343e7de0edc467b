"""What every data-entry dialog shares: errors shown where they belong, and saving through one mutation.

A refusal (:class:`desktop.errors.DomainError`) names the field at fault; :class:`FieldErrors` shows its
message in a red line under that field and outlines the field, or at the top of the form when it names
no field (or one the form does not show). Before anything is sent, :func:`precheck` runs the mutation's
own declared field checks (required, length, choice, money...) so the obvious problems appear at once,
all of them, in the very words the mutation would use. A failed save touches no input: what was typed
stays, and Save works again. Esc, Cancel or the window's close button on a form with something typed
asks before throwing it away (:class:`DiscardGuard`); an untouched form just closes.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, SignalInstance
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from desktop import mutations
from desktop.errors import DomainError
from desktop.mutations.fields import Field
from ui.context import AppContext
from ui.ops import MutationOp, describe

ERROR_COLOR = "#b00020"
HINT_COLOR = "#5f6368"
# Outlines a field that has an error; set on the dialog so one dynamic property drives every widget.
FIELD_ERROR_STYLE = f'*[fieldError="true"] {{ border: 1px solid {ERROR_COLOR}; }}'


def alive(obj: QObject) -> bool:
    """False once the C++ side of obj was deleted (a dialog closed with WA_DeleteOnClose while a
    database op was still running: its result must not touch the dead widget)."""
    return shiboken6.isValid(obj)


def open_form(dialog: QDialog) -> QDialog:
    """Open a form window-modally; once closed it is deleted, so forms do not pile up under their parent."""
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


STALE_RATE = "stale_rate"  # a refusal the person may override by confirming (desktop.mutations.quotes)


def confirm_stale_rate(parent: QWidget, exc: Exception, language: str, question: str) -> bool:
    """When ``exc`` refuses a rate more than five days old, ask the person whether to go on with it
    (their explicit confirmation); False for any other refusal, or when they decline."""
    if not isinstance(exc, DomainError) or exc.code != STALE_RATE:
        return False
    answer = QMessageBox.question(
        parent, QCoreApplication.translate("forms", "An older exchange rate"), f"{exc.message(language)}\n\n{question}",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


def precheck(fields: Mapping[str, Field], args: Mapping[str, Any]) -> list[DomainError]:
    """Every declared-field problem in args (the mutation stops at the first; a form shows them all)."""
    problems = []
    for name, value in args.items():
        field = fields.get(name)
        if field is None:
            continue
        try:
            field.parse(name, value)
        except DomainError as exc:
            problems.append(exc)
    return problems


class FieldErrors:
    """Shows errors next to the fields they name, or in a banner at the top of the form."""

    def __init__(self, language: Callable[[], str], banner: QLabel) -> None:
        self._language = language  # read when an error is shown: the user may switch languages
        self._banner = banner
        self._widgets: dict[str, QWidget] = {}
        self._outlined: dict[str, QWidget] = {}
        self._labels: dict[str, QLabel] = {}
        self._hints: dict[str, QLabel] = {}
        _style_error_label(banner)

    def add_row(self, form: QFormLayout, label: str, name: str, widget: QWidget,
                outline: QWidget | None = None) -> None:
        """Add a form row for field ``name``: the widget with its (hidden) error line under it.

        ``outline`` is the part to outline on error, when it is not the widget itself (a composite picker).
        """
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(widget)
        error = QLabel()
        error.setObjectName(f"error_{name}")
        _style_error_label(error)
        column.addWidget(error)
        hint = QLabel()
        hint.setObjectName(f"hint_{name}")
        hint.setStyleSheet(f"color: {HINT_COLOR}")
        hint.setWordWrap(True)
        hint.hide()
        column.addWidget(hint)
        form.addRow(label, box)
        self._widgets[name] = widget
        self._outlined[name] = outline or widget
        self._labels[name] = error
        self._hints[name] = hint
        changed = _changed_signal(widget)
        if changed is not None:  # the user is fixing it: the old message no longer applies
            changed.connect(lambda *_args, n=name: self.clear_field(n))

    def show_field(self, name: str, text: str) -> None:
        label = self._labels[name]
        label.setText(text)
        label.show()
        _set_outlined(self._outlined[name], True)

    def show_hint(self, name: str, text: str) -> None:
        """A quiet note under field ``name`` (e.g. the server's value beside the user's); not an error."""
        if name in self._hints:
            self._hints[name].setText(text)
            self._hints[name].show()

    def hint(self, name: str) -> str:
        """The note shown under field ``name`` ("" when none)."""
        label = self._hints.get(name)
        return label.text() if label is not None and not label.isHidden() else ""

    def has_field(self, name: str) -> bool:
        return name in self._widgets

    def show_banner(self, text: str) -> None:
        self._banner.setText(text)
        self._banner.show()

    def show_exception(self, exc: Exception) -> None:
        """A refusal next to its field (or at the top); anything unexpected at the top, as it is."""
        if isinstance(exc, DomainError) and exc.field in self._labels:
            self.show_field(exc.field, exc.message(self._language()))
            self._focus(exc.field)
        else:
            self.show_banner(describe(exc, self._language()))

    def show_all(self, problems: list[DomainError]) -> None:
        for exc in problems:
            self.show_exception(exc)
        first = next((p.field for p in problems if p.field in self._widgets), None)
        if first is not None:
            self._focus(first)

    def clear_field(self, name: str) -> None:
        self._labels[name].clear()
        self._labels[name].hide()
        _set_outlined(self._outlined[name], False)

    def clear(self) -> None:
        for name in self._labels:
            self.clear_field(name)
        self._banner.clear()
        self._banner.hide()

    def message(self, name: str) -> str:
        """The error shown for field ``name`` ("" when none)."""
        return self._labels[name].text()

    def banner(self) -> str:
        return self._banner.text()

    def label(self, name: str) -> QLabel:
        """The error line under field ``name``."""
        return self._labels[name]

    def is_outlined(self, name: str) -> bool:
        """Whether field ``name`` is outlined as having an error."""
        return self._outlined[name].property("fieldError") is True

    # ---- Private API

    def _focus(self, name: str) -> None:
        self._outlined[name].setFocus()


def form_state(root: QWidget) -> list[Any]:
    """What the user can have typed or chosen in root's editors, to tell whether anything changed."""
    state: list[Any] = []
    for widget in root.findChildren(QWidget):
        if isinstance(widget, QMessageBox):
            continue
        if isinstance(widget, QLineEdit):
            state.append(widget.text())
        elif isinstance(widget, QPlainTextEdit):
            state.append(widget.toPlainText())
        elif isinstance(widget, QComboBox):
            state.append(widget.currentText())
        elif isinstance(widget, QAbstractSpinBox):  # date and time editors too, as shown
            state.append(widget.text())
        elif isinstance(widget, QAbstractButton) and widget.isCheckable():
            state.append(widget.isChecked())
        elif isinstance(widget, QTableWidget):  # typed cells (a cell's combo box is a child, seen above)
            state.append([[item.text() if (item := widget.item(row, col)) is not None else None
                           for col in range(widget.columnCount())] for row in range(widget.rowCount())])
    return state


class DiscardGuard:
    """Asks "放弃已输入的内容？" before a dialog closes with something typed since :meth:`mark_clean`.

    The question is window-modal but does not block (``open``, not ``exec``): the event loop, and the
    database thread's results, go on meanwhile. *Keep editing* (the default, also Esc) leaves every
    field as it was; *Discard* closes the dialog.
    """

    def __init__(self, dialog: QDialog, state: Callable[[], Any] | None = None) -> None:
        # A weak reference: the dialog holds its guard, and a cycle would keep a deleted dialog's
        # Python wrapper alive (code holding a weak reference to the dialog would then touch it).
        self._dialog = weakref.ref(dialog)
        self._state = state or (lambda: form_state(self._dialog()) if self._dialog() is not None else None)
        self._clean: Any = None
        self.question: QMessageBox | None = None  # while it is asked

    def mark_clean(self) -> None:
        """What the dialog shows now is what closing may drop without asking (just loaded or saved)."""
        self._clean = self._state()

    def changed(self) -> bool:
        """Something was typed or chosen since :meth:`mark_clean` (never marked: nothing to lose yet)."""
        return self._clean is not None and self._state() != self._clean

    def close_or_ask(self, close: Callable[[], None]) -> None:
        """Call ``close`` at once when nothing changed; otherwise only once the user chose Discard."""
        if self.question is not None:
            self.question.raise_()
            return
        if not self.changed():
            close()
            return
        title = QCoreApplication.translate("forms", "Discard what you typed?")
        box = QMessageBox(QMessageBox.Icon.Question, title, title, QMessageBox.StandardButton.NoButton,
                          self._dialog())
        box.setInformativeText(QCoreApplication.translate("forms", "What you typed in this window has not been saved."))
        keep = box.addButton(QCoreApplication.translate("forms", "Keep editing"), QMessageBox.ButtonRole.RejectRole)
        discard = box.addButton(QCoreApplication.translate("forms", "Discard"), QMessageBox.ButtonRole.DestructiveRole)
        discard.setObjectName("discard")
        keep.setObjectName("keep_editing")
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)
        self.question = box

        def answered() -> None:
            self.question = None
            box.deleteLater()
            dialog = self._dialog()
            if box.clickedButton() is discard and dialog is not None and alive(dialog):
                close()

        box.finished.connect(lambda _result: answered())
        box.open()


class FormDialog(QDialog):
    """A non-modal dialog that edits one thing and saves it through a mutation on the database thread.

    Subclasses build their rows with ``self.errors.add_row(self.form, ...)``, declare ``sig_saved``,
    implement :meth:`save` and call :meth:`_send` with the mutation's name and args. Save stays disabled
    until :meth:`_set_ready` (the dialog's data has been loaded).
    """

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setStyleSheet(FIELD_ERROR_STYLE)
        self.banner = QLabel()
        self.banner.setObjectName("error_banner")
        self.errors = FieldErrors(lambda: context.language, self.banner)
        self.note = QLabel()  # what this form is for, when it is not obvious (e.g. resending a refused change)
        self.note.setObjectName("note")
        self.note.setWordWrap(True)
        self.note.hide()
        self.form = QFormLayout()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText(QCoreApplication.translate("forms", "Save"))
        self.save_button.setEnabled(False)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(
            QCoreApplication.translate("forms", "Cancel"))
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.banner)
        layout.addLayout(self.form)
        layout.addWidget(self.buttons)
        self._ready = False
        self._saving = False
        self.discard_guard = DiscardGuard(self)

    @property
    def is_ready(self) -> bool:
        """True once the dialog's data is loaded and Save can be pressed."""
        return self._ready

    @property
    def is_saving(self) -> bool:
        """True while a mutation sent by this dialog is running."""
        return self._saving

    def save(self) -> None:
        """Check what was typed and send it (subclasses)."""
        raise NotImplementedError

    def reject(self) -> None:
        """Esc, Cancel or the close button: ask first when something typed would be lost."""
        if self._saving:  # what was typed is on its way to the database already
            self.close_without_asking()
            return
        self.discard_guard.close_or_ask(self.close_without_asking)

    def close_without_asking(self) -> None:
        """Close, dropping whatever was typed (it was carried elsewhere, or the user chose Discard)."""
        super().reject()

    def show_note(self, text: str) -> None:
        """A line at the top of the form saying what it is for."""
        self.note.setText(text)
        self.note.show()

    # ---- Private API

    def _set_ready(self) -> None:
        self._ready = True
        self.save_button.setEnabled(True)
        self.discard_guard.mark_clean()  # the record as loaded (or the empty form): nothing typed yet

    def _check(self, fields: Mapping[str, Field], args: Mapping[str, Any]) -> bool:
        """Clear old errors and show the declared-field problems of args; True when there are none."""
        self.errors.clear()
        problems = precheck(fields, args)
        self.errors.show_all(problems)
        return not problems

    def _send(self, name: str, args: dict[str, Any]) -> None:
        """Run mutation ``name`` as the signed-in user; on success emit sig_saved and close."""
        self._saving = True
        self.save_button.setEnabled(False)
        MutationOp(self.context.tasks, self.context.user_id, name, args) \
            .success(self._on_saved).failure(self._on_failed).run()

    def _on_saved(self, outcome: mutations.Outcome) -> None:
        if not alive(self):
            return
        self._saving = False
        self.sig_saved.emit(outcome)  # type: ignore[attr-defined]  (declared by each dialog)
        self.accept()

    def _on_failed(self, exc: Exception) -> None:
        if not alive(self):
            return
        self._saving = False
        self.save_button.setEnabled(True)
        self.errors.show_exception(exc)


# ---- Private helpers

def _style_error_label(label: QLabel) -> None:
    label.setStyleSheet(f"color: {ERROR_COLOR}")
    label.setWordWrap(True)
    label.hide()


def _set_outlined(widget: QWidget, on: bool) -> None:
    if widget.property("fieldError") == on:
        return
    widget.setProperty("fieldError", on)
    widget.style().unpolish(widget)  # a dynamic property only restyles after a re-polish
    widget.style().polish(widget)
    widget.update()


def _changed_signal(widget: QWidget) -> SignalInstance | None:
    """The signal that says the user changed widget's value (None: the widget reports it itself)."""
    if isinstance(widget, QLineEdit):
        return widget.textEdited
    if isinstance(widget, QPlainTextEdit):
        return widget.textChanged
    if isinstance(widget, QComboBox):
        return widget.activated
    if isinstance(widget, QDateTimeEdit):  # QDateEdit too
        return widget.dateTimeChanged
    if isinstance(widget, QAbstractSpinBox):
        return widget.editingFinished
    if isinstance(widget, QAbstractButton):
        return widget.toggled
    changed = getattr(widget, "sig_changed", None)
    return changed if isinstance(changed, SignalInstance) else None
