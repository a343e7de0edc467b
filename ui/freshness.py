"""Keeping a page's data current without reading it while nobody looks at it.

Every page that shows data reads it again after a change (``TaskManager.sig_data_changed``, sent
after each mutation and each sync): at once while it is on screen, else when it is next shown. A
page gives :class:`Freshness` its refresh function, and optionally which changes concern it (the
visit rules page cares only about ``capture_rule.set``) and its own reason to read again on showing
(Today's plan: a new day has begun).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget
from shiboken6 import isValid

from ui.ops import TaskManager


class Freshness(QObject):
    """Re-reads ``page`` on a data change that concerns it while it is visible; otherwise marks it
    stale and re-reads it when it is shown. A child of the page: it goes when the page goes."""

    def __init__(self, page: QWidget, tasks: TaskManager, refresh: Callable[[], None], *,
                 concerns: Callable[[object], bool] | None = None,
                 stale_when: Callable[[], bool] | None = None) -> None:
        super().__init__(page)
        self.page = page
        self.stale = False
        """A change concerning the page came while it was out of sight."""
        self._refresh = refresh
        self._concerns = concerns
        self._stale_when = stale_when
        page.installEventFilter(self)
        tasks.sig_data_changed.connect(self._on_data_changed)  # a method: disconnected when deleted

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if watched is self.page and event.type() == QEvent.Type.Show:
            if self.stale or (self._stale_when is not None and self._stale_when()):
                self.stale = False
                self._refresh()
        return False

    def _on_data_changed(self, outcome: object) -> None:
        if not isValid(self.page) or (self._concerns is not None and not self._concerns(outcome)):
            return
        if self.page.isVisible():
            self.stale = False
            self._refresh()
        else:
            self.stale = True
