"""The demo organisation and the scale generator."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from datetime import date, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, select

from desktop import demo, media, passwords, search, timeutil
from desktop.demo import vocabulary
from desktop.models import CHANNELS, ROLES, Attachment, Contact, Customer, Touchpoint, User

HAN = re.compile(r"[\u4e00-\u9fff]")


def test_seed_demo_is_a_realistic_organisation(store):
    summary = demo.seed_demo(store)
    assert (summary.customers, summary.touchpoints) == (300, 6000)
    with store.read() as s:
        users = s.scalars(select(User)).all()
        assert {u.role for u in users} == set(ROLES)
        assert all(HAN.search(u.display_name) for u in users)
        by_name = {u.username: u for u in users}
        for username, *_ in vocabulary.DEMO_USERS:
            assert passwords.verify_password(vocabulary.DEMO_PASSWORD, by_name[username].password_hash)
        customers = s.scalars(select(Customer)).all()
        assert len({c.name for c in customers}) == 300 and all(c.name.endswith("公司") for c in customers)
        assert {c.region for c in customers} <= set(vocabulary.REGIONS)
        assert len({c.region for c in customers}) >= 5
        channels = dict(s.execute(select(Touchpoint.channel, func.count()).group_by(Touchpoint.channel)).all())
        assert set(channels) == set(CHANNELS)
        oldest, newest = s.execute(select(func.min(Touchpoint.occurred_at), func.max(Touchpoint.occurred_at))).one()
        now = timeutil.utcnow()
        assert newest <= now and now - newest < timedelta(days=3)
        assert timedelta(days=170) < newest - oldest < timedelta(days=190)
        # East China works 08:00-20:00 local time (UTC+8), which is what its people read on screen
        china = timezone(timedelta(hours=8))
        local_hours = {t.astimezone(china).hour for t in s.scalars(select(Touchpoint.occurred_at))}
        due_hours = {t.astimezone(china).hour for t in s.scalars(select(Touchpoint.next_step_due)) if t is not None}
        assert min(local_hours) >= 8 and max(local_hours) < 20 and len(local_hours) >= 10
        assert min(due_hours) >= 8 and max(due_hours) < 20
        reached = s.scalars(select(Contact).where(Contact.last_reached_at.is_not(None))).all()
        assert len(reached) > 500
        # newer touchpoints have higher rowids, which search relies on for "newest first"
        times = s.scalars(select(Touchpoint.occurred_at).order_by(Touchpoint.rid)).all()
        assert times == sorted(times)
        assert search.search_touchpoints(s, "铭牌")


def test_the_demos_recent_visits_carry_evidence_that_reads_as_it_says(store):
    """Photos and recordings on the newest visits, each file in the blob store and measured as recorded;
    some reps keep the rules on more visits than others, so the capture rates differ."""
    demo.seed_demo(store)
    with store.read() as s:
        attachments = s.scalars(select(Attachment)).all()
        checked = s.execute(select(Touchpoint.user_id, func.count(), func.count(Touchpoint.rule_passed))
                            .where(Touchpoint.check_in_at.is_not(None)).group_by(Touchpoint.user_id)).all()
    assert {a.kind for a in attachments} == {"photo", "audio"} and len(attachments) > 200
    for a in attachments[:40]:
        info = media.probe(store.blobs.path(a.sha256), a.filename)
        assert (info.kind, info.mime, info.size) == (a.kind, a.mime, a.size)
        assert info.duration_s == a.duration_s and info.taken_at == a.taken_at
    photos = [a.sha256 for a in attachments if a.kind == "photo"]
    assert len(set(photos)) == len(photos)  # never the same picture twice
    rates = {round(passed / total, 2) for _user, total, passed in checked if total >= 10}
    assert len(rates) > 1 and all(0 < r <= 1 for r in rates)


def test_generation_is_deterministic_and_parallel_mode_matches(store, template_db, tmp_path):
    import shutil

    from desktop.store import open_store

    now = timeutil.utcnow()
    demo.generate(store, customers=200, touchpoints=3000, seed=7, now=now, parallel=False)
    other_path = tmp_path / "other.db"
    shutil.copy(template_db, other_path)
    other = open_store(other_path)
    demo.generate(other, customers=200, touchpoints=3000, seed=7, now=now, parallel=True)

    def content(st):
        with st.read() as s:
            return (s.execute(select(Customer.id, Customer.name, Customer.owner_id).order_by(Customer.rid)).all(),
                    s.execute(select(Touchpoint.id, Touchpoint.summary, Touchpoint.occurred_at)
                              .order_by(Touchpoint.rid)).all())

    assert content(store) == content(other)
    other.close()


def test_generation_can_be_cancelled_and_refuses_a_full_database(store):
    calls = []

    def progress(done: float, what: str) -> bool:
        calls.append((done, what))
        return what != "customers"

    try:
        demo.generate(store, customers=50, touchpoints=500, progress=progress, parallel=False)
    except demo.Cancelled:
        pass
    else:
        raise AssertionError("generation was not cancelled")
    assert [w for _, w in calls] == ["users", "customers"]
    try:
        demo.generate(store, customers=10, touchpoints=10, parallel=False)
    except ValueError as exc:
        assert "already holds data" in str(exc)
    else:
        raise AssertionError("generated into a non-empty database")


def test_command_line_generator(tmp_path: Path):
    out = subprocess.run([sys.executable, "-m", "desktop.demo", "--data-dir", str(tmp_path), "--customers", "120",
                          "--touchpoints", "2500"], capture_output=True, text=True, check=True, timeout=120)
    assert "customers=120" in out.stdout and "touchpoints=2500" in out.stdout
    assert re.search(r"touchpoints_per_s=[\d,]+", out.stdout)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("fieldmark.db")) == ["fieldmark.db"]
    # built with foreign-key checks off: what it built must still be consistent, and back in WAL mode
    with sqlite3.connect(tmp_path / "fieldmark.db") as db:
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT count(*) FROM contacts WHERE customer_id NOT IN (SELECT id FROM customers)"
                          ).fetchone()[0] == 0
    again = subprocess.run([sys.executable, "-m", "desktop.demo", "--data-dir", str(tmp_path)], capture_output=True,
                           text=True)
    assert again.returncode == 2 and "already exists" in again.stderr


# ---------------------------------------------------------------------------------------------- quotes


def _demo_quotes(store):
    from desktop.models import Approval, ExchangeRate, Quote, QuoteLine

    with store.read() as s:
        quotes = s.scalars(select(Quote)).all()
        lines: dict[str, list] = {}
        for line in s.scalars(select(QuoteLine).order_by(QuoteLine.position)):
            lines.setdefault(line.quote_id, []).append(line)
        approvals: dict[str, list] = {}
        for a in s.scalars(select(Approval).order_by(Approval.decided_at)):
            approvals.setdefault(a.quote_id, []).append(a)
        rates = s.scalars(select(ExchangeRate).order_by(ExchangeRate.rate_date)).all()
    return quotes, lines, approvals, rates


def test_the_demo_has_quotes_in_every_state_and_both_currencies_priced_as_the_core_prices_them(store):
    from decimal import Decimal

    from desktop.models import QUOTE_STATUSES, Product
    from desktop.mutations import quotes as quote_mutations

    demo.seed_demo(store)
    quotes, lines, _approvals, _rates = _demo_quotes(store)
    assert len(quotes) == 60
    assert {(q.status, q.currency) for q in quotes} == {(s, c) for s in QUOTE_STATUSES for c in ("CNY", "USD")}
    with store.read() as s:
        products = s.scalars(select(Product)).all()
        local_code = store.device()[1]
    assert len(products) >= 30 and {p.unit for p in products} >= {"台", "套", "件"}
    assert {p.currency for p in products} == {"CNY", "USD"} and all(HAN.search(p.name) for p in products)
    for q in quotes:
        mine = lines[q.id]
        assert mine, q.number
        totals = quote_mutations.compute(q, mine)
        assert [line.net for line in mine] == list(totals.line_nets)
        assert (q.subtotal, q.discount_amount, q.net_amount, q.vat_amount, q.total) == (
            totals.subtotal, totals.discount_amount, totals.net_amount, totals.vat_amount, totals.total)
        assert q.total > Decimal(0) and q.version == 1
        assert quote_mutations.NUMBER.fullmatch(q.number) and f"-{local_code}-" not in q.number
    assert len({(q.number, q.revision) for q in quotes}) == len(quotes)


def test_the_demo_quotes_approvals_locked_rates_and_requirements_are_the_cores(store):
    from decimal import Decimal

    from desktop import approval_policy
    from desktop.fx.calendar import is_trading_day
    from desktop.models import Customer, User
    from desktop.mutations import quotes as quote_mutations
    from desktop.mutations import rates as rate_mutations
    from desktop.permissions import can_see_customer

    demo.seed_demo(store)
    quotes, _lines, approvals, rates = _demo_quotes(store)
    # the rate history: trading days of the last three months, 4 places, around 7.1-7.2
    days = [date.fromisoformat(r.rate_date) for r in rates]
    assert len(days) >= 55 and all(is_trading_day(d) for d in days) and len(set(days)) == len(days)
    assert (timeutil.utcnow().date() - days[0]).days >= 85
    for r in rates:  # stored exactly, so 7.1500 reads back as 7.15
        assert (r.source, r.pair) == ("cfets", "USD/CNY") and 7.1 <= r.rate <= 7.2
        assert r.rate == r.rate.quantize(Decimal("0.0001"))
    by_id = {q.id: q for q in quotes}
    newer_of = {q.supersedes_id: q for q in quotes if q.supersedes_id}
    with store.read() as s:
        users = {u.id: u for u in s.scalars(select(User))}
        for q in quotes:
            mine = approvals.get(q.id, [])
            if q.status == "draft":
                assert (mine, q.approval_round, q.required, q.locked_rate) == ([], 0, [], None)
                continue
            # submitted: the rate locked is the one the core would lock then, for USD quotes only
            latest = rate_mutations.latest(s, "USD/CNY", rate_mutations.business_date(q.submitted_at))
            locked = (q.locked_rate, q.locked_rate_date, q.locked_rate_source)
            assert locked == ((latest.rate, latest.rate_date, latest.source) if q.currency == "USD"
                              else (None, None, None)), q.number
            assert q.policy_id is not None and q.approval_round == 1
            decided = q.status in ("approved", "sent", "rejected", "superseded")
            at = q.decided_at if decided else q.submitted_at
            assert q.required == [r.to_dict() for r in quote_mutations.requirements(s, q, at)], q.number
            # every decision by someone who may make it: the role asked for, seen customer, never the owner
            customer = s.get(Customer, q.customer_id) or s.scalars(select(Customer).where(
                Customer.id == q.customer_id)).one()
            for a in mine:
                approver = users[a.approver_id]
                assert a.approver_id != q.owner_id and approver.role == a.role
                assert can_see_customer(s, approver, customer)
                assert a.round == 1 and a.quote_version == q.version
                # what the round required at the decision, as approval.decide keeps it (quotes.in_force)
                assert a.role in {r["role"] for r in a.required} and {
                    (r["rule"], r["role"]) for r in a.required} >= {(r["rule"], r["role"]) for r in
                                                                    (q.required if not decided else [])}
            assert len({a.role for a in mine}) == len(mine)
            needed = approval_policy.roles(approval_policy.Requirement(**r) for r in q.required)
            decisions = [a.decision for a in mine]
            if q.status == "awaiting_approval":
                assert "reject" not in decisions and not set(needed) <= {a.role for a in mine}
            elif q.status == "rejected":
                assert decisions[-1] == "reject" and decisions.count("reject") == 1
                assert mine[-1].comment.strip() and mine[-1].decided_at == q.decided_at
            else:
                assert set(decisions) == {"approve"} and set(needed) == {a.role for a in mine}
                assert mine[-1].decided_at == q.decided_at
            if q.status == "superseded":
                newer = newer_of[q.id]
                assert (newer.number, newer.revision, newer.customer_id) == (q.number, q.revision + 1, q.customer_id)
            if q.supersedes_id:
                assert by_id[q.supersedes_id].status == "superseded"


def test_the_demo_quotes_go_on_through_the_real_mutations(store):
    """Finance decides on a quote waiting for it, a rep revises an approved one and makes a new one:
    the snapshot's rows are what the mutations expect (and the integrity check after the test holds)."""
    from desktop.models import User
    from desktop.mutations import quotes as quote_mutations
    from tests.conftest import run

    demo.seed_demo(store)
    quotes, _lines, approvals, _rates = _demo_quotes(store)
    with store.read() as s:
        finance = s.scalars(select(User.id).where(User.role == "finance")).one()
        waiting = [q for q in quotes if q.status == "awaiting_approval" and "finance" in
                   quote_mutations.pending_roles(s, q, timeutil.utcnow())]
    assert waiting
    run(store, finance, "approval.decide", quote_id=waiting[0].id, quote_version=waiting[0].version,
        decision="approve", comment="同意")
    approved = next(q for q in quotes if q.status == "approved")
    revised = run(store, approved.owner_id, "quote.revise", source_id=approved.id).changes.entity_id
    new = run(store, approved.owner_id, "quote.create", customer_id=approved.customer_id).changes.entity_id
    with store.read() as s:
        from desktop.models import Quote

        assert s.scalars(select(Quote.revision).where(Quote.id == revised)).one() == approved.revision + 1
        assert s.scalars(select(Quote.number).where(Quote.id == new)).one().endswith("-D1-0001")


def test_command_line_generator_makes_quotes(tmp_path: Path):
    out = subprocess.run([sys.executable, "-m", "desktop.demo", "--data-dir", str(tmp_path), "--customers", "60",
                          "--touchpoints", "300", "--evidence", "0", "--quotes", "40"],
                         capture_output=True, text=True, check=True, timeout=120)
    assert "quotes=40" in out.stdout and "superseded=" in out.stdout
    with sqlite3.connect(tmp_path / "fieldmark.db") as db:
        assert db.execute("SELECT count(*) FROM quotes").fetchone()[0] == 40
        assert db.execute("SELECT count(*) FROM quote_lines WHERE quote_id NOT IN (SELECT id FROM quotes)"
                          ).fetchone()[0] == 0
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
