"""The audit log: append-only, each entry's hash covering its content and the previous entry's hash.

Editing, deleting or inserting an entry anywhere but at the end breaks the chain from that entry
on, and :func:`verify_chain` reports the first entry that no longer fits.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop import timeutil
from desktop.models import AuditEntry

GENESIS = "0" * 64


def entry_hash(seq: int, at: datetime, actor_id: str, device_id: str, action: str, entity: str,
               entity_id: str, detail: dict[str, Any], prev_hash: str) -> str:
    """The hash of one entry, over a canonical JSON form of every field and the previous hash."""
    body = json.dumps(
        [seq, timeutil.to_text(at), actor_id, device_id, action, entity, entity_id, detail, prev_hash],
        ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def append(session: Session, *, at: datetime, actor_id: str, device_id: str, action: str, entity: str,
           entity_id: str, detail: dict[str, Any]) -> AuditEntry:
    """Append one entry after the current last one (call inside the writing transaction)."""
    # Entries appended earlier in this transaction may not be flushed yet (sessions here do not
    # autoflush): the newest of those comes after anything in the table.
    unflushed = [obj for obj in session.new if isinstance(obj, AuditEntry)]
    if unflushed:
        newest = max(unflushed, key=lambda e: e.seq)
        last: Any = (newest.seq, newest.hash)
    else:
        last = session.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    entry = AuditEntry(seq=seq, at=at, actor_id=actor_id, device_id=device_id, action=action, entity=entity,
                       entity_id=entity_id, detail=detail, prev_hash=prev,
                       hash=entry_hash(seq, at, actor_id, device_id, action, entity, entity_id, detail, prev))
    session.add(entry)
    return entry


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries: int
    broken_at: int | None = None  # seq of the first entry that does not fit
    reason: str = ""


def verify_chain(session: Session) -> ChainReport:
    """Walk the whole log and check every link and every hash."""
    prev = GENESIS
    expected_seq = 1
    count = 0
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).yield_per(1000):
        if entry.seq != expected_seq:
            return ChainReport(False, count, entry.seq, f"entry {expected_seq} is missing")
        if entry.prev_hash != prev:
            return ChainReport(False, count, entry.seq, "link to the previous entry is broken")
        actual = entry_hash(entry.seq, entry.at, entry.actor_id, entry.device_id, entry.action, entry.entity,
                            entry.entity_id, entry.detail, entry.prev_hash)
        if actual != entry.hash:
            return ChainReport(False, count, entry.seq, "content does not match its hash (edited)")
        prev = entry.hash
        expected_seq += 1
        count += 1
    return ChainReport(True, count)
