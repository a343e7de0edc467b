"""The shell's sync: connect through the dialog, Sync now, the status bar, the Sync problems page - against
a real server process (SQLite)."""

from __future__ import annotations

import sqlite3

import pytest
from PySide6.QtCore import QCoreApplication, QSettings
from sqlalchemy import select

from desktop import mutations, remote, timeutil
from desktop.models import User
from desktop.store import open_store
from sync.token_store import FileTokenStore
from tests.server_process import ServerProcess
from ui import sync_actions
from ui.context import AppContext
from ui.dialogs.server_dialog import ServerDialog
from ui.main_window import MainWindow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    process = ServerProcess(tmp_path_factory.mktemp("server"))
    yield process
    process.stop()


@pytest.fixture
def context(qapp, tmp_path, monkeypatch):
    QCoreApplication.setOrganizationName("FieldmarkTests")
    QCoreApplication.setApplicationName("FieldmarkTests")
    QSettings().clear()
    monkeypatch.setattr(sync_actions, "open_token_store", lambda folder, _account: FileTokenStore(folder / "token"))
    store = open_store(tmp_path / "desk" / "fieldmark.db")  # a new installation: its own device id
    ctx = AppContext(store, "en")
    yield ctx
    ctx.tasks.shutdown()
    store.close()


def connect(qtbot, context, server, password: str) -> ServerDialog:
    dialog = ServerDialog(context)
    qtbot.addWidget(dialog)
    dialog.url_edit.setText(server.url)
    dialog.username_edit.setText("rep.li")
    dialog.password_edit.setText(password)
    dialog.submit()
    return dialog


def connected(qtbot, context, server) -> MainWindow:
    window = MainWindow(context, restore_layout=False)
    qtbot.addWidget(window)
    assert not window.sync_action.isEnabled()
    dialog = connect(qtbot, context, server, "fieldmark")
    qtbot.waitUntil(lambda: dialog.result() == ServerDialog.DialogCode.Accepted, timeout=20000)
    with context.store.read() as s:
        rep = s.scalars(select(User).where(User.username == "rep.li")).one()
    context.set_user(rep)
    qtbot.waitUntil(lambda: window.sync_action.isEnabled() and context.tasks.pending == 0, timeout=10000)
    return window


def test_a_wrong_password_is_shown_and_the_values_stay(qtbot, context, server):
    dialog = connect(qtbot, context, server, "wrong")
    qtbot.waitUntil(lambda: dialog.error_label.isVisibleTo(dialog), timeout=20000)
    assert dialog.error_label.text()
    assert dialog.result() == 0 and dialog.buttons.isEnabled()
    assert (dialog.url_edit.text(), dialog.username_edit.text(), dialog.password_edit.text()) == (
        server.url, "rep.li", "wrong")


def test_connecting_signs_in_syncs_and_the_status_bar_says_online(qtbot, context, server):
    window = connected(qtbot, context, server)
    qtbot.waitUntil(lambda: "Online" in window.status.connection_label.text(), timeout=10000)
    assert "never" not in window.status.last_sync_label.text()
    assert remote.read_state(context.store).last_success_at is not None


def test_sync_now_sends_an_offline_touchpoint(qtbot, context, server):
    window = connected(qtbot, context, server)
    customer = mutations.run(context.store, context.user_id, "customer.create",
                             {"name": "苏州恒通精密机械有限公司", "region": "江苏", "city": "苏州"}).changes.entity_id
    mutations.run(context.store, context.user_id, "touchpoint.log", {
        "customer_id": customer, "channel": "visit", "summary": "现场拜访",
        "occurred_at": timeutil.to_text(timeutil.utcnow())})
    window.status.refresh()
    qtbot.waitUntil(lambda: window.status.pending == 2, timeout=5000)
    assert window.sync_now()
    assert "Syncing" in window.status.connection_label.text()
    qtbot.waitUntil(lambda: window.status.pending == 0 and not window.status.syncing, timeout=20000)
    assert "Online" in window.status.connection_label.text()
    with context.store.read() as s:
        assert mutations.pending(s) == 0


def test_a_rejected_change_is_on_the_sync_problems_page_until_discarded(qtbot, context, server):
    window = connected(qtbot, context, server)
    window.show()  # a page out of sight refreshes only when shown
    mutations.run(context.store, context.user_id, "customer.create",
                  {"name": "无锡华光机电有限公司", "region": "江苏", "city": "无锡"})
    # Make the server refuse it: the change as sent has lost its name (outside the app's write path).
    with sqlite3.connect(context.store.path) as db:
        (seq, args), = db.execute("SELECT seq, args FROM outbox WHERE status = 'pending'").fetchall()
        db.execute("UPDATE outbox SET args = json_set(args, '$.name', '') WHERE seq = ?", (seq,))
    assert window.show_view("sync_problems")
    page = window.pages["sync_problems"]
    qtbot.waitUntil(lambda: page.empty_label.isVisibleTo(page), timeout=5000)
    assert "No sync problems" in page.empty_label.text()
    assert window.sync_now()
    qtbot.waitUntil(lambda: not window.status.syncing, timeout=20000)
    assert remote.read_state(context.store).last_error is None
    qtbot.waitUntil(lambda: len(page.problems) == 1, timeout=5000)
    problem = page.problems[0]
    assert problem.mutation == "customer.create" and problem.message_en
    assert not page.empty_label.isVisibleTo(page)
    page.discard(problem.id)
    qtbot.waitUntil(lambda: page.problems == [] and page.empty_label.isVisibleTo(page), timeout=5000)
    with context.store.read() as s:
        assert remote.open_problems(s) == []


def test_a_clock_far_off_the_servers_is_pointed_out(qtbot, context):
    window = MainWindow(context, restore_layout=False)
    qtbot.addWidget(window)
    remote.update_state(context.store, server_url="http://127.0.0.1:9", server_time_offset_s=-720.0)
    window.status.refresh()
    qtbot.waitUntil(lambda: window.status.clock_label.isVisibleTo(window.status), timeout=5000)
    assert window.status.clock_label.text() == "Your computer's clock is 12 minute(s) off the server's"
    window._update_sync_action()
    assert window.sync_action.isEnabled()
