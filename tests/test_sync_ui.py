"""The shell's sync: connect through the dialog, Sync now, background sync, progress and Cancel, the status
bar, the Sync problems page with Discard and Edit and resend, signing in again - against a real server
process (SQLite)."""

from __future__ import annotations

import sqlite3
import time

import pytest
from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QApplication, QDialog, QPushButton
from sqlalchemy import select

import desktop
from desktop import integrity, mutations, remote, timeutil
from desktop.ids import uuid7
from desktop.models import Touchpoint, User
from desktop.mutations.registry import prepare
from desktop.store import open_store
from sync.token_store import FileTokenStore
from tests.server_process import Api, ServerProcess, free_port
from ui import sync_actions
from ui import sync_schedule as schedule_
from ui.context import AppContext
from ui.dialogs.customer_dialog import CustomerDialog
from ui.dialogs.server_dialog import ServerDialog
from ui.dialogs.touchpoint_dialog import TouchpointDialog
from ui.main_window import MainWindow
from ui.sync_schedule import SyncIntervals

HOUR = 3600.0
# Background sync out of the way: the test syncs when it says so.
QUIET = SyncIntervals(startup_s=HOUR, after_change_s=HOUR, pending_s=HOUR, idle_s=HOUR, retry_s=HOUR, retry_max_s=HOUR)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    process = ServerProcess(tmp_path_factory.mktemp("server"))
    yield process
    process.stop()


@pytest.fixture
def context(qapp, qtbot, tmp_path, monkeypatch):
    QCoreApplication.setOrganizationName("FieldmarkTests")
    QCoreApplication.setApplicationName("FieldmarkTests")
    QSettings().clear()
    monkeypatch.setattr(sync_actions, "open_token_store", lambda folder, _account: FileTokenStore(folder / "token"))
    store = open_store(tmp_path / "desk" / "fieldmark.db")  # a new installation: its own device id
    ctx = AppContext(store, "en")
    ctx.sync.set_intervals(QUIET)
    ctx.sync_client_options = {"attempts": 2, "backoff_s": 0.05, "timeout": (2.0, 30.0)}
    yield ctx
    ctx.sync.stop()
    ctx.sync.cancel()
    qtbot.waitUntil(lambda: not ctx.sync.syncing, timeout=30000)
    ctx.tasks.shutdown()
    store.close()


def connect(qtbot, context, server, password: str, username: str = "rep.li") -> ServerDialog:
    dialog = ServerDialog(context)
    qtbot.addWidget(dialog)
    dialog.url_edit.setText(server.url)
    dialog.username_edit.setText(username)
    dialog.password_edit.setText(password)
    dialog.submit()
    return dialog


def connected(qtbot, context, server, username: str = "rep.li") -> MainWindow:
    window = MainWindow(context, restore_layout=False)
    qtbot.addWidget(window)
    assert not window.sync_action.isEnabled()
    dialog = connect(qtbot, context, server, "fieldmark", username)
    qtbot.waitUntil(lambda: dialog.result() == ServerDialog.DialogCode.Accepted, timeout=20000)
    with context.store.read() as s:
        rep = s.scalars(select(User).where(User.username == username)).one()
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
        "customer_id": customer, "channel": "meeting", "summary": "现场拜访",
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
    context.sync.refresh()  # on the database thread
    qtbot.waitUntil(window.sync_action.isEnabled, timeout=5000)


# ---- Background sync, progress and Cancel


def unique(name: str) -> str:
    """Customer names are unique on the server, which the tests of this module share."""
    return f"{name}{uuid7()[-8:]}"


def sync_and_wait(qtbot, window) -> None:
    assert window.sync_now()
    qtbot.waitUntil(lambda: not window.context.sync.syncing, timeout=30000)
    qtbot.waitUntil(lambda: window.context.tasks.pending == 0, timeout=5000)


def server_rows(server, table: str, username: str = "rep.li") -> dict[str, dict]:
    """What a second device of this user receives from the server."""
    changes, _cursor = Api(server, username).pull_all()
    return {c["id"]: c["row"] for c in changes if c["table"] == table and c["op"] == "upsert"}


def pending(context) -> int:
    with context.store.read() as s:
        return mutations.pending(s)


def visible_dialogs() -> list[QDialog]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]


def test_background_sync_sends_a_touchpoint_logged_in_the_window(qtbot, context, server):
    window = connected(qtbot, context, server)
    customer = mutations.run(context.store, context.user_id, "customer.create",
                             {"name": unique("常熟嘉禾"), "region": "江苏", "city": "常熟"}).changes.entity_id
    sync_and_wait(qtbot, window)
    runs = []
    context.sync.sig_finished.connect(runs.append)
    context.sync.set_intervals(SyncIntervals(startup_s=HOUR, after_change_s=0.3, pending_s=HOUR, idle_s=HOUR))
    dialog = TouchpointDialog(context, window, customer_id=customer)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.is_ready, timeout=5000)
    summary = unique("介绍新款数控车床，客户要求报价 ")
    dialog.summary_edit.setPlainText(summary)
    qtbot.wait(500)
    assert runs == [] and pending(context) == 0  # nothing to send, nothing sent
    dialog.save()
    qtbot.waitUntil(lambda: bool(runs) and not context.sync.syncing, timeout=20000)  # nobody pressed anything
    assert runs[0].error is None and pending(context) == 0
    assert summary in [row["summary"] for row in server_rows(server, "touchpoints").values()]
    qtbot.waitUntil(lambda: window.status.pending == 0, timeout=5000)
    assert "Online" in window.status.connection_label.text()
    # The refresh sync itself causes is not a change to send: no sync follows on its heels.
    qtbot.wait(700)
    assert len(runs) == 1 and context.sync.next_attempt_in() > 60


def test_an_unreachable_server_shows_offline_and_retries_less_and_less_often(qtbot, context):
    FileTokenStore(context.store.path.parent / "token").save("a-token-the-server-never-sees")
    remote.update_state(context.store, server_url=f"http://127.0.0.1:{free_port()}")  # nobody listens there
    context.sync_client_options = {"attempts": 1, "timeout": (0.5, 1.0)}
    window = MainWindow(context, restore_layout=False)
    qtbot.addWidget(window)
    window.show()
    runs: list[tuple[float, float | None]] = []
    context.sync.sig_finished.connect(lambda _f: runs.append((time.monotonic(), context.sync.schedule.retry_delay)))
    context.sync.set_intervals(SyncIntervals(startup_s=0.05, after_change_s=0.05, retry_s=0.2, retry_max_s=0.8))
    context.sync.start()
    qtbot.waitUntil(lambda: len(runs) >= 5, timeout=20000)
    assert [delay for _t, delay in runs[:5]] == [0.2, 0.4, 0.8, 0.8, 0.8]
    gaps = [later - earlier for (earlier, _d), (later, _e) in zip(runs, runs[1:], strict=False)]
    assert gaps[1] >= 0.35 and gaps[2] >= 0.7  # it really waited longer each time
    assert context.sync.outcome == schedule_.UNAVAILABLE
    qtbot.waitUntil(lambda: not context.sync.syncing, timeout=5000)
    assert window.status.connection_label.text() == "● Offline"
    assert "could not be reached" in window.status.connection_label.toolTip()
    assert visible_dialogs() == []  # no error dialog in the user's way
    assert window.sync_action.isEnabled()


def test_cancel_stops_a_long_sync_keeps_what_was_sent_and_the_next_sync_finishes(qtbot, context, server):
    window = connected(qtbot, context, server)
    window.show()
    customer = mutations.run(context.store, context.user_id, "customer.create",
                             {"name": unique("昆山宏达"), "region": "江苏", "city": "昆山"}).changes.entity_id
    now = timeutil.to_text(timeutil.utcnow())
    mutations.run_many(context.store, context.user_id, [
        ("touchpoint.log", {"customer_id": customer, "channel": "call", "summary": f"第 {i} 次电话回访",
                            "occurred_at": now}) for i in range(600)])
    shown = []

    def cancel_once_a_batch_went(fraction: float, what: str) -> None:
        shown.append((window.status.progress_bar.isVisibleTo(window), window.status.cancel_button.isVisibleTo(window)))
        if fraction > 0 and window.status.cancel_button.isEnabled():
            window.status.cancel_button.click()

    context.sync.sig_progress.connect(cancel_once_a_batch_went)
    sync_and_wait(qtbot, window)
    assert shown and shown[0] == (True, True)
    assert context.sync.outcome == schedule_.CANCELLED
    assert "stopped" in window.status.connection_label.text()
    assert not window.status.progress_bar.isVisibleTo(window)
    left = pending(context)
    assert 0 < left <= 401  # one or two batches of 200 went (the customer and touchpoints), the rest waits
    with context.store.read() as s:
        assert integrity.check(s) == []
        assert s.query(Touchpoint).filter(Touchpoint.customer_id == customer).count() == 600
    context.sync.sig_progress.disconnect(cancel_once_a_batch_went)
    sync_and_wait(qtbot, window)
    assert context.sync.outcome == schedule_.OK and pending(context) == 0
    sent = [row for row in server_rows(server, "touchpoints").values() if row["customer_id"] == customer]
    assert len(sent) == 600  # each exactly once
    with context.store.read() as s:
        assert integrity.check(s) == []


# ---- Edit and resend


def test_a_refused_change_is_corrected_and_sent_again_from_the_sync_problems_page(qtbot, context, server):
    window = connected(qtbot, context, server)
    window.show()
    mine = unique("无锡华光机电")
    customer = mutations.run(context.store, context.user_id, "customer.create",
                             {"name": mine, "region": "江苏", "city": "无锡"}).changes.entity_id
    sync_and_wait(qtbot, window)
    # Another rep takes a name on the server; this rep, offline, renames their customer to it.
    taken = unique("常州新远机械")
    zhang = Api(server, "rep.zhang")
    answer = zhang.push(("customer.create", prepare("customer.create", {"name": taken, "region": "江苏"}))).json()
    assert answer["results"][0]["status"] == "applied"
    mutations.run(context.store, context.user_id, "customer.update",
                  {"id": customer, "name": taken, "phone": "0510-88886666"})
    sync_and_wait(qtbot, window)
    assert window.show_view("sync_problems")
    page = window.pages["sync_problems"]
    qtbot.waitUntil(lambda: len(page.problems) == 1, timeout=5000)
    problem = page.problems[0]
    assert problem.mutation == "customer.update" and problem.field == "name"
    with context.store.read() as s:  # the server's version is back here
        assert remote.read_state(context.store).last_error is None and mutations.pending(s) == 0
    button = page.findChild(QPushButton, "edit_and_resend")
    assert button.isEnabled()

    # Cancel changes nothing.
    page.edit_and_resend(problem.id)
    qtbot.waitUntil(lambda: page.editor is not None and page.editor.is_ready, timeout=5000)
    page.editor.reject()
    qtbot.wait(200)
    assert len(page.problems) == 1 and pending(context) == 0

    page.editor = None
    button.click()
    qtbot.waitUntil(lambda: page.editor is not None and page.editor.is_ready, timeout=5000)
    dialog = page.editor
    assert isinstance(dialog, CustomerDialog) and dialog.customer_id == customer
    assert (dialog.edits["name"].text(), dialog.edits["phone"].text()) == (taken, "0510-88886666")
    assert mine in dialog.errors.hint("name")  # the server's value beside the refused one
    assert "did not accept" in dialog.note.text()
    corrected = unique("无锡华光机电二厂")
    dialog.edits["name"].setText(corrected)
    dialog.save()
    qtbot.waitUntil(lambda: page.problems == [] and page.empty_label.isVisibleTo(page), timeout=5000)
    with context.store.read() as s:
        assert remote.open_problems(s) == [] and mutations.pending(s) == 1
    sync_and_wait(qtbot, window)
    assert pending(context) == 0
    row = server_rows(server, "customers")[customer]
    assert (row["name"], row["phone"]) == (corrected, "0510-88886666")
    qtbot.waitUntil(lambda: page.problems == [], timeout=5000)


def test_a_refused_new_customer_is_created_again_under_another_name(qtbot, context, server):
    window = connected(qtbot, context, server)
    window.show()
    taken = unique("扬州恒润化工")
    answer = Api(server, "rep.zhang").push(("customer.create", prepare("customer.create", {"name": taken}))).json()
    assert answer["results"][0]["status"] == "applied"
    mutations.run(context.store, context.user_id, "customer.create",
                  {"name": taken, "region": "江苏", "city": "扬州", "phone": "0514-8765432"})
    sync_and_wait(qtbot, window)
    assert window.show_view("sync_problems")
    page = window.pages["sync_problems"]
    qtbot.waitUntil(lambda: len(page.problems) == 1, timeout=5000)
    assert page.problems[0].mutation == "customer.create"
    page.edit_and_resend(page.problems[0].id)
    qtbot.waitUntil(lambda: page.editor is not None and page.editor.is_ready, timeout=5000)
    dialog = page.editor
    assert dialog.customer_id is None  # a new customer again, with a new id
    assert [dialog.edits[n].text() for n in ("name", "city", "phone")] == [taken, "扬州", "0514-8765432"]
    renamed = unique("扬州恒润精细化工")
    dialog.edits["name"].setText(renamed)
    dialog.save()
    qtbot.waitUntil(lambda: page.problems == [], timeout=5000)
    sync_and_wait(qtbot, window)
    assert pending(context) == 0
    mine = [row for row in server_rows(server, "customers").values() if row["name"] == renamed]
    assert len(mine) == 1 and mine[0]["phone"] == "0514-8765432"


def test_a_change_refused_for_a_permission_is_sent_again_once_the_admin_grants_it(qtbot, context, server):
    """The server refuses a new customer because the rep's role was changed by mistake; once the admin puts
    it right, Send again queues the very same change and the server applies it."""
    assert server.admin("user", "add", "rep.sun", "--role", "field_rep", "--territory", "江苏",
                        "--password", "fieldmark").returncode == 0
    window = connected(qtbot, context, server, "rep.sun")
    window.show()
    name = unique("南京佳美电子")
    customer = mutations.run(context.store, context.user_id, "customer.create",
                             {"name": name, "region": "江苏", "city": "南京", "phone": "025-52341234"}).changes.entity_id
    demoted = server.admin("user", "update", "rep.sun", "--role", "service_engineer")
    assert demoted.returncode == 0, demoted.stderr
    sync_and_wait(qtbot, window)
    assert window.show_view("sync_problems")
    page = window.pages["sync_problems"]
    qtbot.waitUntil(lambda: len(page.problems) == 1, timeout=5000)
    problem = page.problems[0]
    assert (problem.mutation, problem.code) == ("customer.create", "forbidden")
    assert customer not in server_rows(server, "customers", "admin")
    qtbot.waitUntil(lambda: page.findChild(QPushButton, "send_again") is not None
                    and page.findChild(QPushButton, "send_again").isEnabled(), timeout=5000)

    # Not yet granted (this computer now knows the new role): it says so and queues nothing.
    page.send_again(problem.id)
    qtbot.waitUntil(lambda: page.send_error(problem.id) != "", timeout=5000)
    assert "cannot be sent again" in page.send_error(problem.id) and pending(context) == 0

    restored = server.admin("user", "update", "rep.sun", "--role", "field_rep")
    assert restored.returncode == 0, restored.stderr
    sync_and_wait(qtbot, window)  # brings the role back to this computer
    qtbot.waitUntil(lambda: len(page.problems) == 1, timeout=5000)
    page.findChild(QPushButton, "send_again").click()
    qtbot.waitUntil(lambda: page.views.get(problem.id) is not None and page.views[problem.id].waiting, timeout=5000)
    assert pending(context) == 1 and len(page.problems) == 1  # still shown until the server answers
    sync_and_wait(qtbot, window)
    qtbot.waitUntil(lambda: page.problems == [] and page.empty_label.isVisibleTo(page), timeout=10000)
    row = server_rows(server, "customers", "rep.sun")[customer]
    assert (row["name"], row["phone"]) == (name, "025-52341234")
    with context.store.read() as s:
        assert remote.open_problems(s) == [] and mutations.pending(s) == 0 and integrity.check(s) == []


def test_a_refused_touchpoint_on_a_customer_given_away_says_so_instead_of_opening_the_form(qtbot, context, server):
    window = connected(qtbot, context, server)
    window.show()
    customer = mutations.run(context.store, context.user_id, "customer.create",
                             {"name": unique("南通海鸿"), "region": "江苏", "city": "南通"}).changes.entity_id
    sync_and_wait(qtbot, window)
    mutations.run(context.store, context.user_id, "touchpoint.log", {
        "customer_id": customer, "channel": "meeting", "summary": "拜访采购部",
        "occurred_at": timeutil.to_text(timeutil.utcnow())})
    # Meanwhile the manager gives the customer to another rep of the team.
    zhang = Api(server, "rep.zhang")
    manager = Api(server, "manager.wang")
    answer = manager.push(("customer.update", prepare("customer.update", {"id": customer, "owner_id": zhang.user_id})))
    assert answer.json()["results"][0]["status"] == "applied"
    sync_and_wait(qtbot, window)
    assert window.show_view("sync_problems")
    page = window.pages["sync_problems"]
    qtbot.waitUntil(lambda: len(page.problems) == 1, timeout=5000)
    problem = page.problems[0]
    assert problem.mutation == "touchpoint.log"
    page.edit_and_resend(problem.id)
    qtbot.waitUntil(lambda: page.blocked_reason(problem.id) != "", timeout=5000)
    assert "no longer see this customer" in page.blocked_reason(problem.id)
    assert page.editor is None and visible_dialogs() == []
    qtbot.waitUntil(lambda: page.findChild(QPushButton, "edit_and_resend") is not None
                    and not page.findChild(QPushButton, "edit_and_resend").isEnabled(), timeout=5000)
    assert page.findChild(QPushButton, "discard").isEnabled()


# ---- Signing in again, upgrading


def test_an_expired_token_asks_to_sign_in_again_in_the_status_bar_or_the_dialog(qtbot, context, server):
    window = connected(qtbot, context, server)
    window.show()
    # A token the server no longer knows, as after its 90 days (a revoked device erases instead:
    # tests/test_sync_revocation_ui.py).
    FileTokenStore(context.store.path.parent / "token").save("expired-token")

    # In the background: no dialog in the middle of the user's work, a way to sign in in the status bar.
    runs = []
    context.sync.sig_finished.connect(runs.append)
    context.sync.set_intervals(SyncIntervals(startup_s=0.05, after_change_s=0.05, retry_s=0.2, retry_max_s=0.4))
    qtbot.waitUntil(lambda: bool(runs) and not context.sync.syncing, timeout=20000)
    assert context.sync.outcome == schedule_.SIGN_IN
    qtbot.waitUntil(lambda: window.status.sign_in_button.isVisibleTo(window), timeout=5000)
    assert window.status.sign_in_button.text() == "Sign in again…"
    assert visible_dialogs() == []
    assert context.sync.schedule.paused == schedule_.SIGN_IN and context.sync.next_attempt_in() is None
    qtbot.wait(600)
    assert len(runs) == 1  # background sync waits for the user

    window.status.sign_in_button.click()
    dialog = window.server_dialog
    assert dialog is not None and dialog.isVisible() and "expired" in dialog.reason_label.text()
    dialog.reject()

    # Asked for: the connect dialog opens again, filled in, with the reason.
    assert window.sync_now()
    qtbot.waitUntil(lambda: window.server_dialog is not None and window.server_dialog is not dialog
                    and window.server_dialog.isVisible(), timeout=20000)
    dialog = window.server_dialog
    qtbot.waitUntil(lambda: dialog.url_edit.text() == server.url and dialog.username_edit.text() == "rep.li",
                    timeout=5000)
    assert dialog.reason_label.isVisibleTo(dialog) and "expired" in dialog.reason_label.text()
    dialog.password_edit.setText("fieldmark")
    with qtbot.waitSignal(dialog.accepted, timeout=20000):
        dialog.submit()
    qtbot.waitUntil(lambda: "Online" in window.status.connection_label.text(), timeout=5000)
    assert not window.status.sign_in_button.isVisibleTo(window)
    assert context.sync.schedule.paused is None and context.sync.next_attempt_in() is not None


def test_a_version_the_server_no_longer_accepts_shows_its_message_and_stops_background_sync(
        qtbot, context, server, monkeypatch):
    window = connected(qtbot, context, server)
    window.show()
    monkeypatch.setattr(desktop, "__version__", "0.0.9")  # this copy of the app is now too old for the server
    runs = []
    context.sync.sig_finished.connect(runs.append)
    context.sync.set_intervals(SyncIntervals(startup_s=0.05, after_change_s=0.05, retry_s=0.2, retry_max_s=0.4))
    qtbot.waitUntil(lambda: bool(runs) and not context.sync.syncing, timeout=20000)
    assert context.sync.outcome == schedule_.UPGRADE
    qtbot.waitUntil(lambda: "upgrade" in window.status.connection_label.text(), timeout=5000)
    assert "0.1.0" in window.status.connection_label.text()  # the server's own words
    assert visible_dialogs() == [] and context.sync.next_attempt_in() is None
    qtbot.wait(600)
    assert len(runs) == 1
