"""The mouse wheel scrolls the page, not a value the user never touched.

A combo box, spin box or date editor under the pointer takes the wheel by default: scrolling down a
form changed a nameplate photo's label without anyone noticing. One application-wide filter lets
such a widget take the wheel only once the user has clicked it or reached it with Tab; before that
the wheel goes on to the widget around it (the scroll area scrolls as if the editor were not there).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QWidget

GUARDED = (QComboBox, QAbstractSpinBox)  # QAbstractSpinBox covers QSpinBox, QDoubleSpinBox, QDate(Time)Edit


class WheelGuard(QObject):
    """An application event filter: a guarded editor without focus passes the wheel on to its parent."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if kind == QEvent.Type.Wheel and isinstance(watched, GUARDED) and not watched.hasFocus():
            _pass_on(watched, event)
            return True
        if kind == QEvent.Type.Polish and isinstance(watched, GUARDED):
            # Qt gives a WheelFocus widget the focus from the wheel itself, before any filter runs.
            _no_wheel_focus(watched)
        return False


def _pass_on(widget: QWidget, event: QWheelEvent) -> None:
    """Offer the wheel to the widgets around ``widget``, innermost first, until one takes it."""
    # Done here rather than by ignoring the event: Qt propagates only a wheel event from the window
    # system, and a scroll area hands its viewport's wheel to its scroll bars as a sent event.
    event.accept()
    parent = widget.parentWidget()
    while parent is not None:
        copy = QWheelEvent(parent.mapFromGlobal(event.globalPosition()), event.globalPosition(),
                           event.pixelDelta(), event.angleDelta(), event.buttons(), event.modifiers(),
                           event.phase(), event.inverted(), event.source())
        QApplication.sendEvent(parent, copy)
        if copy.isAccepted() or parent.isWindow():
            return
        parent = parent.parentWidget()


def _no_wheel_focus(widget: QWidget) -> None:
    if widget.focusPolicy() == Qt.FocusPolicy.WheelFocus:
        widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)


def install(app: QApplication) -> WheelGuard:
    """Guard every combo box and spin box of the app (once; a second call returns the first guard)."""
    existing = app.findChild(WheelGuard)
    if existing is not None:
        return existing
    guard = WheelGuard(app)
    app.installEventFilter(guard)
    for widget in app.allWidgets():  # those made before the guard, e.g. by a test
        if isinstance(widget, GUARDED):
            _no_wheel_focus(widget)
    return guard
