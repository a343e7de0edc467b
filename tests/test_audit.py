"""The audit log: hash-chained, append-only in the database, and any tampering is detected."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import timedelta
from itertools import pairwise

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from desktop import audit, mutations, timeutil
from desktop.models import AuditEntry
from tests.conftest import make_customer, run


def _scenario(store, org) -> list[str]:
    """Run real mutations (including a multi-mutation batch) and return their names in order."""
    rep, manager = org["rep"], org["manager"]
    customer = make_customer(store, rep)
    contact = run(store, rep, "contact.add", customer_id=customer, name="王伟",
                  decision_role="purchasing").changes.entity_id
    run(store, rep, "touchpoint.log", customer_id=customer, contact_id=contact, channel="meeting",
        occurred_at=timeutil.to_text(timeutil.utcnow() - timedelta(hours=1)), summary="现场拜访，拍摄设备铭牌照片")
    run(store, manager, "customer.update", id=customer, segment="key_account")
    mutations.run_many(store, rep, [
        ("contact.add", {"customer_id": customer, "name": "李娜", "decision_role": "technical"}),
        ("contact.update", {"id": contact, "title": "采购经理"}),
        ("touchpoint.log", {"customer_id": customer, "channel": "call", "summary": "电话确认报价",
                            "occurred_at": timeutil.to_text(timeutil.utcnow())}),
    ])
    return ["customer.create", "contact.add", "touchpoint.log", "customer.update",
            "contact.add", "contact.update", "touchpoint.log"]


def _entries(store) -> list[AuditEntry]:
    with store.read() as s:
        return list(s.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def _verify(store) -> audit.ChainReport:
    with store.read() as s:
        return audit.verify_chain(s)


def _raw(store) -> closing[sqlite3.Connection]:
    return closing(sqlite3.connect(store.path))


def _tamper(store, *statements: tuple[str, tuple]) -> None:
    """Change the file behind the app's back, as someone holding it could: drop the guards, then edit."""
    with _raw(store) as conn:
        conn.execute("DROP TRIGGER audit_log_no_update")
        conn.execute("DROP TRIGGER audit_log_no_delete")
        for sql, params in statements:
            assert conn.execute(sql, params).rowcount == 1
        conn.commit()


def test_entries_form_a_hash_chain(store, org):
    """Each real mutation appends one entry; each entry links to the previous one's hash, the first to GENESIS."""
    names = _scenario(store, org)
    entries = _entries(store)

    assert [e.action for e in entries] == names
    assert [e.seq for e in entries] == list(range(1, len(names) + 1))
    assert [e.detail["outbox_seq"] for e in entries] == [e.seq for e in entries]
    assert entries[0].prev_hash == audit.GENESIS
    for previous, entry in pairwise(entries):
        assert entry.prev_hash == previous.hash
    for entry in entries:
        assert entry.hash == audit.entry_hash(entry.seq, entry.at, entry.actor_id, entry.device_id, entry.action,
                                              entry.entity, entry.entity_id, entry.detail, entry.prev_hash)
    assert len({e.hash for e in entries}) == len(entries)
    assert entries[3].actor_id == org["manager"] and entries[3].detail["diff"] == {
        "segment": ["standard", "key_account"]}

    assert _verify(store) == audit.ChainReport(True, len(names))


def test_the_database_refuses_to_update_or_delete_entries(store, org):
    """Triggers make audit_log append-only, for any connection: a raw one, and even a sanctioned writer."""
    _scenario(store, org)
    before = [(e.seq, e.hash, e.detail) for e in _entries(store)]

    with _raw(store) as conn:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("UPDATE audit_log SET detail = '{}' WHERE seq = 2")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM audit_log WHERE seq = 2")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM audit_log")
        conn.rollback()
    with pytest.raises(IntegrityError, match="append-only"):
        with store.writer("mutation") as s:
            s.execute(text("UPDATE audit_log SET actor_id = :who"), {"who": org["admin"]})

    assert [(e.seq, e.hash, e.detail) for e in _entries(store)] == before
    assert _verify(store).ok


@pytest.mark.tampers
@pytest.mark.parametrize("column, value", [
    ("detail", json.dumps({"outbox_seq": 3, "rows": []})),
    ("actor_id", "someone-else"),
    ("at", "2020-01-01T00:00:00.000000Z"),
])
def test_an_edited_entry_is_detected(store, org, column, value):
    """Changing any field of an entry (here entry 3) breaks its own hash: reported at that seq as edited."""
    _scenario(store, org)
    assert _verify(store).ok
    _tamper(store, (f"UPDATE audit_log SET {column} = ? WHERE seq = 3", (value,)))

    report = _verify(store)
    assert not report.ok
    assert report.broken_at == 3 and report.entries == 2
    assert "edited" in report.reason


@pytest.mark.tampers
def test_a_deleted_entry_is_detected(store, org):
    """Removing a middle entry leaves a gap: the chain breaks at the entry after it."""
    total = len(_scenario(store, org))
    _tamper(store, ("DELETE FROM audit_log WHERE seq = 4", ()))

    with store.read() as s:
        assert s.scalar(select(AuditEntry.seq).where(AuditEntry.seq > 3).order_by(AuditEntry.seq)) == 5
    report = _verify(store)
    assert (report.ok, report.broken_at, report.entries) == (False, 5, 3)
    assert "entry 4 is missing" in report.reason
    assert total > 5  # the deleted entry was in the middle, not the last


@pytest.mark.tampers
def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(store, org):
    """Re-hashing an edited entry makes it self-consistent, but the next entry still points at the old hash."""
    _scenario(store, org)
    original = _entries(store)[1]  # seq 2
    forged_detail = dict(original.detail, forged=True)
    forged_hash = audit.entry_hash(original.seq, original.at, original.actor_id, original.device_id, original.action,
                                   original.entity, original.entity_id, forged_detail, original.prev_hash)
    _tamper(store, ("UPDATE audit_log SET detail = ?, hash = ? WHERE seq = 2",
                    (json.dumps(forged_detail), forged_hash)))

    forged = _entries(store)[1]
    assert forged.detail["forged"] is True and forged.hash == forged_hash != original.hash
    report = _verify(store)
    assert (report.ok, report.broken_at, report.entries) == (False, 3, 2)  # entry 2 itself passes
    assert "link" in report.reason and "broken" in report.reason


def test_several_entries_appended_in_one_transaction_chain_in_order(store, org):
    """Two server rejections answered in one push are two entries; nothing is flushed between them."""
    before = len(_entries(store))
    with store.writer("sync") as session:
        for n in (1, 2, 3):
            audit.append(session, at=timeutil.utcnow(), actor_id=org["rep"], device_id=store.device()[0],
                         action="sync.rejected", entity="customers", entity_id=f"c{n}", detail={"outbox_seq": n})
    entries = _entries(store)
    assert [e.entity_id for e in entries[before:]] == ["c1", "c2", "c3"]
    with store.read() as session:
        assert audit.verify_chain(session).ok
