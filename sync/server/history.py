"""The change history of customers and contacts, and the overwrites in it.

Every applied create, update and removal of a customer or contact leaves one ``field_changes`` row
per field it changed (old -> new; one row with no field for a creation), with who made it, the
server's receipt time and the device's time. The rows travel to the devices that may see the
customer like any other row (they hang off it), so the history reads offline.

Fields still take the last write in server order. What is added is knowing when that write replaced
a value its author never saw: a mutation carries ``base_version``, the row's version on the device
when the change was made. A field whose latest recorded change came from another device after that
version was overwritten unseen; the new row names who lost (``overwrote_user_id``) and their change
(``overwrote_mutation_id``), the push result of the later writer lists the fields, and the earlier
writer's device turns it into a sync problem at its next pull (desktop.remote).

A device with several changes of one row waiting numbers them on top of each other (base 3, 4, 5,
while the server may have other versions in between): each row keeps the version its author really
saw (``seen_version``), and a change numbered just above the device's own last change of the row
(base - 1) inherits what that one had seen. Each check is one lookup by index, made once per row (and
field) and batch - the batch remembers what it recorded - and the batch's rows are inserted in one
statement at its end, so a queue of thousands of changes to one row costs the same per change as one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, select
from sqlalchemy.orm import Session

from desktop.ids import uuid7
from desktop.models import Contact, Customer, FieldChange
from desktop.mutations.common import by_id
from desktop.mutations.registry import Actor, Changes

CREATES = {"customer.create": "customers", "contact.add": "contacts"}
UPDATES = {"customer.update": "customers", "contact.update": "contacts", "contact.remove": "contacts"}
MODELS = {"customers": Customer, "contacts": Contact}
BATCH = "fieldmark.history"  # session.info key of a push batch's Batch
CHUNK = 500  # row ids per IN (...)


@dataclass
class Batch:
    """What a push batch recorded so far: rows to insert, and the latest ones per lookup key."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    # (table, row id, device id) -> (base_version, seen_version) of that device's latest change of the row
    by_device: dict[tuple[str, str, str], tuple[int | None, int | None] | None] = field(default_factory=dict)
    # (table, row id, field) -> the field's latest change: (row_version, device_id, user_id, mutation_id)
    by_field: dict[tuple[str, str, str], tuple[int, str, str, str] | None] = field(default_factory=dict)
    loaded: set[str] = field(default_factory=set)  # row ids whose latest changes were all read (preload)


def _batch(session: Session) -> Batch:
    batch = session.info.get(BATCH)
    if batch is None:
        batch = session.info[BATCH] = Batch()
    return batch


def preload(session: Session, items: list[dict[str, Any]]) -> None:
    """Read, for the rows the batch's updates are about, their latest change per field and per device:
    two queries per 500 rows, instead of two per update."""
    ids = sorted({i["args"]["id"] for i in items if i.get("name") in UPDATES and isinstance(i.get("args"), dict)
                  and isinstance(i["args"].get("id"), str)})
    batch = _batch(session)
    fc = FieldChange
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        by_field = select(fc.table_name, fc.row_id, fc.field, func.max(fc.row_version).label("v")) \
            .where(fc.row_id.in_(chunk), fc.field.is_not(None)).group_by(fc.table_name, fc.row_id, fc.field).subquery()
        for table, row_id, name, version, device, user, mutation in session.execute(
                select(fc.table_name, fc.row_id, fc.field, fc.row_version, fc.device_id, fc.user_id, fc.mutation_id)
                .join(by_field, and_(fc.table_name == by_field.c.table_name, fc.row_id == by_field.c.row_id,
                                     fc.field == by_field.c.field, fc.row_version == by_field.c.v))):
            batch.by_field[(table, row_id, name)] = (version, device, user, mutation)
        by_device = select(fc.table_name, fc.row_id, fc.device_id, func.max(fc.row_version).label("v")) \
            .where(fc.row_id.in_(chunk)).group_by(fc.table_name, fc.row_id, fc.device_id).subquery()
        for table, row_id, device, base, seen in session.execute(
                select(fc.table_name, fc.row_id, fc.device_id, fc.base_version, fc.seen_version)
                .join(by_device, and_(fc.table_name == by_device.c.table_name, fc.row_id == by_device.c.row_id,
                                      fc.device_id == by_device.c.device_id, fc.row_version == by_device.c.v))):
            batch.by_device[(table, row_id, device)] = (base, seen)
        batch.loaded.update(chunk)


def record(session: Session, actor: Actor, item: dict[str, Any], outcome: Changes, received: datetime,
           client_time: datetime) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The history rows of one applied mutation (not yet kept: :func:`keep` them once the mutation is
    sure to stay) and the overwrites among them, as the push result says them: ``[{field, user_id,
    old, new}]``."""
    name = item["name"]
    table = CREATES.get(name) or UPDATES.get(name)
    if table is None:
        return [], []
    row = by_id(session, MODELS[table], outcome.entity_id)
    if row is None:
        return [], []
    base = item.get("base_version")
    base = base if isinstance(base, int) and not isinstance(base, bool) else None
    common = {"customer_id": row.id if table == "customers" else row.customer_id, "table_name": table,
              "row_id": row.id, "row_version": row.version, "base_version": base, "user_id": actor.id,
              "device_id": actor.device_id, "mutation_id": str(item["mutation_id"])[:36], "changed_at": received,
              "client_time": client_time, "version": 1, "seen_version": None, "overwrote_user_id": None,
              "overwrote_mutation_id": None}
    if name in CREATES:
        return [{**common, "id": uuid7(), "field": None, "old_value": None, "new_value": row.name}], []
    if name == "contact.remove":
        return [{**common, "id": uuid7(), "field": "deleted_at", "old_value": None, "new_value": row.name}], []
    seen = _seen(session, table, row.id, actor.device_id, base) if base is not None else None
    made, overwrites = [], []
    for name_, (before, after) in outcome.diff.items():
        lost = _overwritten(session, table, row.id, actor.device_id, name_, seen) if seen is not None else None
        made.append({**common, "id": uuid7(), "field": name_, "old_value": before, "new_value": after,
                     "seen_version": seen, "overwrote_user_id": lost[2] if lost else None,
                     "overwrote_mutation_id": lost[3] if lost else None})
        if lost:
            overwrites.append({"field": name_, "user_id": lost[2], "old": before, "new": after})
    return made, overwrites


def log_entries(made: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Change-log rows announcing the history rows (scoped by their customer, like the rest of it)."""
    return [{"table_name": "field_changes", "row_id": r["id"], "committed_at": r["changed_at"],
             "customer_id": r["customer_id"]} for r in made]


def keep(session: Session, made: list[dict[str, Any]]) -> None:
    """The mutation stays: its rows are the batch's latest for the changes after it."""
    batch = _batch(session)
    for r in made:
        batch.rows.append(r)
        batch.by_device[(r["table_name"], r["row_id"], r["device_id"])] = (r["base_version"], r["seen_version"])
        if r["field"] is not None:
            batch.by_field[(r["table_name"], r["row_id"], r["field"])] = (
                r["row_version"], r["device_id"], r["user_id"], r["mutation_id"])


def write(session: Session) -> None:
    """Insert the batch's history rows in one statement (inside its transaction, at its end)."""
    batch = session.info.pop(BATCH, None)
    if batch is not None and batch.rows:
        session.execute(insert(FieldChange), batch.rows)


def _seen(session: Session, table: str, row_id: str, device_id: str, base: int) -> int:
    """The server's version of the row the author had seen: ``base``, or, when the device's own last
    change of the row was made just beneath it (base - 1, both waiting there), what that one had seen."""
    batch, key = _batch(session), (table, row_id, device_id)
    if key not in batch.by_device and row_id not in batch.loaded:
        found = session.execute(select(FieldChange.base_version, FieldChange.seen_version).where(
            FieldChange.table_name == table, FieldChange.row_id == row_id, FieldChange.device_id == device_id)
            .order_by(FieldChange.row_version.desc()).limit(1)).first()
        batch.by_device[key] = (found[0], found[1]) if found is not None else None
    previous = batch.by_device.get(key)
    if previous is not None and previous[0] == base - 1 and previous[1] is not None:
        return int(previous[1])
    return base


def _overwritten(session: Session, table: str, row_id: str, device_id: str, name: str,
                 seen: int) -> tuple[int, str, str, str] | None:
    """The field's latest recorded change (row_version, device, user, mutation), if another device made
    it after version ``seen``."""
    batch, key = _batch(session), (table, row_id, name)
    if key not in batch.by_field and row_id not in batch.loaded:
        found = session.execute(select(FieldChange.row_version, FieldChange.device_id, FieldChange.user_id,
                                       FieldChange.mutation_id).where(
            FieldChange.table_name == table, FieldChange.row_id == row_id, FieldChange.field == name)
            .order_by(FieldChange.row_version.desc()).limit(1)).first()
        batch.by_field[key] = tuple(found) if found is not None else None  # type: ignore[assignment]
    latest = batch.by_field.get(key)
    return latest if latest is not None and latest[0] > seen and latest[1] != device_id else None
