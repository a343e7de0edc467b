"""Changes of this device's user that someone else's edit replaced unseen, as sync problems.

The server applies fields in its own order: the last write wins. When that write was made on a version
older than the value it replaced (its author never saw it), the server records who lost which value
(``field_changes.overwrote_mutation_id``, sync.server.history). Those rows arrive with the pull like
the rest of a customer's history; one naming a change made here opens a problem of source
"overwritten" on that change's outbox entry: the user's value (the mutation's args, only the
overwritten fields) beside the row as it now is, and a reason naming who overwrote it and when. The
user can let it go, or apply their value again (desktop.remote.send_again: a new update of those
fields, made now, on top of the current row).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop import rows, timeutil
from desktop.models import OutboxEntry, SyncProblem, User

SOURCE = "overwritten"
APPLIED = "applied"


def note(session: Session, records: list[dict[str, Any]]) -> list[SyncProblem]:
    """Open (or add to) an overwritten problem for each record that names a change made here; records
    already on this device before the page are passed over by the caller. Returns the problems."""
    mine = [r for r in records if r.get("overwrote_mutation_id") and r.get("field")]
    if not mine:
        return []
    entries = {e.mutation_id: e for e in session.scalars(select(OutboxEntry).where(
        OutboxEntry.mutation_id.in_({r["overwrote_mutation_id"] for r in mine}), OutboxEntry.status == APPLIED))}
    out: list[SyncProblem] = []
    for record in sorted(mine, key=lambda r: (str(r.get("changed_at")), str(r.get("id")))):
        entry = entries.get(record["overwrote_mutation_id"])
        if entry is None or entry.actor_id != record.get("overwrote_user_id"):
            continue
        problem = session.scalars(select(SyncProblem).where(
            SyncProblem.outbox_seq == entry.seq, SyncProblem.source == SOURCE,
            SyncProblem.resolved_at.is_(None))).first()
        if problem is None:
            problem = SyncProblem(outbox_seq=entry.seq, mutation=entry.name, source=SOURCE, code=SOURCE,
                                  args={"id": record["row_id"], "at": entry.args.get("at")},
                                  entity=record["table_name"], entity_id=record["row_id"],
                                  created_at=timeutil.utcnow(), resolved_at=None)
            session.add(problem)
        field = str(record["field"])
        problem.args = {**problem.args, field: _value(record.get("old_value"))}
        problem.field = problem.field or field[:64]
        problem.server_row = rows.read(session.connection(), record["table_name"], record["row_id"])
        who = session.get(User, record.get("user_id")) if record.get("user_id") else None
        name = who.display_name if who is not None else "?"
        when = _local(record.get("changed_at"))
        problem.message_zh = (f"您的修改被 {name} 于 {when} 覆盖（{name} 修改时没有看到您的值）。"
                              "您的值在下方；可重新应用，或放弃。")
        problem.message_en = (f"Your change was overwritten by {name} at {when} ({name} had not seen your value). "
                              "Your value is below: apply it again, or discard it.")
        out.append(problem)
    return out


def _value(stored: Any) -> Any:
    """A field's value as the record keeps it (JSON text on this device) in args form."""
    import json

    if isinstance(stored, str):
        try:
            return json.loads(stored)
        except ValueError:
            return stored
    return stored


def _local(stored: Any) -> str:
    try:
        return timeutil.from_text(str(stored)).astimezone().strftime("%Y-%m-%d %H:%M")
    except (ValueError, OverflowError):
        return str(stored or "")
