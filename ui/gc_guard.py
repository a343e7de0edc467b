"""Python's cyclic garbage collector, run on the GUI thread only.

CPython collects on whichever thread happens to allocate past the threshold. The database and
network threads allocate all the time, so a collection there may free the last reference to a widget
or another QObject that belongs to the GUI thread, and Qt destroys it on the wrong thread: the test
suite crashed now and then (a segmentation fault inside ``concurrent.futures``' worker, a bus error)
right after a dialog was released. With the automatic collector off and the same generational
thresholds checked from a timer on the GUI thread, every cycle is freed there. Plain reference
counting is untouched: objects without cycles are still freed at once, on any thread.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 200


class GuiThreadCollector(QObject):
    """Turns the automatic collector off and collects by its thresholds from a GUI-thread timer."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self._threshold = gc.get_threshold()
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check)
        self._timer.start(interval_ms)

    def check(self) -> None:
        """Collect the generations whose counts passed their thresholds, youngest first (as CPython does)."""
        count0, count1, count2 = gc.get_count()
        if count0 > self._threshold[0]:
            gc.collect(0)
            if count1 > self._threshold[1]:
                gc.collect(1)
                if count2 > self._threshold[2]:
                    gc.collect(2)

    def stop(self) -> None:
        """Give the collector back to CPython (as it was before)."""
        self._timer.stop()
        if self._was_enabled:
            gc.enable()
