"""Overwrites made visible, through a real server: two desktops change the same customer's phone
offline, the later push wins (server order) and says whose edit it replaced, the earlier writer sees a
sync problem naming the winner with their own value and applies it again in one click; the history
shows every change with names. And device clocks that cannot be right are not stored as they are."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from desktop import change_history, integrity, remote, timeutil
from desktop.ids import uuid7
from desktop.models import Approval, Customer, FieldChange, OutboxEntry, Quote
from sync.server.models import Processed
from tests.server_process import Api, ServerProcess
from tests.test_approvals_sync import move_rate, usd_quote
from tests.test_sync_visits import Desk


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request, tmp_path_factory):
    url = request.getfixturevalue("postgres").database() if request.param == "postgresql" else None
    folder = tmp_path_factory.mktemp("overwrites-server")
    process = ServerProcess(folder, url)
    engine = create_engine(url or f"sqlite:///{folder / 'fieldmark-server.db'}")
    yield process, engine
    engine.dispose()
    process.stop()


def phone(desk: Desk, customer: str) -> str:
    with desk.store.read() as s:
        return s.scalars(select(Customer.phone).where(Customer.id == customer)).one()


def test_the_loser_of_an_offline_race_sees_who_won_and_applies_their_value_again(server, tmp_path):
    process, engine = server
    rep = Desk(tmp_path / "rep", process, "rep.li")
    boss = Desk(tmp_path / "boss", process, "manager.wang")
    customer = rep.run("customer.create", name="无锡华晟精工有限公司", region="江苏", city="无锡", phone="0510-1000")
    rep.client.sync()
    boss.client.sync()

    # Both offline: the rep changes the phone, then the manager (王建华) does, not having seen it.
    rep.run("customer.update", id=customer, phone="0510-2222")
    boss.run("customer.update", id=customer, phone="0510-3333")
    assert rep.client.sync().push.applied == 1  # first to reach the server
    assert boss.client.sync().push.applied == 1  # last write wins, in server order
    with boss.store.read() as s:
        entry = s.scalars(select(OutboxEntry).order_by(OutboxEntry.seq.desc())).first()
        # The winner's answer says whose edit, made since its base, it replaced.
        assert [(o["field"], o["user_id"], o["old"], o["new"]) for o in entry.result["overwrote"]] == [
            ("phone", rep.user_id, "0510-2222", "0510-3333")]
    with Session(engine) as s:
        lost = s.scalars(select(FieldChange).where(FieldChange.overwrote_user_id.is_not(None))).all()
        assert [(c.field, c.old_value, c.new_value, c.user_id, c.overwrote_user_id) for c in lost] == [
            ("phone", "0510-2222", "0510-3333", boss.user_id, rep.user_id)]

    rep.client.sync()  # the loser learns of it at the next sync
    assert phone(rep, customer) == "0510-3333"
    with rep.store.read() as s:
        [problem] = remote.open_problems(s)
        assert (problem.source, problem.mutation) == ("overwritten", "customer.update")
        assert problem.args["phone"] == "0510-2222" and problem.server_row["phone"] == "0510-3333"
        assert "王建华" in problem.message_zh and "覆盖" in problem.message_zh
        assert "overwritten by 王建华" in problem.message_en
        assert rep.user_id not in problem.message_en and boss.user_id not in problem.message_en
    rep.client.sync()  # the same record arriving again opens nothing twice
    with rep.store.read() as s:
        assert len(remote.open_problems(s)) == 1

    remote.send_again(rep.store, problem.id, rep.user_id)  # one click: "Apply my value again"
    assert phone(rep, customer) == "0510-2222"
    assert rep.client.sync().push.applied == 1
    with rep.store.read() as s:
        assert remote.open_problems(s) == []
        assert integrity.check(s) == []
    boss.client.sync()
    assert phone(boss, customer) == "0510-2222"
    with Session(engine) as s:
        assert s.scalars(select(Customer.phone).where(Customer.id == customer)).one() == "0510-2222"
        # Applying it again had seen the manager's value: it is no overwrite.
        assert len(s.scalars(select(FieldChange).where(FieldChange.overwrote_user_id.is_not(None))).all()) == 1

    for desk in (rep, boss):  # both desktops read the same history, with names
        with desk.store.read() as s:
            entries, _names = change_history.customer_history(s, customer)
        assert [(e.user_name, e.action, e.key, e.old, e.new, e.overwrote_name) for e in entries] == [
            ("李晓东", "update", "phone", "0510-3333", "0510-2222", ""),
            ("王建华", "update", "phone", "0510-2222", "0510-3333", "李晓东"),
            ("李晓东", "update", "phone", "0510-1000", "0510-2222", ""),
            ("李晓东", "create", "", None, "无锡华晟精工有限公司", ""),
        ]


def test_an_edit_on_an_old_base_over_a_newer_one_is_an_overwrite(server, tmp_path):
    """A change made 91 days ago offline, on version 1, arrives after a newer edit of the same field."""
    process, engine = server
    rep = Api(process, "rep.li")
    boss = Api(process, "manager.wang")
    customer = uuid7()
    now = timeutil.utcnow()
    assert rep.push(("customer.create", {"id": customer, "name": f"常州恒力{customer[-6:]}", "phone": "1",
                                         "at": timeutil.to_text(now)})).json()["results"][0]["status"] == "applied"
    # The rep's own chain: base 1 then base 2, the manager's edit of the email in between on the server.
    assert rep.push(("customer.update", {"id": customer, "phone": "2", "at": timeutil.to_text(now)}),
                    extra={"base_version": 1}).json()["results"][0]["status"] == "applied"
    old = boss.push(("customer.update", {"id": customer, "phone": "old", "notes": "季度回访",
                                         "at": timeutil.to_text(now - timedelta(days=91))}),
                    extra={"base_version": 1}).json()["results"][0]
    assert old["status"] == "applied"
    assert [(o["field"], o["user_id"], o["old"]) for o in old["overwrote"]] == [("phone", rep.user_id, "2")]
    # 91 days before the customer existed: the device's clock is not believed, the receipt time stands in.
    assert old["clock"]["reason"] == "before_row"
    with Session(engine) as s:
        row = s.scalars(select(Customer).where(Customer.id == customer)).one()
        assert row.phone == "old" and row.updated_at >= now - timedelta(seconds=5)
    # A clock reset to before 2000 is not believed either.
    reset = rep.push(("customer.update", {"id": customer, "city": "常州", "at": "1999-12-31T23:00:00.000000Z"}),
                     extra={"base_version": 3}).json()["results"][0]
    assert reset["status"] == "applied" and reset["clock"]["reason"] == "too_early"
    # A time the user typed is checked against the believable clock. A touchpoint left at "now" on a
    # device a day ahead was made now: it moves with the device's clock to the receipt time. One typed a
    # day ahead on a right clock is in the future, and refused; one logged later for long ago is fine.
    ahead = timeutil.to_text(now + timedelta(days=1))
    logged = [rep.push(("touchpoint.log", {"id": uuid7(), "customer_id": customer, "channel": "call",
                                           "summary": "电话确认交期", "occurred_at": when, "at": at})).json()["results"][0]
              for when, at in ((ahead, ahead), (ahead, timeutil.to_text(now)),
                               (timeutil.to_text(now - timedelta(days=400)), timeutil.to_text(now)),
                               ("1999-06-01T00:00:00.000000Z", timeutil.to_text(now)))]
    assert [(r["status"], r.get("error", {}).get("field")) for r in logged] == [
        ("applied", None), ("rejected", "occurred_at"), ("applied", None), ("rejected", "occurred_at")]
    assert logged[0]["clock"]["reason"] == "future" and logged[0]["clock"]["moved"]["occurred_at"]["sent"] == ahead
    stored = timeutil.from_text(logged[0]["clock"]["moved"]["occurred_at"]["stored"])
    assert abs(stored - now) < timedelta(minutes=5)  # when the call was made, by the server's clock
    # A device with two waiting changes numbers them on top of each other (base 4, then 5 on its own
    # version 5): the manager's notes, version 5 on the server, were not seen by the second.
    assert boss.push(("customer.update", {"id": customer, "notes": "经理备注", "at": timeutil.to_text(now)}),
                     extra={"base_version": 4}).json()["results"][0]["status"] == "applied"
    items = [{"seq": rep.seq + 1, "mutation_id": uuid7(), "name": "customer.update", "base_version": 4,
              "args": {"id": customer, "short_name": "恒力", "at": timeutil.to_text(now)}},
             {"seq": rep.seq + 2, "mutation_id": uuid7(), "name": "customer.update", "base_version": 5,
              "args": {"id": customer, "notes": "新备注", "at": timeutil.to_text(now)}}]
    rep.seq += 2
    results = rep.post("/v1/push", {"device_id": rep.device_id, "mutations": [
        {**item, "schema_version": "0002", "client_time": item["args"]["at"]} for item in items]}).json()["results"]
    assert [r["status"] for r in results] == ["applied", "applied"]
    assert "overwrote" not in results[0]
    assert [(o["field"], o["user_id"]) for o in results[1]["overwrote"]] == [("notes", boss.user_id)]


def test_device_times_out_of_the_plausible_window_are_clamped_to_the_receipt_time(server, tmp_path):
    process, engine = server
    move_rate(process, tmp_path, "7.1034")
    rep = Desk(tmp_path / "rep", process, "rep.li")
    quote = usd_quote(rep)
    move_rate(process, tmp_path, "7.1603")  # the director must confirm too: the quote stays waiting
    finance, director = Api(process, "finance.sun"), Api(process, "cfo.xu")
    with Session(engine) as s:
        submitted = s.get(Quote, quote).submitted_at
    before = timeutil.utcnow()
    future = timeutil.to_text(before + timedelta(days=1))
    results = []
    for api, at in ((finance, future), (director, "2020-01-01T00:00:00.000000Z")):
        with Session(engine) as s:
            version = s.get(Quote, quote).version
        decision = {"id": uuid7(), "quote_id": quote, "quote_version": version, "decision": "approve",
                    "comment": "同意", "at": at}
        results.append(api.push(("approval.decide", decision)).json()["results"][0])
    # Applied (the decisions are the approvers'), each with its time clamped and a note saying so.
    assert [r["status"] for r in results] == ["applied", "applied"], [r.get("error") for r in results]
    assert [r["clock"]["reason"] for r in results] == ["future", "before_row"]  # 2020: before the submission
    assert results[0]["clock"]["sent"] == future
    after = timeutil.utcnow()
    with Session(engine) as s:
        assert s.get(Quote, quote).status == "approved"
        decided = s.scalars(select(Approval.decided_at).where(Approval.quote_id == quote)).all()
        assert len(decided) == 2 and all(submitted <= t and before - timedelta(seconds=1) <= t <= after for t in decided)
        times = s.scalars(select(Processed.client_time).where(
            Processed.device_id.in_([finance.device_id, director.device_id]))).all()
        assert len(times) == 2 and all(before - timedelta(seconds=1) <= t <= after for t in times)
