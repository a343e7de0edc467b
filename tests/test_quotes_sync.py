"""Quotes through the real sync server: the server re-runs the quote mutations under the pushing user,
refuses a stale or self-made approval, and sends quotes only to those who may see their customer."""

from __future__ import annotations

import itertools

import pytest

from desktop.mutations import prepare
from sync import protocol
from tests.server_process import Api, ServerProcess

_numbers = itertools.count(1)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request, tmp_path_factory):
    url = request.getfixturevalue("postgres").database() if request.param == "postgresql" else None
    process = ServerProcess(tmp_path_factory.mktemp("server"), url)
    yield process
    process.stop()


def call(mutation: str, /, **args) -> tuple[str, dict]:
    return mutation, prepare(mutation, args)


def results(response) -> list[tuple[str, str | None]]:
    assert response.status_code == 200, response.text
    return [(r["status"], (r.get("error") or {}).get("code")) for r in response.json()["results"]]


def test_a_quote_is_approved_on_the_server_and_seen_only_within_its_customers_scope(server):
    rep, finance = Api(server, "rep.li"), Api(server, "finance.sun")
    customer = call("customer.create", name=f"昆山精工{next(_numbers)}号", region="江苏", city="昆山")
    number = f"Q20261128-{rep.device_code}-{next(_numbers):04d}"
    quote = call("quote.create", customer_id=customer[1]["id"], number=number)
    line = call("quote.line_set", quote_id=quote[1]["id"], description="数控车床", quantity="2",
                unit_price="0.125")
    submit = call("quote.submit", id=quote[1]["id"])
    assert results(rep.push(customer, quote, line, submit)) == [("applied", None)] * 4
    # the quote is at version 3 (created, a line, submitted)
    stale = call("approval.decide", quote_id=quote[1]["id"], quote_version=2, decision="approve")
    own = call("approval.decide", quote_id=quote[1]["id"], quote_version=3, decision="approve")
    assert results(rep.push(own)) == [("rejected", "forbidden")]
    twin = call("quote.create", customer_id=customer[1]["id"], number=number)
    assert results(rep.push(twin)) == [("rejected", "conflict")]
    right = call("approval.decide", quote_id=quote[1]["id"], quote_version=3, decision="approve")
    assert results(finance.push(stale, right)) == [("rejected", "stale_version"), ("applied", None)]

    def rows(api: Api, table: str) -> dict[str, dict]:
        changes, _ = api.pull_all()
        return {c["id"]: c["row"] for c in changes if c["table"] == table and c["op"] == protocol.UPSERT}

    stored = rows(finance, "quotes")[quote[1]["id"]]
    assert (stored["status"], stored["number"], stored["total"]) == ("approved", number, "0.28")
    assert [a["decision"] for a in rows(rep, "approvals").values() if a["quote_id"] == quote[1]["id"]] == ["approve"]
    assert line[1]["id"] in rows(rep, "quote_lines")
    other = Api(server, "rep.liu")  # another team's rep
    assert quote[1]["id"] not in rows(other, "quotes")
    assert line[1]["id"] not in rows(other, "quote_lines")


def test_an_approval_made_offline_by_someone_who_lost_the_role_is_refused_and_shown_to_them(server, tmp_path):
    """Finance approves at a desk with no network; meanwhile the server no longer counts them as finance.
    The desktop accepted the decision with what it knew; the server refuses it, the quote is back to
    awaiting approval on that desktop, and the refusal waits in that user's Sync problems."""
    from sqlalchemy import select

    from desktop import remote
    from desktop.models import Quote
    from tests.test_sync_visits import Desk

    name = f"finance.temp{next(_numbers)}"
    assert server.admin("user", "add", name, "--role", "finance", "--password", "fieldmark").returncode == 0
    rep = Desk(tmp_path / "rep", server, "rep.li")
    customer = rep.run("customer.create", name=f"南通华宇机电{next(_numbers)}号", region="江苏", city="南通")
    quote = rep.run("quote.create", customer_id=customer)
    rep.run("quote.line_set", quote_id=quote, description="数控车床 CK6150", quantity="2", unit_price="98000.00")
    rep.run("quote.submit", id=quote)
    assert rep.client.sync().push.rejected == 0

    desk = Desk(tmp_path / "finance", server, name)  # signs in and pulls the quote while still finance
    moved = server.admin("user", "update", name, "--role", "service_engineer")
    assert moved.returncode == 0, moved.stderr

    def status() -> str:
        with desk.store.read() as s:
            return s.scalars(select(Quote.status).where(Quote.id == quote)).one()

    with desk.store.read() as s:
        version = s.scalars(select(Quote.version).where(Quote.id == quote)).one()
    desk.run("approval.decide", quote_id=quote, quote_version=version, decision="approve", comment="同意")  # offline
    assert status() == "approved"  # what this desktop knew allowed it

    report = desk.client.sync()
    assert report.push.rejected == 1
    assert status() == "awaiting_approval"  # the server's word
    with desk.store.read() as s:
        [problem] = remote.open_problems(s)
    assert problem.mutation == "approval.decide" and problem.message_zh and problem.message_en
    assert problem.args["comment"] == "同意"  # what the user entered is kept


def test_quote_numbers_carry_a_device_code_the_server_gave_and_no_other_devices(server, tmp_path):
    """Each device gets its own short code when it first signs in, and numbers its quotes with it;
    the server refuses a number carrying another device's code, so two devices never share a number.
    A quote numbered offline before the first sign-in (the provisional code) is still accepted."""
    from sqlalchemy import select

    from desktop import remote
    from desktop.ids import provisional_device_code
    from desktop.models import DeviceState, Quote
    from tests.test_sync_visits import Desk

    first, second = Desk(tmp_path / "a", server, "rep.li"), Desk(tmp_path / "b", server, "rep.li")
    codes = [d.store.device()[1] for d in (first, second)]
    assert codes[0] != codes[1] and all(c.startswith("D") for c in codes)
    with second.store.read() as s:
        assert s.scalars(select(DeviceState.device_code)).one() == codes[1]
    customer = first.run("customer.create", name=f"无锡宏达机电{next(_numbers)}号", region="江苏", city="无锡")
    first.client.sync()
    second.client.sync()
    made = second.run("quote.create", customer_id=customer)
    with second.store.read() as s:
        assert f"-{codes[1]}-" in s.scalars(select(Quote.number).where(Quote.id == made)).one()

    # A number with the first device's code, pushed by the second (say, the file was edited): refused.
    rep = Api(server, "rep.li")
    forged = call("quote.create", customer_id=customer, number=f"Q20261128-{codes[0]}-9999")
    response = rep.push(forged)
    assert results(response) == [("rejected", "invalid_value")]
    error = response.json()["results"][0]["error"]
    assert error["field"] == "number" and codes[0] in error["message_en"] and rep.device_code in error["message_en"]

    # A desktop that signed in before the server gave out codes numbered its queued quotes with its
    # provisional code; the server still takes those from that device.
    device_id, _code = first.store.device()
    remote.adopt_device_code(first.store, provisional_device_code(device_id))
    queued = first.run("quote.create", customer_id=customer)
    first.client.sync()
    with first.store.read() as s:
        assert s.scalars(select(Quote.number).where(Quote.id == queued)).one().split("-")[1] == \
            provisional_device_code(device_id)
        assert remote.open_problems(s) == []
    assert queued in {c["id"] for c in rep.pull_all()[0] if c["table"] == "quotes"}
