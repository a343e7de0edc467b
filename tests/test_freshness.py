"""ui.freshness: a page reads its data again after a change that concerns it - at once while shown,
else when next shown - and on showing when it says it is out of date."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from ui.freshness import Freshness
from ui.ops import TaskManager


class Change:
    def __init__(self, name: str) -> None:
        self.name = name


def test_a_hidden_page_reads_again_once_when_shown_and_a_shown_one_at_once(qtbot, store):
    tasks = TaskManager(store)
    try:
        page = QWidget()
        qtbot.addWidget(page)
        reads: list[str] = []
        day = {"new": False}
        freshness = Freshness(page, tasks, lambda: reads.append("read"),
                              concerns=lambda o: o is None or getattr(o, "name", "") == "rate.record",
                              stale_when=lambda: day["new"])
        tasks.sig_data_changed.emit(Change("customer.create"))  # not its business
        tasks.sig_data_changed.emit(Change("rate.record"))
        tasks.sig_data_changed.emit(None)  # a sync ended
        assert reads == [] and freshness.stale  # nobody looks: nothing read yet
        page.show()
        assert reads == ["read"] and not freshness.stale  # once, however many changes came
        tasks.sig_data_changed.emit(Change("rate.record"))
        assert reads == ["read", "read"]  # on screen: at once
        page.hide()
        page.show()
        assert reads == ["read", "read"]  # nothing changed meanwhile
        page.hide()
        day["new"] = True
        page.show()
        assert reads == ["read", "read", "read"]  # the page's own reason (a new day)
    finally:
        tasks.shutdown()
