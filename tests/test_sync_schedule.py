"""The background sync's timing, with plain numbers for time (ui.sync_schedule imports no Qt)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from ui import sync_schedule
from ui.sync_schedule import CANCELLED, ERROR, OK, SIGN_IN, UNAVAILABLE, UPGRADE, SyncIntervals, SyncSchedule

INTERVALS = SyncIntervals(startup_s=2, after_change_s=5, pending_s=60, idle_s=300, retry_s=10, retry_max_s=120)


def started(now: float = 0.0) -> SyncSchedule:
    schedule = SyncSchedule(INTERVALS)
    schedule.start(now)
    return schedule


def test_the_policy_knows_no_qt():
    tree = ast.parse(Path(sync_schedule.__file__).read_text(encoding="utf-8"))
    modules = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)] + \
              [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in modules if m and m.split(".")[0] in ("PySide6", "ui", "sync", "desktop")]


def test_nothing_is_planned_until_started_and_the_first_sync_comes_soon():
    schedule = SyncSchedule(INTERVALS)
    assert schedule.due_in(0) is None
    schedule.changed(0)
    assert schedule.due_in(1) is None
    schedule.start(10)
    assert schedule.due_in(10) == 2
    assert schedule.due_in(15) == 0


def test_changes_are_debounced_but_a_steady_stream_still_syncs_within_the_pending_interval():
    schedule = started()
    schedule.began()
    schedule.finished(1, OK, pending=False)
    assert schedule.due_in(1) == 300
    schedule.changed(10)
    assert schedule.due_in(10) == 5
    schedule.changed(13)  # another save before the quiet period ended: wait again
    assert schedule.due_in(13) == 5
    for t in range(16, 70, 3):  # saving every 3 s for a minute
        schedule.changed(t)
    assert schedule.due_in(69) == 1  # 10 + 60: the first change of the burst waited long enough


def test_after_a_sync_the_next_is_periodic_shorter_while_changes_wait():
    schedule = started()
    schedule.began()
    assert schedule.due_in(0) is None  # never two at once
    schedule.finished(0, OK, pending=True)
    assert schedule.due_in(0) == 60
    schedule.began()
    schedule.finished(100, OK, pending=False)
    assert schedule.due_in(100) == 300


def test_a_change_saved_while_syncing_is_sent_soon_after():
    schedule = started()
    schedule.began()
    schedule.changed(1)
    schedule.finished(2, OK, pending=True)
    assert schedule.due_in(2) == 5


def test_an_unreachable_server_is_retried_less_and_less_often_up_to_the_cap():
    schedule = started()
    delays = []
    now = 0.0
    for _ in range(6):
        schedule.began()
        schedule.finished(now, UNAVAILABLE, pending=True)
        delays.append(schedule.due_in(now))
        now += delays[-1]
    assert delays == [10, 20, 40, 80, 120, 120]
    schedule.changed(now - 119)  # saving while offline does not hammer the server
    assert schedule.due_in(now - 119) == 119
    schedule.began()
    schedule.finished(now, OK, pending=False)
    assert schedule.failures == 0 and schedule.due_in(now) == 300


def test_other_errors_back_off_too():
    schedule = started()
    schedule.began()
    schedule.finished(0, ERROR, pending=True)
    assert schedule.due_in(0) == 10


@pytest.mark.parametrize("outcome", [SIGN_IN, UPGRADE])
def test_sign_in_and_upgrade_pause_background_sync_until_dealt_with(outcome):
    schedule = started()
    schedule.began()
    schedule.finished(0, outcome, pending=True)
    assert schedule.paused == outcome
    schedule.changed(1)
    assert schedule.due_in(1000) is None
    schedule.resume(2000)
    assert schedule.paused is None and schedule.due_in(2000) == 0


def test_a_cancelled_sync_resumes_at_the_periodic_interval_not_at_once():
    schedule = started()
    schedule.began()
    schedule.changed(1)
    schedule.finished(2, CANCELLED, pending=True)
    assert schedule.due_in(2) == 60


def test_stopping_forgets_what_was_planned():
    schedule = started()
    schedule.changed(1)
    schedule.stop()
    assert schedule.due_in(1) is None
    schedule.changed(2)
    assert schedule.due_in(2) is None
