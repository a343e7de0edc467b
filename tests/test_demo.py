"""The demo organisation and the scale generator."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from datetime import timedelta, timezone
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
