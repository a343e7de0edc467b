"""Talking to the server from the shell: one SyncController per window context.

Every sync - in the background, "Sync now", or signing in from the connect dialog - goes through
:class:`SyncController`, which runs it on the network thread (one at a time: a "Sync now" during a
background sync joins it), hands it a :class:`ui.ops.Progress` that the status bar's Cancel stops,
and decides when the next background sync is due with the Qt-free :class:`ui.sync_schedule.SyncSchedule`.
The SyncClient is made and used on the network thread only (it is not thread-safe).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from desktop import mutations, remote
from desktop.store import Store
from sync.client import (
    DeviceRevoked,
    SignInRequired,
    SyncCancelled,
    SyncClient,
    SyncError,
    SyncUnavailable,
    UpgradeRequired,
)
from sync.token_store import open_token_store
from ui import sync_schedule as schedule_
from ui.ops import Progress, QueryOp
from ui.sync_schedule import SyncIntervals, SyncSchedule

if TYPE_CHECKING:
    from ui.context import AppContext


class NotConnected(Exception):
    """No server is configured on this computer (yet)."""


@dataclass
class Finished:
    """How a run on the network thread ended: its value or error, and where the device stands after it."""

    value: Any
    error: BaseException | None
    pending: int  # changes still waiting to be sent
    server_url: str | None

    @property
    def outcome(self) -> str:
        return outcome_of(self.error)


def outcome_of(error: BaseException | None) -> str:
    """The schedule's word for how a run ended."""
    if error is None:
        return schedule_.OK
    if isinstance(error, SyncCancelled):
        return schedule_.CANCELLED
    if isinstance(error, SignInRequired):
        return schedule_.SIGN_IN
    if isinstance(error, UpgradeRequired):
        return schedule_.UPGRADE
    if isinstance(error, SyncUnavailable):
        return schedule_.UNAVAILABLE
    if isinstance(error, NotConnected):
        return schedule_.NOT_CONNECTED
    return schedule_.ERROR


def client_for(context: AppContext, url: str | None = None) -> SyncClient | None:
    """The context's SyncClient, made (or remade for another URL) on first use; None with no server.

    Call it on the network thread only: it may read the database and open the keyring.
    """
    if url is None:
        url = remote.read_state(context.store).server_url
    if not url:
        return None
    client = getattr(context, "sync_client", None)
    if client is None or client.base_url != url.rstrip("/"):
        device_id, _code = context.store.device()
        client = SyncClient(context.store, url, open_token_store(context.store.path.parent, device_id),
                            **context.sync_client_options)
        context.sync_client = client
    return client


DOWNLOAD, INDEX = "download", "index"  # a first pull's steps (sync.first_pull)
FIRST_PULL_REFRESH_S = 2.0  # how often the views read again the rows a first pull has loaded


class SyncController(QObject):
    """Runs syncs on the network thread, one at a time, and the background sync's timer."""

    sig_changed = Signal()
    """The sync's situation changed (started, finished, paused, server known): re-read outcome, syncing."""
    sig_progress = Signal(float, str)
    """A running sync reported progress: fraction 0..1 and what it is doing ("push", "upload", "pull", or for a
    first pull "download" then "index"); ``remaining_s`` estimates a first pull's time left."""
    sig_sign_in_required = Signal(str)
    """A sync the user asked for needs them to sign in again; carries the reason in their language."""
    sig_finished = Signal(object)
    """A run ended; carries its :class:`Finished`."""
    sig_device_revoked = Signal()
    """The server withdrew this device: its token is gone and its folder is marked for erasing
    (sync.revocation). Whoever holds the store (ui.startup.Application) closes it and erases the folder."""

    def __init__(self, context: AppContext, intervals: SyncIntervals | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(context)
        self.context = context
        self.schedule = SyncSchedule(intervals)
        self._clock = clock
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timer)
        self._active = 0
        self._progresses: set[Progress] = set()
        self._waiters: list[Callable[[Finished], None]] = []
        self._announce = False  # a run the user asked for is under way: a sign-in problem opens the dialog
        self.server_url: str | None = None  # as last read; the network thread re-reads it before each sync
        self.outcome: str | None = None  # of the last sync (schedule_.OK, UNAVAILABLE, ...); None before any
        self.error: BaseException | None = None
        self.fraction = 0.0
        self.what = ""
        self.remaining_s: float | None = None  # a first pull's estimate of the time left, once it can tell
        self._download: tuple[float, float] | None = None  # (when, fraction) of a first pull's first rows
        self._refreshed = 0.0
        self.cancel_requested = False
        context.tasks.sig_data_changed.connect(self._on_data_changed)

    # ---- Public API

    @property
    def syncing(self) -> bool:
        return self._active > 0

    def set_intervals(self, intervals: SyncIntervals) -> None:
        self.schedule.intervals = intervals
        if self.schedule.enabled and not self.syncing:
            self.schedule.start(self._clock())
        self._arm()

    def start(self) -> None:
        """Sync in the background from now on (a user is signed in): soon, then as the schedule says."""
        self.schedule.start(self._clock())
        self.refresh()
        self._arm()

    def stop(self) -> None:
        """No more background syncs (a run under way finishes; Cancel stops it)."""
        self.schedule.stop()
        self._timer.stop()

    def refresh(self) -> None:
        """Re-read whether a server is configured (on the database thread)."""
        QueryOp(self.context.tasks, lambda store: remote.read_state(store).server_url) \
            .success(self._on_server_url).failure(lambda _exc: None).run()

    def sync_now(self, done: Callable[[Finished], None] | None = None) -> bool:
        """The user asked to sync: start now, or join the sync under way. False when no server is known."""
        if not self.server_url:
            return False
        self._announce = True
        if self.syncing:
            if done is not None:
                self._waiters.append(done)
            return True
        self._submit(self._sync, done, sync_run=True)
        return True

    def run_job(self, job: Callable[[SyncClient | None, Progress], Any], url: str,
                done: Callable[[Finished], None]) -> None:
        """Run job(client for url, progress) on the network thread (after any sync under way), e.g. sign in
        and sync. Its success resumes a paused background sync; its failure is the caller's to show."""
        def work(progress: Progress) -> Any:
            return job(client_for(self.context, url), progress)

        self._submit(work, done, sync_run=False)

    def fetch_blobs(self, shas: list[str], done: Callable[[Finished], None]) -> None:
        """Download evidence files missing here (SyncClient.fetch_blob), on the network thread after any
        sync under way; done(Finished) runs on the main thread with value = {sha256: True if the file is
        here now, False if the server refused it}. The first failure (no server, offline, signed out)
        stops the rest and is the Finished's error. Not a sync: the status bar and schedule ignore it."""
        wanted = list(dict.fromkeys(shas))
        store = self.context.store

        def work() -> Finished:
            got: dict[str, bool] = {}
            error: BaseException | None = None
            try:
                client = client_for(self.context)
                if client is None:
                    raise NotConnected()
                for sha in wanted:
                    got[sha] = client.fetch_blob(sha)
            except Exception as exc:  # noqa: BLE001 - handed to done, which decides what to show
                error = exc
            try:
                pending, url = _where(store)
            except Exception:  # noqa: BLE001 - the store is closing
                pending, url = 0, None
            return Finished(got, error, pending, url)

        def finished(future: Future[Finished]) -> None:
            if not future.cancelled():  # cancelled: the app is closing
                result = future.result()
                done(result)
                if isinstance(result.error, DeviceRevoked):
                    self._withdrawn()

        self.context.tasks.run_net(work, finished)

    def cancel(self) -> None:
        """Ask the running sync to stop at its next safe point; what it did so far is kept."""
        if not self._progresses:
            return
        self.cancel_requested = True
        for progress in self._progresses:
            progress.cancel()
        self.sig_changed.emit()

    def next_attempt_in(self) -> float | None:
        """Seconds until the next background sync, or None."""
        return self.schedule.due_in(self._clock())

    # ---- Private API

    def _sync(self, progress: Progress) -> Any:
        url = remote.read_state(self.context.store).server_url
        if not url:
            raise NotConnected()
        client = client_for(self.context, url)
        assert client is not None
        return client.sync(progress)

    def _submit(self, job: Callable[[Progress], Any], done: Callable[[Finished], None] | None, *,
                sync_run: bool) -> None:
        self._active += 1
        self._timer.stop()
        self.schedule.began()
        self.cancel_requested = False
        self.fraction, self.what = 0.0, ""
        progress = Progress(self.context.tasks.progress_bridge(self._on_progress))
        self._progresses.add(progress)
        store = self.context.store

        def work() -> Finished:
            value, error = None, None
            try:
                value = job(progress)
            except Exception as exc:  # noqa: BLE001 - every failure goes back to the window, none is lost here
                error = exc
            try:
                pending, url = _where(store)
            except Exception:  # noqa: BLE001 - the store is closing; the run's own result still counts
                pending, url = 0, None
            return Finished(value, error, pending, url)

        def finished(future: Future[Finished]) -> None:
            self._on_done(future, progress, done, sync_run)

        if self._active == 1:
            self.context.sig_sync_started.emit()
            self.sig_changed.emit()
        self.context.tasks.run_net(work, finished)

    def _on_done(self, future: Future[Finished], progress: Progress, done: Callable[[Finished], None] | None,
                 sync_run: bool) -> None:
        self._active -= 1
        self._progresses.discard(progress)
        if future.cancelled():  # the app is closing
            return
        result = future.result()
        outcome = result.outcome
        if result.server_url is not None or outcome == schedule_.NOT_CONNECTED:
            self.server_url = result.server_url
        if sync_run or outcome == schedule_.OK:
            self.outcome, self.error = outcome, result.error
        waiters: list[Callable[[Finished], None]] = []
        announce = False
        if not self.syncing:
            now = self._clock()
            if sync_run:
                self.schedule.finished(now, outcome, result.pending > 0)
            elif outcome == schedule_.OK:  # signed in and synced: background sync goes on from here
                self.schedule.paused = None
                self.schedule.finished(now, outcome, result.pending > 0)
            else:  # a failed sign-in leaves the schedule as it was
                self.schedule.running = False
                if self.schedule.enabled and self.schedule.paused is None:
                    self.schedule.start(now)
            waiters, self._waiters = self._waiters, []
            self._download, self.remaining_s = None, None
            announce, self._announce = self._announce and sync_run, False
            self.context.sig_sync_finished.emit()
            self.context.tasks.sig_data_changed.emit(None)  # views refresh; the schedule ignores it
        if done is not None:
            done(result)
        for waiter in waiters:
            waiter(result)
        self.sig_finished.emit(result)
        self.sig_changed.emit()
        if isinstance(result.error, DeviceRevoked):
            self._withdrawn()
            return
        if announce and outcome == schedule_.SIGN_IN and isinstance(result.error, SyncError):
            self.sig_sign_in_required.emit(result.error.message(self.context.language))
        self._arm()

    def _withdrawn(self) -> None:
        """No sync will ever succeed from this folder again: stop, and hand it to whoever erases it."""
        self.stop()
        self.sig_device_revoked.emit()

    def _on_progress(self, fraction: float, what: str) -> None:
        now = self._clock()
        if what == DOWNLOAD:  # a first pull (sync.first_pull): the rows come at a steady pace
            if self._download is None:
                self._download = (now, fraction)
            since, first = self._download
            if fraction - first > 0.005 and now > since:
                self.remaining_s = (now - since) * (1.0 - fraction) / (fraction - first)
            if now - self._refreshed >= FIRST_PULL_REFRESH_S:  # what is loaded shows in the lists meanwhile
                self._refreshed = now
                self.context.tasks.sig_data_changed.emit(None)
        elif what != INDEX:
            self._download, self.remaining_s = None, None
        self.fraction, self.what = fraction, what
        self.sig_progress.emit(fraction, what)

    def _on_server_url(self, url: str | None) -> None:
        self.server_url = url
        if not url:
            if self.schedule.paused is None:
                self.schedule.paused = schedule_.NOT_CONNECTED
        elif self.schedule.paused == schedule_.NOT_CONNECTED:
            self.schedule.paused = None
            if self.schedule.enabled:
                self.schedule.start(self._clock())
        self.sig_changed.emit()
        self._arm()

    def _on_data_changed(self, outcome: object) -> None:
        if outcome is None:
            return  # sync's own refresh, or a problem set aside: nothing new to send
        self.schedule.changed(self._clock())
        self._arm()

    def _on_timer(self) -> None:
        if self.syncing or not self.schedule.enabled:
            return
        due = self.schedule.due_in(self._clock())
        if due is None:
            return
        if due > 0:  # woke early (timers are not exact)
            self._arm()
            return
        self._submit(self._sync, None, sync_run=True)

    def _arm(self) -> None:
        due = self.schedule.due_in(self._clock())
        if due is None or self.syncing:
            self._timer.stop()
            return
        self._timer.start(max(0, int(due * 1000)))


def _where(store: Store) -> tuple[int, str | None]:
    """Changes waiting and the server URL, read on the worker that just synced."""
    with store.read() as session:
        pending = mutations.pending(session)
    return pending, remote.read_state(store).server_url
