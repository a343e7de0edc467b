"""No dead state in approvals, through the real sync server: the rate moves on the server (its rate
import), decisions are made on desktops online and offline and pushed late or out of order, and the
server, re-running approval.decide, reaches the same "who may still decide" answer as the desktops
and never leaves a quote that nobody may decide."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from desktop import approval_policy, quote_decisions, timeutil
from desktop.models import Approval, Quote, User
from desktop.mutations import quotes as quote_mutations
from desktop.mutations import rates
from tests.server_process import ServerProcess
from tests.test_sync_visits import Desk

_numbers = itertools.count(1)
TODAY = rates.business_date(timeutil.utcnow())


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request, tmp_path_factory):
    url = request.getfixturevalue("postgres").database() if request.param == "postgresql" else None
    folder = tmp_path_factory.mktemp("approvals-server")
    process = ServerProcess(folder, url)
    engine = create_engine(url or f"sqlite:///{folder / 'fieldmark-server.db'}")
    yield process, engine
    engine.dispose()
    process.stop()


def move_rate(server: ServerProcess, folder, value: str) -> None:
    """Finance imports today's USD/CNY central parity on the server (the same date again corrects it)."""
    path = folder / f"rates-{next(_numbers)}.csv"
    path.write_text(f"日期,货币对,中间价\n{TODAY.isoformat()},USD/CNY,{value}\n", encoding="utf-8")
    done = server.admin("rates", "import", str(path), "--as", "finance.sun")
    assert done.returncode == 0, done.stderr


def still_required(session: Session, quote_id: str) -> set[str]:
    """The roles the quote's round still waits for, as the code every side runs works it out."""
    quote = session.get(Quote, quote_id)
    if quote.status != "awaiting_approval":
        return set()
    done = quote_mutations.round_approvals(session, quote)
    needed = quote_mutations.in_force(session, quote, timeutil.utcnow(), done)
    return set(approval_policy.roles(needed)) - {a.role for a in done}


def on_server(engine, quote_id: str) -> tuple[str, set[str]]:
    with Session(engine) as session:
        return session.get(Quote, quote_id).status, still_required(session, quote_id)


def on_desk(desk: Desk, quote_id: str) -> tuple[str, set[str]]:
    with desk.store.read() as session:
        return session.get(Quote, quote_id).status, still_required(session, quote_id)


def inbox(desk: Desk) -> set[str]:
    with desk.store.read() as session:
        user = session.get(User, desk.user_id)
        return {p.quote.id for p in quote_decisions.awaiting(session, user, timeutil.utcnow()).pending}


def approve(desk: Desk, quote_id: str) -> None:
    with desk.store.read() as session:
        version = session.get(Quote, quote_id).version
    desk.run("approval.decide", quote_id=quote_id, quote_version=version, decision="approve", comment="同意")


def usd_quote(rep: Desk) -> str:
    """A USD quote of 1,000 submitted at the rate the rep's desktop holds, pushed to the server."""
    customer = rep.run("customer.create", name=f"常州精密机械{next(_numbers)}号", region="江苏", city="常州")
    quote = rep.run("quote.create", customer_id=customer, currency="USD")
    rep.run("quote.line_set", quote_id=quote, description="数控车床 CK6150", quantity="1", unit_price="1000.00")
    rep.run("quote.submit", id=quote)
    assert rep.client.sync().push.rejected == 0
    return quote


@pytest.fixture
def desks(server, tmp_path):
    process, _engine = server
    move_rate(process, tmp_path, "7.1034")
    return (Desk(tmp_path / "rep", process, "rep.li"), Desk(tmp_path / "finance", process, "finance.sun"),
            Desk(tmp_path / "cfo", process, "cfo.xu"))


def test_the_rate_moving_back_on_the_server_leaves_the_director_in_charge(server, desks, tmp_path):
    process, engine = server
    rep, finance, cfo = desks
    quote = usd_quote(rep)
    with rep.store.read() as s:
        assert s.get(Quote, quote).locked_rate == Decimal("7.1034")
    move_rate(process, tmp_path, "7.1603")  # 0.801% away: the finance director must confirm
    finance.client.sync()
    approve(finance, quote)
    assert finance.client.sync().push.rejected == 0
    move_rate(process, tmp_path, "7.1200")  # back within 0.8%
    for desk in (finance, cfo):
        desk.client.sync()
    assert on_server(engine, quote) == ("awaiting_approval", {"finance_director"})
    assert on_desk(cfo, quote) == on_desk(finance, quote) == on_server(engine, quote)
    assert quote in inbox(cfo) and quote not in inbox(finance)
    approve(cfo, quote)
    assert cfo.client.sync().push.rejected == 0
    rep.client.sync()
    assert on_server(engine, quote)[0] == on_desk(rep, quote)[0] == "approved"


def test_an_offline_approval_meets_the_directors_requirement_that_appeared_on_the_server(server, desks, tmp_path):
    """Finance approves at a desk that has not seen the new rate: there, finance alone approves. The
    server, where the rate moved, keeps the quote waiting for the director - and keeps it so after
    the rate returns, since the requirement fired at that decision."""
    process, engine = server
    rep, finance, cfo = desks
    quote = usd_quote(rep)
    finance.client.sync()
    move_rate(process, tmp_path, "7.1603")  # on the server only, for now
    approve(finance, quote)  # offline, at 7.1034
    assert on_desk(finance, quote)[0] == "approved"  # what that desktop knew allowed it
    assert finance.client.push().rejected == 0  # pushed late: applied, under the server's rate
    assert on_server(engine, quote) == ("awaiting_approval", {"finance_director"})
    finance.client.sync()
    # The server's word comes back: finance's approval stands, the quote waits for the director.
    assert on_desk(finance, quote) == on_server(engine, quote)
    with finance.store.read() as s:
        (approval,) = s.scalars(select(Approval).where(Approval.quote_id == quote))
        assert {r["role"] for r in approval.required} == {"finance", "finance_director"}
    move_rate(process, tmp_path, "7.1200")
    cfo.client.sync()
    assert on_server(engine, quote) == on_desk(cfo, quote) == ("awaiting_approval", {"finance_director"})
    assert quote in inbox(cfo)
    approve(cfo, quote)
    assert cfo.client.sync().push.rejected == 0
    assert on_server(engine, quote) == ("approved", set())


def test_decisions_arriving_out_of_order_still_settle_the_quote(server, desks, tmp_path):
    """The director confirms at the high rate, online; finance's approval, made offline at the old rate
    before it, reaches the server last, after the rate came back: it completes the quote."""
    process, engine = server
    rep, finance, cfo = desks
    quote = usd_quote(rep)
    finance.client.sync()
    move_rate(process, tmp_path, "7.1603")
    approve(finance, quote)  # offline
    cfo.client.sync()
    assert quote in inbox(cfo)
    approve(cfo, quote)
    assert cfo.client.sync().push.rejected == 0
    assert on_server(engine, quote) == ("awaiting_approval", {"finance"})
    move_rate(process, tmp_path, "7.1200")
    assert finance.client.sync().push.rejected == 0
    assert on_server(engine, quote) == ("approved", set())
    rep.client.sync()
    assert on_desk(rep, quote)[0] == "approved"
