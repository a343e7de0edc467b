"""Running work off the main thread, Anki-style.

All database work runs on ONE worker thread, one task at a time, in submission order; network work
runs on another. An op's function receives the store (or nothing, for network ops) and runs on the
worker: it must never touch a widget. Its result, or its exception, comes back on the main thread
through a queued Qt signal, where ``success`` / ``failure`` run. Mutations announce what they changed
through :attr:`TaskManager.sig_data_changed`; views listen to that one signal to refresh.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, Qt, Signal

from desktop import mutations
from desktop.errors import DomainError
from desktop.store import Store

T = TypeVar("T")


class DaemonWorker:
    """One daemon thread running submitted calls in order, like ThreadPoolExecutor(max_workers=1).

    For network work: a request may hang for the length of its timeout, and an executor's threads
    are joined when the interpreter exits, so a window closed during a sync would leave the process
    waiting for it. This thread does not hold the exit up; whatever it was doing to the database is
    one transaction, which SQLite rolls back if it never committed.
    """

    _STOP = object()

    def __init__(self, name: str) -> None:
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        if self._closed:
            raise RuntimeError("the worker has shut down")
        future: Future[T] = Future()
        self._queue.put((future, fn))
        return future

    def shutdown(self, timeout: float = 0.0) -> None:
        """Cancel what has not started; wait up to ``timeout`` seconds for the call under way."""
        self._closed = True
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not self._STOP:
                item[0].cancel()
        self._queue.put(self._STOP)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is self._STOP:
                return
            future, fn = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn())
            except BaseException as exc:  # noqa: BLE001 - handed to whoever waits on the future
                future.set_exception(exc)


class Handback(QObject):
    """Results of calls made on a worker thread, handed to their ``done`` on the main thread, without the
    worker ever holding the last reference to anything the main thread owns.

    fn and done often hold widgets (a dialog's method, a lambda over a page). Were a worker's reference
    the last one, the widget would be destroyed on the worker thread, which Qt does not allow: test runs
    crashed in ``concurrent.futures``' ``del work_item`` now and then. So done stays here, on the main
    thread, keyed by a number; the worker drops fn before it reports, and hands the result over through
    a queue, keeping no reference of its own, before it signals."""

    _sig_ready = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tokens = itertools.count(1)
        self._waiting: dict[int, Callable[[Future[Any]], None]] = {}  # main thread only
        self._results: queue.SimpleQueue[tuple[int, Future[Any]]] = queue.SimpleQueue()
        self._sig_ready.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def wrap(self, fn: Callable[[], T], done: Callable[[Future[T]], None]) -> Callable[[], None]:
        """What to submit to the worker: it runs fn there, then done(future) runs on the main thread."""
        token = next(self._tokens)
        self._waiting[token] = done
        box: list[Callable[[], T]] = [fn]
        results, signal = self._results, self._sig_ready

        def work() -> None:
            future: Future[T] | None = Future()
            future.set_running_or_notify_cancel()
            job = box.pop()
            try:
                future.set_result(job())
            except BaseException as exc:  # noqa: BLE001 - handed to done on the main thread
                future.set_exception(exc)
                del exc
            del job
            results.put((token, future))
            future = None
            signal.emit()

        return work

    def _deliver(self) -> None:
        while True:
            try:
                token, future = self._results.get_nowait()
            except queue.Empty:
                return
            self._waiting.pop(token)(future)


class Progress:
    """Handed to long jobs: they report progress and check for cancellation; no Qt involved."""

    def __init__(self, report: Callable[[float, str], None]) -> None:
        self._report = report
        self._cancelled = threading.Event()

    def set(self, fraction: float, what: str = "") -> bool:
        """Report progress; returns False once cancellation was requested (the job should stop)."""
        self._report(fraction, what)
        return not self._cancelled.is_set()

    def cancel(self) -> None:
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()


class TaskManager(QObject):
    """The worker threads, and the bridge back to the main thread."""

    sig_data_changed = Signal(object)
    """Emitted on the main thread after a mutation committed; carries its desktop.mutations.Outcome."""

    _sig_progress = Signal(object)
    _sig_call = Signal(object)

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fieldmark-db")
        self._net = DaemonWorker("fieldmark-net")
        self._handback = Handback(self)
        self._sig_progress.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)
        self._sig_call.connect(self._on_call, Qt.ConnectionType.QueuedConnection)
        self.pending = 0
        self._closed = False

    def run_db(self, fn: Callable[[Store], T], done: Callable[[Future[T]], None], *, writes: bool = False) -> None:
        """Run fn(store) on the database thread; call done(future) on the main thread.

        After shutdown a read is dropped (no one is left to show it to); a write raises, so that a
        change is never lost without a word.
        """
        if self._closed and writes:
            raise RuntimeError("the database thread has shut down; the change was not made")
        self._submit(self._db, lambda: fn(self.store), done)

    def run_net(self, fn: Callable[[], T], done: Callable[[Future[T]], None]) -> None:
        """Run fn() on the network thread; call done(future) on the main thread."""
        self._submit(self._net, fn, done)

    def progress_bridge(self, callback: Callable[[float, str], None]) -> Callable[[float, str], None]:
        """A report function safe to call from a worker: callback runs on the main thread."""
        return lambda fraction, what: self._sig_progress.emit((callback, fraction, what))

    def on_main_thread(self, callback: Callable[..., None]) -> Callable[..., None]:
        """A function safe to call from a worker with any arguments: callback gets them on the main thread."""
        return lambda *args: self._sig_call.emit((callback, args))

    def shutdown(self) -> None:
        """Finish the database work already queued (nothing is lost), then refuse new work."""
        self._closed = True
        self._db.shutdown(wait=True)
        self._net.shutdown(timeout=2.0)  # a sync told to cancel usually stops by then; the exit never waits longer

    # ---- Private API

    def _submit(self, executor: ThreadPoolExecutor | DaemonWorker, fn: Callable[[], T],
                done: Callable[[Future[T]], None]) -> None:
        if self._closed:
            return  # the app is closing: a view refreshing now has no one to show it to
        self.pending += 1
        executor.submit(self._handback.wrap(fn, lambda future: self._on_done(done, future)))

    def _on_done(self, done: Callable[[Future[Any]], None], future: Future[Any]) -> None:
        self.pending -= 1
        done(future)

    def _on_progress(self, payload: tuple[Callable[[float, str], None], float, str]) -> None:
        callback, fraction, what = payload
        callback(fraction, what)

    def _on_call(self, payload: tuple[Callable[..., None], tuple[Any, ...]]) -> None:
        callback, args = payload
        callback(*args)


class QueryOp(Generic[T]):
    """Read something on the database thread and hand it to ``success`` on the main thread."""

    def __init__(self, tasks: TaskManager, op: Callable[[Store], T]) -> None:
        self._tasks = tasks
        self._op = op
        self._success: Callable[[T], None] = lambda _r: None
        self._failure: Callable[[Exception], None] | None = None

    def success(self, fn: Callable[[T], None]) -> QueryOp[T]:
        self._success = fn
        return self

    def failure(self, fn: Callable[[Exception], None]) -> QueryOp[T]:
        self._failure = fn
        return self

    def run(self) -> None:
        def done(future: Future[T]) -> None:
            exc = future.exception()
            if exc is None:
                self._success(future.result())
            elif self._failure is not None:
                self._failure(exc)  # type: ignore[arg-type]
            else:
                raise exc

        self._tasks.run_db(self._op, done)


class MutationOp:
    """Run one mutation (or a batch) as the signed-in user; on success, announce the data change.

    A DomainError goes to ``failure`` (the dialog shows it next to the field and keeps what was typed);
    any other exception too, so nothing a user did disappears silently.
    """

    def __init__(self, tasks: TaskManager, actor_id: str, name: str, args: dict[str, Any]) -> None:
        self._tasks = tasks
        self._calls: list[tuple[str, dict[str, Any]]] = [(name, args)]
        self._actor_id = actor_id
        self._success: Callable[[mutations.Outcome], None] = lambda _o: None
        self._failure: Callable[[Exception], None] = _raise

    @classmethod
    def batch(cls, tasks: TaskManager, actor_id: str, calls: list[tuple[str, dict[str, Any]]]) -> MutationOp:
        """Several mutations in one transaction (desktop.mutations.run_many): all saved, or none;
        ``success`` gets the last one's outcome."""
        if not calls:
            raise ValueError("a batch needs at least one mutation")
        op = cls(tasks, actor_id, *calls[0])
        op._calls = list(calls)
        return op

    def success(self, fn: Callable[[mutations.Outcome], None]) -> MutationOp:
        self._success = fn
        return self

    def failure(self, fn: Callable[[Exception], None]) -> MutationOp:
        self._failure = fn
        return self

    def run(self) -> None:
        def op(store: Store) -> list[mutations.Outcome]:
            return mutations.run_many(store, self._actor_id, self._calls)

        def done(future: Future[list[mutations.Outcome]]) -> None:
            exc = future.exception()
            if exc is not None:
                self._failure(exc)  # type: ignore[arg-type]
                return
            outcomes = future.result()
            for outcome in outcomes:
                self._tasks.sig_data_changed.emit(outcome)
            self._success(outcomes[-1])

        self._tasks.run_db(op, done, writes=True)


def _raise(exc: Exception) -> None:
    raise exc


def describe(exc: Exception, language: str) -> str:
    """A message for the user: a domain error's own words, or the exception for anything unexpected."""
    if isinstance(exc, DomainError):
        return exc.message(language)
    return f"{type(exc).__name__}: {exc}"
