"""Follow-ups: a dated next step stays on its owner's plan until the owner closes it (done, postponed,
handed over); no later touchpoint of someone else, no CSV import and no unticked touchpoint of the owner
closes it. Permissions are re-checked by the same mutations on a real server; Today's plan closes one
through real widgets."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from PySide6.QtCore import QDate, Qt
from sqlalchemy import select

from desktop import activity, migrate, mutations, remote, timeutil
from desktop import touchpoint_import as ti
from desktop.errors import DomainError
from desktop.models import OutboxEntry, Touchpoint, User
from desktop.store import make_engine, open_store
from sync.client import SyncClient
from sync.token_store import FileTokenStore
from tests.conftest import Org, make_customer, run
from tests.server_process import ServerProcess
from ui.context import AppContext
from ui.dialogs.follow_up_dialog import FollowUpDialog
from ui.dialogs.touchpoint_dialog import TouchpointDialog
from ui.pages.todays_plan_page import TodaysPlanPage

NAME = "苏州恒通精密机械有限公司"


def ago(**kw) -> str:
    return timeutil.to_text(timeutil.utcnow() - timedelta(**kw))


def log(store, actor: str, customer: str, summary: str, *, days_ago: float = 0, next_step: str = "",
        due_days: float | None = None, **extra) -> str:
    args = dict(customer_id=customer, channel="call", occurred_at=ago(days=days_ago), summary=summary, **extra)
    if next_step:
        args["next_step"] = next_step
        if due_days is not None:
            args["next_step_due"] = ago(days=-due_days)
    return run(store, actor, "touchpoint.log", **args).changes.entity_id


def plan(store, user_id: str, days_ahead: float = 1) -> list[str]:
    """The next steps on the user's plan, due by ``days_ahead`` from now."""
    with store.read() as s:
        user = s.get(User, user_id)
        return [r.next_step for r in activity.next_steps_due(s, user, timeutil.utcnow() + timedelta(days=days_ahead))]


def row(store, touchpoint_id: str) -> Touchpoint:
    with store.read() as s:
        return s.scalars(select(Touchpoint).where(Touchpoint.id == touchpoint_id)).one()


def refused(store, actor: str, name: str, **args) -> DomainError:
    with pytest.raises(DomainError) as info:
        run(store, actor, name, **args)
    return info.value


# ---- Who closes a follow-up

def test_nothing_but_its_owner_closes_a_follow_up(store, org, tmp_path):
    rep, manager = org["rep"], org["manager"]
    customer = make_customer(store, rep, NAME)
    step = log(store, rep, customer, "询价", days_ago=3, next_step="发送修订版报价", due_days=-1)
    assert (row(store, step).follow_up, row(store, step).follow_up_owner_id) == ("open", rep)
    assert plan(store, rep) == ["发送修订版报价"]
    assert plan(store, manager) == []  # the manager's plan holds the manager's own follow-ups

    log(store, manager, customer, "经理电话回访", days_ago=1)  # someone else's later touchpoint
    log(store, rep, customer, "顺便确认交期")  # the owner's own, without saying it did the step
    csv = tmp_path / "import.csv"
    csv.write_text("客户,渠道,时间,内容\n" f"{NAME},电话,{timeutil.utcnow().astimezone(ZoneInfo('Asia/Shanghai')):%Y-%m-%d %H:%M},"
                   "导入的通话记录\n", encoding="utf-8")
    preview = ti.preview_file(store, rep, csv, ZoneInfo("Asia/Shanghai"))
    assert ti.import_rows(store, rep, preview).imported == 1
    assert plan(store, rep) == ["发送修订版报价"] and row(store, step).follow_up == "open"

    done = run(store, rep, "follow_up.done", id=step)
    assert done.changes.rows[0].op == "update"
    closed = row(store, step)
    assert (closed.follow_up, closed.follow_up_closed_by, closed.follow_up_done_in) == ("done", rep, None)
    assert closed.follow_up_closed_at is not None and plan(store, rep) == []
    assert refused(store, rep, "follow_up.done", id=step).code == "follow_up_closed"


def test_done_postpone_and_hand_over_are_the_owners_and_a_hand_over_also_the_managers(store, org):
    rep, rep2, manager = org["rep"], org["rep2"], org["manager"]
    customer = make_customer(store, rep, NAME)
    step = log(store, rep, customer, "询价", days_ago=2, next_step="寄样品", due_days=-1)

    for actor in (manager, rep2, org["otherrep"]):
        assert refused(store, actor, "follow_up.done", id=step).code == "forbidden"
        assert refused(store, actor, "follow_up.postpone", id=step, due=ago(days=-3)).code == "forbidden"
    problem = refused(store, rep, "follow_up.postpone", id=step, due=ago(days=1))
    assert (problem.field, problem.message_zh) == ("due", "新的期限已经过去，请选择今天以后的日期。")

    run(store, rep, "follow_up.postpone", id=step, due=ago(days=-3))
    assert plan(store, rep) == [] and plan(store, rep, days_ahead=4) == ["寄样品"]  # off today's plan, not gone

    # Another team's manager may not hand it over; nobody may hand it to someone who cannot see the customer.
    assert refused(store, org["othermanager"], "follow_up.hand_over", id=step, to_user_id=rep2).code == "forbidden"
    problem = refused(store, rep, "follow_up.hand_over", id=step, to_user_id=org["otherrep"])
    assert problem.field == "to_user_id" and "不负责客户" in problem.message_zh
    # rep2 cannot see rep's customer either; the team's manager can, and takes it over.
    assert refused(store, rep, "follow_up.hand_over", id=step, to_user_id=rep2).field == "to_user_id"
    run(store, manager, "follow_up.hand_over", id=step, to_user_id=manager)
    assert row(store, step).follow_up_owner_id == manager
    assert plan(store, rep, 4) == [] and plan(store, manager, 4) == ["寄样品"]
    assert refused(store, rep, "follow_up.done", id=step).code == "forbidden"  # no longer the owner's
    run(store, manager, "follow_up.hand_over", id=step, to_user_id=rep)  # and back
    run(store, rep, "follow_up.done", id=step)
    assert row(store, step).follow_up == "done"


def test_the_owners_next_touchpoint_closes_it_only_when_told_to(store, org):
    rep, manager = org["rep"], org["manager"]
    customer = make_customer(store, rep, NAME)
    step = log(store, rep, customer, "询价", days_ago=2, next_step="上门演示", due_days=0)
    other = make_customer(store, rep, "无锡华光电子有限公司", city="无锡")

    # Not someone else, not on another customer: refused, and nothing of the touchpoint is written.
    assert refused(store, manager, "touchpoint.log", customer_id=customer, channel="meeting", occurred_at=ago(),
                   summary="经理代为演示", closes_follow_up_id=step).code == "forbidden"
    assert refused(store, rep, "touchpoint.log", customer_id=other, channel="meeting", occurred_at=ago(),
                   summary="演示", closes_follow_up_id=step).field == "closes_follow_up_id"
    with store.read() as s:
        assert s.scalars(select(Touchpoint.summary).where(Touchpoint.summary.in_(["经理代为演示", "演示"]))).all() == []

    demo = log(store, rep, customer, "现场演示完成，客户满意", closes_follow_up_id=step)
    closed = row(store, step)
    assert (closed.follow_up, closed.follow_up_done_in, closed.follow_up_closed_by) == ("done", demo, rep)
    with store.read() as s:  # one change, synced as one: the new touchpoint and the closed follow-up
        entry = s.scalars(select(OutboxEntry).order_by(OutboxEntry.seq.desc())).first()
    assert entry.name == "touchpoint.log" and entry.args["closes_follow_up_id"] == step


# ---- Data from before follow-ups had owners

def test_0007_keeps_the_shown_follow_ups_open_and_the_superseded_ones_done(store, org):
    rep, manager = org["rep"], org["manager"]
    customer = make_customer(store, rep, NAME)
    old = log(store, rep, customer, "第一次询价", days_ago=10, next_step="发资料", due_days=-8)
    latest = log(store, manager, customer, "经理回访", days_ago=1, next_step="安排演示", due_days=0)
    undated = log(store, rep, make_customer(store, rep, "无锡华光电子有限公司", city="无锡"), "寄样本",
                  next_step="等回复")
    path = store.path
    store.close()
    engine = make_engine(path)
    try:
        cfg = migrate.alembic_config()
        with engine.connect() as conn:
            conn = conn.execution_options(fm_writer="migration")
            with conn.begin():
                cfg.attributes["connection"] = conn
                command.downgrade(cfg, "0006")
    finally:
        engine.dispose()
    reopened = open_store(path)  # migrates to head, as the app does at start-up
    try:
        with reopened.read() as s:
            states = {t.id: (t.follow_up, t.follow_up_owner_id, t.follow_up_closed_at)
                      for t in s.scalars(select(Touchpoint))}
        # The one Today's plan showed stays open, on the plan of the customer's owner who saw it there.
        assert states[latest] == ("open", rep, None)
        assert states[old] == ("done", rep, None)  # closed by the later touchpoint under the old rule
        assert states[undated] == ("", None, None)  # a next step with no date was never a follow-up
        assert plan(reopened, rep) == ["安排演示"]
    finally:
        reopened.close()


# ---- Through a real server

@pytest.fixture(params=["sqlite", "postgresql"])
def server(request, tmp_path):
    url = request.getfixturevalue("postgres").database() if request.param == "postgresql" else None
    process = ServerProcess(tmp_path / "server", url)
    yield process
    process.stop()


def desktop(folder: Path, server: ServerProcess, username: str):
    store = open_store(folder / "fieldmark.db")
    client = SyncClient(store, server.url, FileTokenStore(folder / "token"), sleep=lambda _s: None)
    user_id = client.sign_in(username, "fieldmark", f"{username}'s laptop")
    client.sync()
    return store, client, user_id


def test_the_server_rechecks_who_closes_a_follow_up(server, tmp_path):
    rep_store, rep, rep_id = desktop(tmp_path / "rep", server, "rep.li")
    boss_store, boss, boss_id = desktop(tmp_path / "boss", server, "manager.wang")
    customer = mutations.run(rep_store, rep_id, "customer.create",
                             {"name": NAME, "region": "江苏", "city": "苏州"}).changes.entity_id
    step = log(rep_store, rep_id, customer, "询价", days_ago=2, next_step="发送报价单", due_days=-1)
    assert rep.sync().push.applied == 2
    boss.sync()
    assert plan(boss_store, boss_id) == [] and row(boss_store, step).follow_up_owner_id == rep_id

    # The manager hands it to himself; the server runs the same check and agrees. Meanwhile the rep,
    # offline, still sees it as his and marks it done: his desktop allows it, the server does not.
    mutations.run(boss_store, boss_id, "follow_up.hand_over", {"id": step, "to_user_id": boss_id})
    assert boss.sync().push.applied == 1
    mutations.run(rep_store, rep_id, "follow_up.done", {"id": step})
    assert row(rep_store, step).follow_up == "done"
    report = rep.sync()
    assert (report.push.applied, report.push.rejected) == (0, 1)
    with rep_store.read() as s:
        [problem] = remote.open_problems(s)
    assert "负责人" in problem.message_zh
    # The server's row wins: open, the manager's, and off the rep's plan.
    assert row(rep_store, step).follow_up == "open" and row(rep_store, step).follow_up_owner_id == boss_id
    assert plan(rep_store, rep_id) == []

    mutations.run(boss_store, boss_id, "follow_up.done", {"id": step})
    boss.sync()
    rep.sync()
    assert row(rep_store, step).follow_up == "done" and row(rep_store, step).follow_up_closed_by == boss_id
    rep_store.close()
    boss_store.close()


# ---- Today's plan and the touchpoint dialog

@pytest.fixture
def context(qtbot, store, org: Org):
    ctx = AppContext(store, "en")
    with store.read() as session:
        ctx.set_user(session.get(User, org["rep"]))
    yield ctx
    ctx.tasks.shutdown()


def test_todays_plan_postpones_and_marks_done_with_the_touchpoint_that_did_it(qtbot, context, store, org):
    rep = org["rep"]
    customer = make_customer(store, rep, NAME)
    step = log(store, rep, customer, "询价", days_ago=3, next_step="发送修订版报价", due_days=-1)
    other = log(store, rep, make_customer(store, rep, "无锡华光电子有限公司", city="无锡"), "寄资料", days_ago=2,
                next_step="电话确认收到", due_days=-1)
    page = TodaysPlanPage(context)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: page.due_model.rowCount() == 2)
    assert not page.done_button.isEnabled()  # nothing chosen yet

    page.due_table.selectRow([r.touchpoint_id for r in page.due_model.rows].index(other))
    assert page.postpone_button.isEnabled()
    postpone = page.close_follow_up("postpone")
    qtbot.addWidget(postpone)
    qtbot.waitUntil(lambda: postpone.is_ready)
    postpone.due_edit.setDate(QDate.currentDate().addDays(-1))
    qtbot.mouseClick(postpone.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: postpone.errors.message("due") != "")
    assert postpone.errors.message("due") == "The new due date has passed; choose a date after today."
    postpone.due_edit.setDate(QDate.currentDate().addDays(7))
    with qtbot.waitSignal(postpone.sig_saved, timeout=5000):
        qtbot.mouseClick(postpone.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.due_model.rowCount() == 1)
    assert row(store, other).follow_up == "open"

    did_it = log(store, rep, customer, "邮件发送修订版报价")  # logged without ticking the follow-up
    page.due_table.selectRow(0)
    done = page.close_follow_up("done")
    assert isinstance(done, FollowUpDialog)
    qtbot.addWidget(done)
    qtbot.waitUntil(lambda: done.is_ready)
    assert done.choice.count() == 2 and done.choice.itemData(1) == did_it
    done.choice.setCurrentIndex(1)
    with qtbot.waitSignal(done.sig_saved, timeout=5000):
        qtbot.mouseClick(done.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.due_model.rowCount() == 0)
    assert (row(store, step).follow_up, row(store, step).follow_up_done_in) == ("done", did_it)


def test_the_touchpoint_dialog_offers_the_owners_open_follow_up_unticked(qtbot, context, store, org):
    rep = org["rep"]
    customer = make_customer(store, rep, NAME)
    step = log(store, rep, customer, "询价", days_ago=3, next_step="上门演示", due_days=-1)
    dialog = TouchpointDialog(context, customer_id=customer)
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitUntil(lambda: dialog.is_ready)
    combo = dialog.follow_up_combo
    assert combo.isEnabled() and combo.count() == 2 and combo.currentData() is None  # offered, never implied
    assert combo.itemText(1).endswith("上门演示")
    combo.setCurrentIndex(1)
    dialog.summary_edit.insertPlainText("现场演示完成")
    with qtbot.waitSignal(dialog.sig_saved, timeout=5000):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert row(store, step).follow_up == "done"


def test_todays_plan_hands_a_follow_up_to_someone_who_works_with_the_customer(qtbot, context, store, org):
    rep = org["rep"]
    customer = make_customer(store, rep, NAME)
    step = log(store, rep, customer, "询价", days_ago=1, next_step="安排技术交流", due_days=0)
    page = TodaysPlanPage(context)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: page.due_model.rowCount() == 1)
    page.due_table.selectRow(0)
    dialog = page.close_follow_up("hand_over")
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.is_ready)
    names = [dialog.choice.itemText(i) for i in range(dialog.choice.count())]
    # Those who may log touchpoints for the customer: not the rep himself, not another team's people.
    assert "Manager" in names and "Rep" not in names and "Otherrep" not in names and "Rep2" not in names
    dialog.choice.setCurrentIndex(names.index("Manager"))
    with qtbot.waitSignal(dialog.sig_saved, timeout=5000):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.due_model.rowCount() == 0)
    assert row(store, step).follow_up_owner_id == org["manager"] and plan(store, org["manager"]) == ["安排技术交流"]


def test_a_visit_opens_its_follow_up_when_submitted_not_while_a_draft(store, org, tmp_path):
    from tests.test_visits import full_evidence, start

    rep = org["rep"]
    visit = start(store, rep, make_customer(store, rep, NAME), next_step="寄送样品", next_step_due=ago(days=-1))
    assert row(store, visit).follow_up == "" and plan(store, rep, 2) == []  # a draft promises nothing yet
    full_evidence(store, rep, visit, tmp_path)
    run(store, rep, "visit.submit", id=visit)
    assert (row(store, visit).follow_up, row(store, visit).follow_up_owner_id) == ("open", rep)
    assert plan(store, rep, 2) == ["寄送样品"]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_s0007_settles_the_servers_existing_next_steps_as_0007_does(kind, tmp_path, request):
    from sqlalchemy import text

    from sync.server import schema
    from sync.server.db import make_engine as server_engine

    url = f"sqlite:///{tmp_path / 'server.db'}" if kind == "sqlite" else request.getfixturevalue("postgres").database()
    engine = server_engine(url)
    cfg = schema.config()
    with engine.connect() as conn, conn.begin():
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "s0006")
    now = timeutil.utcnow()

    def ts(days: float) -> str:
        return timeutil.to_text(now + timedelta(days=days))

    with engine.begin() as conn:
        for user_id in ("u-rep", "u-boss"):
            conn.execute(text("INSERT INTO users (id, username, display_name, role, territory, team, password_hash,"
                              " active, created_at, updated_at, version) VALUES (:id, :id, :id, 'field_rep', '',"
                              " '', '', true, :at, :at, 1)"), {"id": user_id, "at": ts(-30)})
        conn.execute(text("INSERT INTO customers (id, name, short_name, owner_id, region, city, address, industry,"
                          " segment, status, phone, notes, created_at, updated_at, version) VALUES ('c1', :name, '',"
                          " 'u-rep', '', '', '', '', 'standard', 'active', '', '', :at, :at, 1)"),
                     {"name": NAME, "at": ts(-30)})
        for tp_id, user_id, days, step, due in (("t-old", "u-rep", -10, "发资料", -8), ("t-new", "u-boss", -1, "演示", 0),
                                                ("t-note", "u-rep", -5, "等回复", None)):
            conn.execute(text("INSERT INTO touchpoints (id, customer_id, user_id, channel, occurred_at, with_whom,"
                              " summary, reaction, reaction_note, next_step, next_step_due, status, created_at,"
                              " updated_at, version) VALUES (:id, 'c1', :user, 'call', :at, '', '电话', 'unknown', '',"
                              " :step, :due, 'submitted', :at, :at, 1)"),
                         {"id": tp_id, "user": user_id, "at": ts(days), "step": step,
                          "due": ts(due) if due is not None else None})
    schema.upgrade(engine)  # as the server does at start
    with engine.connect() as conn:
        states = dict((r[0], tuple(r[1:])) for r in conn.execute(text(
            "SELECT id, follow_up, follow_up_owner_id FROM touchpoints")))
    engine.dispose()
    # t-note is not the latest, but has no due date: never on the plan, so not a follow-up.
    assert states == {"t-new": ("open", "u-rep"), "t-old": ("done", "u-rep"), "t-note": ("", None)}
