"""Long jobs with a progress dialog: the job runs on the database thread (or, before any database is
open, on a thread of its own), the window stays live."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QProgressDialog, QWidget

from desktop.store import Store
from ui.ops import DaemonWorker, Handback, Progress, TaskManager

T = TypeVar("T")

# Dialogs still running: Python must not collect one (and destroy the widget under Qt's feet) before
# its job has finished; Qt deletes it after it closes.
_running: set[QProgressDialog] = set()


class ProgressDialog(QProgressDialog):
    """A progress dialog; one that cannot be cancelled cannot be closed either (close box, Esc), since
    the job would go on behind a window that had merely vanished."""

    def __init__(self, title: str, parent: QWidget | None, *, cancellable: bool) -> None:
        super().__init__(title, None, 0, 1000, parent)
        self._cancellable = cancellable
        if not cancellable:
            self.setWindowFlag(Qt.WindowType.WindowCloseButtonHint, False)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._cancellable:
            super().closeEvent(event)
        else:
            event.ignore()

    def reject(self) -> None:
        if self._cancellable:
            super().reject()


def _dialog(parent: QWidget | None, title: str, cancellable: bool) -> ProgressDialog:
    dialog = ProgressDialog(title, parent, cancellable=cancellable)
    dialog.setWindowTitle(title)
    dialog.setWindowModality(Qt.WindowModality.WindowModal if parent else Qt.WindowModality.ApplicationModal)
    dialog.setMinimumDuration(0)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # closed by the user before the job ends
    _running.add(dialog)
    return dialog


def _release(dialog: QProgressDialog) -> None:
    _running.discard(dialog)
    # hide + deleteLater rather than close(): QProgressDialog's closeEvent emits canceled and tidies
    # its connections under Qt's signal-slot lock, and doing that from inside a queued call was seen
    # to hang the main thread on that lock. Deleted by Qt later, never by the garbage collector.
    dialog.hide()
    dialog.deleteLater()


def run_with_progress(tasks: TaskManager, parent: QWidget | None, title: str,
                      job: Callable[[Store, Progress], T], done: Callable[[Future[T]], None], *,
                      cancellable: bool = True) -> QProgressDialog:
    """Run job(store, progress) on the database thread behind a progress dialog; then done(future).

    With ``cancellable`` the dialog's Cancel asks the job to stop (it sees ``progress.set`` return
    False); without it there is no Cancel button, for jobs that cannot stop half-way.
    """
    dialog = _dialog(parent, title, cancellable)

    def show(fraction: float, what: str) -> None:
        dialog.setValue(int(fraction * 1000))
        if what:
            dialog.setLabelText(f"{title}\n{what}")

    progress = Progress(tasks.progress_bridge(show))
    if cancellable:
        dialog.setCancelButtonText(dialog.tr("Cancel"))
        dialog.canceled.connect(progress.cancel)

    def finished(future: Future[Any]) -> None:
        _release(dialog)
        done(future)

    tasks.run_db(lambda store: job(store, progress), finished, writes=True)
    dialog.show()
    return dialog


class _Relay(QObject):
    """Carries a worker's progress reports to the main thread."""

    sig_report = Signal(float, str)


def run_in_thread_with_progress(parent: QWidget | None, title: str, job: Callable[[Callable[[float, str], None]], T],
                                done: Callable[[Future[T]], None], *, thread_name: str) -> QProgressDialog:
    """Run job(report) on a thread of its own behind a progress dialog without Cancel; then done(future)
    on the main thread. For work before a store (and its database thread) exists: a start-up upgrade.

    ``report(fraction, label)`` may be called from the job's thread; a non-empty label replaces the
    dialog's text. The thread is a daemon: quitting never waits for it, and what it was doing to the
    database is one transaction, which SQLite rolls back if it never committed.
    """
    dialog = _dialog(parent, title, cancellable=False)
    relay = _Relay(dialog)
    handback = Handback(dialog)
    worker = DaemonWorker(thread_name)

    def show(fraction: float, label: str) -> None:
        dialog.setValue(int(fraction * 1000))
        if label:
            dialog.setLabelText(label)

    relay.sig_report.connect(show, Qt.ConnectionType.QueuedConnection)
    report = relay.sig_report.emit

    def finished(future: Future[Any]) -> None:
        worker.shutdown()
        relay.sig_report.disconnect(show)
        _release(dialog)
        done(future)

    dialog.show()
    worker.submit(handback.wrap(lambda: job(report), finished))
    return dialog
