"""Long jobs: progress shown while the job runs on the database thread, cancel where it makes sense."""

from __future__ import annotations

import time

from PySide6.QtWidgets import QPushButton
from shiboken6 import isValid
from sqlalchemy import func, select

from desktop.models import Customer
from ui import progress as progress_module
from ui.context import AppContext
from ui.progress import run_with_progress
from ui.startup import seed_if_new


def test_progress_is_shown_and_cancel_stops_the_job(qtbot, store):
    context = AppContext(store, "en")
    results = []

    def job(_store, progress):
        for step in range(200):
            if not progress.set(step / 200, f"step {step}"):
                return ("cancelled at", step)
            time.sleep(0.01)
        return ("finished", 200)

    dialog = run_with_progress(context.tasks, None, "Working", job, lambda f: results.append(f.result()))
    qtbot.waitUntil(lambda: dialog.value() >= 25)  # 5 steps reported through the main thread
    assert dialog.isVisible() and "step" in dialog.labelText()
    dialog.findChild(QPushButton).click()  # the user presses Cancel
    qtbot.waitUntil(lambda: bool(results))
    assert results[0][0] == "cancelled at" and results[0][1] < 200
    assert dialog not in progress_module._running  # released to Qt, which deletes it once closed
    assert not isValid(dialog) or not dialog.isVisible()
    context.tasks.shutdown()


def test_a_new_database_gets_the_demo_organisation_behind_a_progress_dialog(qtbot, store):
    context = AppContext(store, "en")
    continued = []
    seed_if_new(context, lambda: continued.append(True))
    assert not continued  # the seeding runs on the database thread; the window stays live
    qtbot.waitUntil(lambda: bool(continued), timeout=20000)
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(Customer)) == 300
    seed_if_new(context, lambda: continued.append(True))  # not empty any more: straight on
    assert continued == [True, True]
    context.tasks.shutdown()
