"""When the next background sync is due: a small policy object with no Qt and no clock of its own.

The caller (ui.sync_actions.SyncController) passes the time in and arms a timer for :meth:`due_in`,
so the rules can be tested with plain numbers:

- soon after start-up; a few seconds after the last local change (debounced, but never later than
  one pending interval after the first change of a burst);
- periodically: every pending interval while changes wait, every idle interval otherwise;
- after a failure (server unreachable, or an error the next attempt may not repeat), again after a
  delay that doubles from ``retry_s`` up to ``retry_max_s``; local changes do not shorten it;
- never while a sync runs, and not at all while paused: signing in again, upgrading, or connecting
  first is the user's move.
"""

from __future__ import annotations

from dataclasses import dataclass

# What a run ended with.
OK = "ok"
CANCELLED = "cancelled"
UNAVAILABLE = "unavailable"
ERROR = "error"
SIGN_IN = "sign_in"
UPGRADE = "upgrade"
NOT_CONNECTED = "not_connected"
PAUSING = frozenset({SIGN_IN, UPGRADE, NOT_CONNECTED})
FAILING = frozenset({UNAVAILABLE, ERROR})


@dataclass(frozen=True)
class SyncIntervals:
    """Seconds. The defaults suit a person at work; tests pass short ones."""

    startup_s: float = 5.0
    after_change_s: float = 5.0
    pending_s: float = 60.0
    idle_s: float = 300.0
    retry_s: float = 15.0
    retry_max_s: float = 300.0


class SyncSchedule:
    """The background sync's timing; every method takes ``now`` (seconds on a monotonic clock)."""

    def __init__(self, intervals: SyncIntervals | None = None) -> None:
        self.intervals = intervals or SyncIntervals()
        self.enabled = False
        self.running = False
        self.paused: str | None = None  # SIGN_IN, UPGRADE or NOT_CONNECTED
        self.failures = 0  # consecutive failed runs
        self.retry_delay: float | None = None  # the delay chosen after the last failure
        self._timer_due: float | None = None  # start-up, periodic or retry
        self._change_due: float | None = None  # debounced local changes
        self._first_change: float | None = None
        self._changed_while_running = False

    # ---- Public API

    def start(self, now: float) -> None:
        """Background sync is wanted (a user is signed in): the first one soon."""
        self.enabled = True
        if not self.running and self.paused is None:
            self._timer_due = now + self.intervals.startup_s

    def stop(self) -> None:
        self.enabled = False
        self._timer_due = self._change_due = self._first_change = None

    def changed(self, now: float) -> None:
        """Local changes were saved."""
        if self.running:
            self._changed_while_running = True
            return
        if not self.enabled or self.paused is not None or self.failures:
            return  # a retry is already planned; hammering an unreachable server helps no one
        if self._first_change is None:
            self._first_change = now
        self._change_due = min(now + self.intervals.after_change_s, self._first_change + self.intervals.pending_s)

    def began(self) -> None:
        """A sync (background or manual) started."""
        self.running = True
        self._changed_while_running = False
        self._timer_due = self._change_due = self._first_change = None

    def finished(self, now: float, outcome: str, pending: bool) -> None:
        """A sync ended with ``outcome``; ``pending`` says whether changes still wait to be sent."""
        self.running = False
        changed, self._changed_while_running = self._changed_while_running, False
        if outcome in PAUSING:
            self.paused = outcome
            self.retry_delay = None
            return
        self.paused = None
        if outcome in FAILING:
            self.failures += 1
            self.retry_delay = min(self.intervals.retry_max_s, self.intervals.retry_s * 2 ** (self.failures - 1))
            self._timer_due = now + self.retry_delay
            return
        self.failures = 0
        self.retry_delay = None
        # Cancelled: the user stopped it; it resumes at the periodic interval, not at once.
        self._timer_due = now + (self.intervals.pending_s if pending else self.intervals.idle_s)
        if changed and outcome == OK:
            self.changed(now)

    def resume(self, now: float) -> None:
        """The user dealt with what paused it (signed in again, connected): sync at once."""
        self.paused = None
        self.failures = 0
        self.retry_delay = None
        if self.enabled and not self.running:
            self._timer_due = now

    def due_in(self, now: float) -> float | None:
        """Seconds until the next background sync (0: now); None when none is planned."""
        if not self.enabled or self.running or self.paused is not None:
            return None
        due = [t for t in (self._timer_due, self._change_due) if t is not None]
        return max(0.0, min(due) - now) if due else None
