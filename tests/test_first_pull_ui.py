"""The window while a first pull runs: the rows loaded so far show in the customer list, which grows
as frames arrive, and the status bar shows the download with its estimate of the time left - against
a real server process (SQLite)."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QCoreApplication, QSettings
from sqlalchemy import select

from desktop import bulk_pull
from desktop.models import User
from desktop.store import open_store
from sync.client import SyncCancelled, SyncClient
from sync.token_store import FileTokenStore
from tests.server_process import Api, ServerProcess
from tests.test_first_pull import Stop
from tests.test_sync_server import create
from ui import sync_actions
from ui.context import AppContext
from ui.pages.customers_page import CustomersPage
from ui.status_bar import StatusBar
from ui.sync_schedule import SyncIntervals

HOUR = 3600.0
QUIET = SyncIntervals(startup_s=HOUR, after_change_s=HOUR, pending_s=HOUR, idle_s=HOUR, retry_s=HOUR, retry_max_s=HOUR)
FRAME = 5
CUSTOMERS = 40


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    process = ServerProcess(tmp_path_factory.mktemp("server"))
    api = Api(process, "rep.li")
    results = api.push(*(create(f"首次下载客户{n:02d}有限公司") for n in range(CUSTOMERS))).json()["results"]
    assert all(r["status"] == "applied" for r in results)
    yield process
    process.stop()


def test_the_window_shows_a_first_pulls_rows_while_it_runs(qapp, qtbot, tmp_path, server, monkeypatch):
    QCoreApplication.setOrganizationName("FieldmarkTests")
    QCoreApplication.setApplicationName("FieldmarkTests")
    QSettings().clear()
    folder = tmp_path / "desk"
    monkeypatch.setattr(sync_actions, "open_token_store", lambda _folder, _account: FileTokenStore(folder / "token"))
    store = open_store(folder / "fieldmark.db")
    # Joined, and stopped after the users and a first frame of customers (as Stop in the connect dialog).
    client = SyncClient(store, server.url, FileTokenStore(folder / "token"), sleep=lambda _s: None,
                        snapshot_rows=FRAME)
    client.sign_in("rep.li", "fieldmark", "rep.li's laptop")
    with pytest.raises(SyncCancelled):
        client.pull(Stop(5))  # the start frame, 12 users in three frames, then one of customers
    assert bulk_pull.current(store).loaded == 12 + FRAME

    # Each frame after the next two waits until the test has looked at the window.
    looked = threading.Event()
    written = [0]
    write = bulk_pull.write

    def paced(store_, frame):
        written[0] += 1
        if written[0] > 2:
            looked.wait(30)
        return write(store_, frame)

    monkeypatch.setattr(bulk_pull, "write", paced)
    monkeypatch.setattr(sync_actions, "FIRST_PULL_REFRESH_S", 0.0)

    context = AppContext(store, "en")
    context.sync.set_intervals(QUIET)
    context.sync_client_options = {"attempts": 2, "backoff_s": 0.05, "timeout": (2.0, 30.0), "snapshot_rows": FRAME}
    try:
        with store.read() as s:
            context.set_user(s.scalars(select(User).where(User.username == "rep.li")).one())
        page = CustomersPage(context, "mine")
        bar = StatusBar(context)
        qtbot.addWidget(page)
        qtbot.addWidget(bar)
        page.show()
        bar.show()
        qtbot.waitUntil(lambda: page.model.rowCount() == FRAME, timeout=10000)  # what the stopped pull loaded

        context.sync.refresh()  # reads the server's address, as at start-up
        qtbot.waitUntil(lambda: context.sync.server_url == server.url, timeout=10000)
        assert context.sync.sync_now()
        qtbot.waitUntil(lambda: written[0] > 2, timeout=20000)
        # Two more frames are in: the list shows them while the pull waits, with the download under way.
        qtbot.waitUntil(lambda: page.model.rowCount() == 3 * FRAME, timeout=10000)
        assert context.sync.syncing
        text = bar.connection_label.text()
        assert context.sync.remaining_s is not None
        assert text.startswith("● Downloading your data for the first time, about ") and text.endswith(" left")
        assert bar.progress_bar.isVisibleTo(bar) and 0 < bar.progress_bar.value() < 1000
        looked.set()
        qtbot.waitUntil(lambda: not context.sync.syncing, timeout=30000)
        assert context.sync.error is None
        qtbot.waitUntil(lambda: page.model.rowCount() == CUSTOMERS, timeout=10000)
        assert bulk_pull.current(store) is None
    finally:
        looked.set()
        context.sync.stop()
        qtbot.waitUntil(lambda: not context.sync.syncing, timeout=30000)
        context.tasks.shutdown()
        store.close()
