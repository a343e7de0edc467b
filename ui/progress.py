"""Long jobs with a progress dialog: the job runs on the database thread, the window stays live."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QProgressDialog, QWidget

from desktop.store import Store
from ui.ops import Progress, TaskManager

T = TypeVar("T")

# Dialogs still running: Python must not collect one (and destroy the widget under Qt's feet) before
# its job has finished; Qt deletes it after it closes.
_running: set[QProgressDialog] = set()


def run_with_progress(tasks: TaskManager, parent: QWidget | None, title: str,
                      job: Callable[[Store, Progress], T], done: Callable[[Future[T]], None], *,
                      cancellable: bool = True) -> QProgressDialog:
    """Run job(store, progress) on the database thread behind a progress dialog; then done(future).

    With ``cancellable`` the dialog's Cancel asks the job to stop (it sees ``progress.set`` return
    False); without it there is no Cancel button, for jobs that cannot stop half-way.
    """
    dialog = QProgressDialog(title, None, 0, 1000, parent)
    dialog.setWindowTitle(title)
    dialog.setWindowModality(Qt.WindowModality.WindowModal if parent else Qt.WindowModality.ApplicationModal)
    dialog.setMinimumDuration(0)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # closed by the user before the job ends
    _running.add(dialog)

    def show(fraction: float, what: str) -> None:
        dialog.setValue(int(fraction * 1000))
        if what:
            dialog.setLabelText(f"{title}\n{what}")

    progress = Progress(tasks.progress_bridge(show))
    if cancellable:
        dialog.setCancelButtonText(dialog.tr("Cancel"))
        dialog.canceled.connect(progress.cancel)

    def finished(future: Future[Any]) -> None:
        _running.discard(dialog)
        # hide + deleteLater rather than close(): QProgressDialog's closeEvent emits canceled and tidies
        # its connections under Qt's signal-slot lock, and doing that from inside a queued call was seen
        # to hang the main thread on that lock. Deleted by Qt later, never by the garbage collector.
        dialog.hide()
        dialog.deleteLater()
        done(future)

    tasks.run_db(lambda store: job(store, progress), finished, writes=True)
    dialog.show()
    return dialog
