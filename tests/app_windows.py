"""The real app's windows on their own data folders, for tests that drive them against a real server:
contexts made here are stopped and closed after the test, with any first dialog left open. The fixtures
are the conftest's; a module whose tests choose data folders marks itself
``pytestmark = pytest.mark.usefixtures("no_chosen_folder")``."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QApplication, QDialog

from desktop import paths
from desktop.store import open_store
from sync.token_store import FileTokenStore
from ui import sync_actions
from ui.context import AppContext
from ui.sync_schedule import SyncIntervals

HOUR = 3600.0
# Background sync out of the way: the test syncs when it says so.
QUIET = SyncIntervals(startup_s=HOUR, after_change_s=HOUR, pending_s=HOUR, idle_s=HOUR, retry_s=HOUR, retry_max_s=HOUR)


def new_context(path: Path) -> AppContext:
    """A context on the data folder ``path``, syncing only when asked, giving up quickly on a dead link."""
    ctx = AppContext(open_store(path / "fieldmark.db"), "en")
    ctx.sync.set_intervals(QUIET)
    ctx.sync_client_options = {"attempts": 2, "backoff_s": 0.05, "timeout": (2.0, 10.0)}
    return ctx


@pytest.fixture
def no_chosen_folder():
    """A folder chosen in one test is not the next test's (nor the next start's) data folder."""
    yield
    paths._chosen_file().unlink(missing_ok=True)


@pytest.fixture
def contexts(qapp, qtbot, monkeypatch):
    """The contexts a test appends here: tokens in their folders, settings of their own, stopped after."""
    QCoreApplication.setOrganizationName("FieldmarkTests")
    QCoreApplication.setApplicationName("FieldmarkTests")
    QSettings().clear()
    monkeypatch.setattr(sync_actions, "open_token_store", lambda folder, _account: FileTokenStore(folder / "token"))
    made: list[AppContext] = []
    yield made
    for dialog in QApplication.topLevelWidgets():  # the first dialogs the test left open are not the next test's
        if isinstance(dialog, QDialog) and dialog.isVisible():
            dialog.blockSignals(True)  # closing it here is not the user cancelling the app
            dialog.close()
            dialog.deleteLater()
    for ctx in made:
        ctx.sync.stop()
        ctx.sync.cancel()
        qtbot.waitUntil(lambda c=ctx: not c.sync.syncing, timeout=30000)
        ctx.tasks.shutdown()
        ctx.store.close()
