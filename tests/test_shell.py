"""The desktop shell driven as a user would: sign in, the role's workbench, sign out, language, state."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from PySide6.QtCore import SIGNAL, QCoreApplication, QSettings, QTimer
from sqlalchemy import select

from desktop import timeutil
from desktop.models import User
from tests.conftest import PASSWORD, local_time_zone, make_customer, run
from ui.context import AppContext
from ui.main_window import MainWindow
from ui.ops import QueryOp
from ui.sign_in_dialog import SignInDialog


@pytest.fixture
def context(qapp, store, org):
    QCoreApplication.setOrganizationName("FieldmarkTests")
    QCoreApplication.setApplicationName("FieldmarkTests")
    QSettings().clear()
    ctx = AppContext(store, "en")
    yield ctx
    ctx.tasks.shutdown()


def user(store, username: str) -> User:
    with store.read() as s:
        return s.scalars(select(User).where(User.username == username)).one()


def sign_in(qtbot, context, username: str, password: str) -> SignInDialog:
    dialog = SignInDialog(context)
    qtbot.addWidget(dialog)
    dialog.select_user(username)
    dialog.password_edit.setText(password)
    dialog.submit()
    return dialog


def test_sign_in_with_the_right_password_opens_the_role_workbench(qtbot, context):
    window = MainWindow(context)
    qtbot.addWidget(window)
    dialog = sign_in(qtbot, context, "rep", PASSWORD)
    dialog.sig_signed_in.connect(context.set_user)
    qtbot.waitUntil(lambda: context.user is not None, timeout=5000)
    assert context.user.username == "rep"
    titles = [window.nav.item(i).text() for i in range(window.nav.count())]
    assert titles == ["My customers", "Today's plan", "Log a touchpoint…", "Record a visit…", "Quotes",
                      "Products", "Exchange rates", "Sync problems"]
    assert window.current_key() == "my_customers"


def test_a_wrong_password_says_so_and_keeps_the_dialog_open(qtbot, context):
    dialog = sign_in(qtbot, context, "rep", "not-the-password")
    qtbot.waitUntil(lambda: dialog.error_label.isVisibleTo(dialog), timeout=5000)
    assert "not correct" in dialog.error_label.text()
    assert context.user is None and dialog.result() == 0
    assert dialog.buttons.isEnabled() and dialog.password_edit.text() == "not-the-password"


def test_an_empty_password_is_caught_before_checking(qtbot, context):
    dialog = sign_in(qtbot, context, "rep", "")
    assert dialog.error_label.text() == "Enter your password."


@pytest.mark.parametrize("username, home, keys", [
    ("manager", "team_activity", ["team_activity", "customers_by_owner", "visit_review", "quotes", "approvals",
                                  "todays_plan", "log_touchpoint", "record_visit", "visit_rules", "products", "rates",
                                  "approval_policy", "sync_problems"]),
    ("finance", "approvals", ["approvals", "quotes", "rates", "products", "approval_policy", "customers",
                              "sync_problems"]),
    ("cfo", "approvals", ["approvals", "quotes", "approval_policy", "rates", "products", "customers",
                          "sync_problems"]),
    ("service", "customers", ["customers", "after_sales", "log_touchpoint", "sync_problems"]),
    ("channel", "my_customers", ["my_customers", "todays_plan", "log_touchpoint", "record_visit", "quotes",
                                 "products", "rates", "sync_problems"]),
])
def test_each_role_gets_its_entries_and_home(qtbot, context, username, home, keys):
    window = MainWindow(context)
    qtbot.addWidget(window)
    context.set_user(user(context.store, username))
    assert [e.key for e in window.entries] == keys
    assert window.current_key() == home


def test_a_feature_not_built_yet_is_a_disabled_entry_with_a_reason(qtbot, context):
    window = MainWindow(context)
    qtbot.addWidget(window)
    context.set_user(user(context.store, "service"))
    item = window.nav.item([e.key for e in window.entries].index("after_sales"))
    assert not item.flags() & item.flags().ItemIsEnabled
    assert "not available yet" in item.toolTip()
    assert not window.show_view("after_sales")


def test_sign_out_and_switch_user(qtbot, context):
    window = MainWindow(context)
    qtbot.addWidget(window)
    context.set_user(user(context.store, "rep"))
    with qtbot.waitSignal(window.sig_sign_out_requested):
        window.sign_out_action.trigger()
    context.set_user(None)
    assert window.nav.count() == 0
    context.set_user(user(context.store, "manager"))
    assert window.current_key() == "team_activity"


def test_a_two_second_op_does_not_block_the_event_loop(qtbot, context):
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(20)
    main_thread = threading.get_ident()
    seen = {}

    def slow(store):
        seen["worker"] = threading.get_ident()
        time.sleep(2)
        return 42

    results = []
    started = time.monotonic()
    QueryOp(context.tasks, slow).success(lambda r: results.append((r, threading.get_ident()))).run()
    assert time.monotonic() - started < 0.1  # run() returned at once
    qtbot.waitUntil(lambda: bool(results), timeout=5000)
    timer.stop()
    assert results == [(42, main_thread)] and seen["worker"] != main_thread
    during = [t for t in ticks if t < started + 2]
    assert len(during) >= 40  # ~100 possible; the loop kept running timers meanwhile


def test_database_ops_run_one_at_a_time_in_order(qtbot, context):
    order, done = [], []
    for i in range(5):
        QueryOp(context.tasks, lambda store, i=i: (time.sleep(0.02 * (5 - i)), order.append(i))).success(
            lambda _r: done.append(1)).run()
    qtbot.waitUntil(lambda: len(done) == 5, timeout=5000)
    assert order == [0, 1, 2, 3, 4]


def test_status_bar_counts_the_real_outbox(qtbot, context, org):
    window = MainWindow(context)
    qtbot.addWidget(window)
    context.set_user(user(context.store, "rep"))
    qtbot.waitUntil(lambda: window.status.pending_label.text() == "0 change(s) waiting to be sent")
    assert window.status.last_sync_label.text() == "Last sync: never"
    outcome = run(context.store, org["rep"], "customer.create", name="宁波海川物流有限公司")
    context.tasks.sig_data_changed.emit(outcome)
    qtbot.waitUntil(lambda: window.status.pending_label.text() == "1 change(s) waiting to be sent")


def test_last_view_and_window_layout_are_remembered(qtbot, context):
    window = MainWindow(context)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    context.set_user(user(context.store, "cfo"))
    window.show_view("approvals")
    window.resize(700, 500)  # within the offscreen screen (800x600): restoring clamps to the screen
    qtbot.waitUntil(lambda: window.width() == 700)
    window.splitter.setSizes([250, 450])
    sizes = window.splitter.sizes()
    window.save_state()
    window.close()
    again = MainWindow(context)
    qtbot.addWidget(again)
    again.show()
    qtbot.waitExposed(again)
    context.set_user(user(context.store, "cfo"))
    assert again.current_key() == "approvals"
    assert again.size() == window.size()
    assert again.splitter.sizes() == sizes and sizes[0] == 250
    context.set_user(user(context.store, "manager"))  # each user has their own last view
    assert again.current_key() == "team_activity"


def test_todays_plan_lists_due_next_steps_and_todays_touchpoints(qtbot, context, org):
    customer = make_customer(context.store, org["rep"])
    now = timeutil.utcnow()
    run(context.store, org["rep"], "touchpoint.log", customer_id=customer, channel="call",
        occurred_at=timeutil.to_text(now - timedelta(days=3)), summary="询价",
        next_step="发送修订版报价", next_step_due=timeutil.to_text(now - timedelta(days=1)))
    window = MainWindow(context)
    qtbot.addWidget(window)
    window.show()  # a page out of sight reads again only when shown
    context.set_user(user(context.store, "rep"))
    window.show_view("todays_plan")
    page = window.pages["todays_plan"]
    qtbot.waitUntil(lambda: page.due_model.rowCount() == 1)
    assert page.due_model.rows[0].next_step == "发送修订版报价"
    assert "1 overdue" in page.due_label.text()
    assert page.logged_model.rowCount() == 0
    outcome = run(context.store, org["rep"], "touchpoint.log", customer_id=customer, channel="meeting",
                  occurred_at=timeutil.to_text(timeutil.utcnow()), summary="上门跟进报价")
    context.tasks.sig_data_changed.emit(outcome)
    qtbot.waitUntil(lambda: page.logged_model.rowCount() == 1)
    assert page.due_model.rowCount() == 1  # only its owner closes a follow-up (tests/test_follow_ups.py)


@pytest.fixture
def berlin_time():
    """Local time is Central European, with daylight saving time."""
    with local_time_zone("Europe/Berlin"):
        yield


@pytest.mark.parametrize("now, start, end", [
    ("2026-11-27T10:00:00Z", "2026-11-26T23:00:00Z", "2026-11-27T23:00:00Z"),
    # Clocks go forward at 02:00 on 29 March 2026: the day starts at UTC+1 and ends at UTC+2.
    ("2026-03-29T12:00:00Z", "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z"),
    # and back at 03:00 on 25 October 2026: a day of 25 hours.
    ("2026-10-25T12:00:00Z", "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z"),
])
def test_today_is_the_users_local_day_even_when_clocks_change(berlin_time, now, start, end):
    from ui.pages.todays_plan_page import today_bounds

    bounds = today_bounds(timeutil.from_text(now))
    assert [timeutil.to_text(b) for b in bounds] == [timeutil.to_text(timeutil.from_text(t)) for t in (start, end)]


def test_team_activity_shows_the_teams_trail_only(qtbot, context, org):
    mine = make_customer(context.store, org["rep"])
    theirs = make_customer(context.store, org["otherrep"], "温州富达化工有限公司")
    for actor, customer in ((org["rep"], mine), (org["otherrep"], theirs)):
        run(context.store, actor, "touchpoint.log", customer_id=customer, channel="wechat",
            occurred_at=timeutil.to_text(timeutil.utcnow()), summary="微信发送技术方案")
    window = MainWindow(context)
    qtbot.addWidget(window)
    context.set_user(user(context.store, "manager"))
    page = window.pages["team_activity"]
    qtbot.waitUntil(lambda: page.model.rowCount() == 1)
    assert page.model.rows[0].customer_name == "苏州恒通精密机械有限公司"


def test_the_customers_page_does_not_force_a_wide_window(qtbot, context, org):
    # What widened it: four buttons in a row in the detail, the trail's status line, and combos as
    # wide as the longest owner or region name.
    customer = make_customer(context.store, org["rep"], region="新疆维吾尔自治区伊犁哈萨克自治州",
                             city="伊宁市")
    start = timeutil.utcnow() - timedelta(days=1)
    for minute in range(60):
        run(context.store, org["rep"], "touchpoint.log", customer_id=customer, channel="call",
            occurred_at=timeutil.to_text(start + timedelta(minutes=minute)), summary="电话跟进")
    window = MainWindow(context)
    qtbot.addWidget(window)
    window.show()
    context.set_user(user(context.store, "admin"))
    page = window.pages["customers"]
    qtbot.waitUntil(lambda: page.detail.customer_id == customer and "scroll down" in page.detail.timeline_status.text()
                    and page.region_combo.count() == 2 and context.tasks.pending == 0, timeout=5000)
    assert window.minimumSizeHint().width() <= 800  # it was ~970: too wide for a small laptop screen


def _listeners(context) -> int:
    return context.tasks.receivers(SIGNAL("sig_data_changed(PyObject)"))


@pytest.mark.parametrize("username, key", [("manager", "team_activity"), ("rep", "todays_plan")])
def test_pages_dropped_on_sign_out_stop_listening_for_data_changes(qtbot, context, org, username, key):
    customer = make_customer(context.store, org["rep"])
    window = MainWindow(context)
    qtbot.addWidget(window)
    window.show()
    context.set_user(user(context.store, username))
    window.show_view(key)
    qtbot.waitUntil(lambda: context.tasks.pending == 0)
    listening = _listeners(context)
    for _ in range(3):  # sign out and in again: each time the pages are built anew
        context.set_user(None)
        assert window.pages == {}  # nothing is built for no one
        context.set_user(user(context.store, username))
        window.show_view(key)
        qtbot.wait(10)  # the dropped pages are deleted (deleteLater)
    assert _listeners(context) == listening
    page = window.pages[key]
    # A change now reaches only the live page; a dropped one would fail on its deleted widgets.
    outcome = run(context.store, org["rep"], "touchpoint.log", customer_id=customer, channel="meeting",
                  occurred_at=timeutil.to_text(timeutil.utcnow()), summary="上门拜访",
                  next_step="寄样品", next_step_due=timeutil.to_text(timeutil.utcnow()))
    context.tasks.sig_data_changed.emit(outcome)
    model = page.model if key == "team_activity" else page.logged_model
    qtbot.waitUntil(lambda: model.rowCount() == 1 and context.tasks.pending == 0)


def test_activity_pages_out_of_sight_read_again_only_when_shown(qtbot, context, org, monkeypatch):
    from desktop import activity

    customer = make_customer(context.store, org["rep"])
    window = MainWindow(context)
    qtbot.addWidget(window)
    window.show()
    context.set_user(user(context.store, "manager"))
    team = window.pages["team_activity"]
    window.show_view("todays_plan")
    plan = window.pages["todays_plan"]
    window.show_view("customers_by_owner")
    qtbot.waitUntil(lambda: context.tasks.pending == 0)
    reads = []
    for name in ("team_activity_cut", "logged_between"):
        real = getattr(activity, name)
        monkeypatch.setattr(activity, name, lambda *a, real=real, name=name, **k: (reads.append(name), real(*a, **k))[1])
    outcome = run(context.store, org["manager"], "touchpoint.log", customer_id=customer, channel="call",
                  occurred_at=timeutil.to_text(timeutil.utcnow()), summary="电话回访")
    context.tasks.sig_data_changed.emit(outcome)
    qtbot.wait(100)
    qtbot.waitUntil(lambda: context.tasks.pending == 0)
    assert reads == []  # neither hidden page read anything
    window.show_view("team_activity")
    qtbot.waitUntil(lambda: team.model.rowCount() == 1)
    window.show_view("todays_plan")
    qtbot.waitUntil(lambda: plan.logged_model.rowCount() == 1)
    assert reads == ["team_activity_cut", "logged_between"]


def test_todays_plan_shown_again_on_a_new_day_reads_that_day(qtbot, context, org, monkeypatch):
    from ui.pages import todays_plan_page

    window = MainWindow(context)
    qtbot.addWidget(window)
    window.show()
    context.set_user(user(context.store, "rep"))
    window.show_view("todays_plan")
    plan = window.pages["todays_plan"]
    qtbot.waitUntil(lambda: context.tasks.pending == 0)
    today = plan._day_start
    window.show_view("my_customers")
    tomorrow = timeutil.utcnow() + timedelta(days=1)
    monkeypatch.setattr(todays_plan_page, "utcnow", lambda: tomorrow)  # the window stayed open overnight
    window.show_view("todays_plan")
    assert plan._day_start == todays_plan_page.today_bounds(tomorrow)[0] != today
    qtbot.waitUntil(lambda: context.tasks.pending == 0)


def test_after_shutdown_reads_are_dropped_but_a_change_is_refused_loudly(qtbot, context, org):
    from ui.ops import MutationOp

    context.tasks.shutdown()
    QueryOp(context.tasks, lambda store: 1).run()  # a late view refresh: nothing happens
    with pytest.raises(RuntimeError, match="not made"):
        MutationOp(context.tasks, org["rep"], "customer.create", {"name": "迟到的客户"}).run()


def test_closing_during_a_hung_network_call_does_not_hold_the_process(tmp_path):
    """A request that never answers (a dead proxy) must not keep Fieldmark alive after its window closed."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(f"""
        import threading, time
        from PySide6.QtCore import QCoreApplication
        from desktop.store import open_store
        from ui.ops import TaskManager
        app = QCoreApplication([])
        tasks = TaskManager(open_store(__import__("pathlib").Path({str(tmp_path / "fm.db")!r})))
        started = threading.Event()
        tasks.run_net(lambda: (started.set(), threading.Event().wait()), lambda f: None)
        started.wait(5)
        tasks.run_net(lambda: print("queued work ran after shutdown"), lambda f: None)
        tasks.shutdown()
        print("closed", flush=True)
    """)
    began = time.monotonic()
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30,
                          env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "closed"  # the queued call was cancelled, not run
    assert time.monotonic() - began < 20
