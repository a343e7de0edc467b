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
(base - 1) inherits what that one had seen. Each check is a lookup by index: a queue of thousands of
changes to one row costs the same per change as one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop.ids import uuid7
from desktop.models import Contact, Customer, FieldChange
from desktop.mutations.common import by_id
from desktop.mutations.registry import Actor, Changes

CREATES = {"customer.create": "customers", "contact.add": "contacts"}
UPDATES = {"customer.update": "customers", "contact.update": "contacts", "contact.remove": "contacts"}
MODELS = {"customers": Customer, "contacts": Contact}


def record(session: Session, actor: Actor, item: dict[str, Any], outcome: Changes, received: datetime,
           client_time: datetime) -> tuple[list[FieldChange], list[dict[str, Any]]]:
    """Add the history rows of one applied mutation; returns them and the overwrites among them, as the
    push result says them: ``[{field, user_id, old, new}]``."""
    name = item["name"]
    table = CREATES.get(name) or UPDATES.get(name)
    if table is None:
        return [], []
    row = by_id(session, MODELS[table], outcome.entity_id)
    if row is None:
        return [], []
    customer_id = row.id if table == "customers" else row.customer_id
    base = item.get("base_version")
    base = base if isinstance(base, int) and not isinstance(base, bool) else None
    common = {"customer_id": customer_id, "table_name": table, "row_id": row.id, "row_version": row.version,
              "base_version": base, "user_id": actor.id, "device_id": actor.device_id,
              "mutation_id": str(item["mutation_id"])[:36], "changed_at": received, "client_time": client_time,
              "version": 1}
    if name in CREATES:
        made = [FieldChange(id=uuid7(), field=None, old_value=None, new_value=row.name, **common)]
    elif name == "contact.remove":
        made = [FieldChange(id=uuid7(), field="deleted_at", old_value=None, new_value=row.name, **common)]
    else:
        seen = _seen(session, table, row.id, actor.device_id, base) if base is not None else None
        made = []
        for field, (before, after) in outcome.diff.items():
            lost = _overwritten(session, table, row.id, actor.device_id, field, seen) if seen is not None else None
            made.append(FieldChange(id=uuid7(), field=field, old_value=before, new_value=after, seen_version=seen,
                                    overwrote_user_id=lost.user_id if lost else None,
                                    overwrote_mutation_id=lost.mutation_id if lost else None, **common))
    session.add_all(made)
    session.flush()
    overwrites = [{"field": c.field, "user_id": c.overwrote_user_id, "old": c.old_value, "new": c.new_value}
                  for c in made if c.overwrote_user_id is not None]
    return made, overwrites


def _seen(session: Session, table: str, row_id: str, device_id: str, base: int) -> int:
    """The server's version of the row the author had seen: ``base``, or, when the device's own last
    change of the row was made just beneath it (base - 1, both waiting there), what that one had seen."""
    previous = session.execute(select(FieldChange.base_version, FieldChange.seen_version).where(
        FieldChange.table_name == table, FieldChange.row_id == row_id, FieldChange.device_id == device_id)
        .order_by(FieldChange.row_version.desc()).limit(1)).first()
    if previous is not None and previous.base_version == base - 1 and previous.seen_version is not None:
        return int(previous.seen_version)
    return base


def _overwritten(session: Session, table: str, row_id: str, device_id: str, field: str,
                 seen: int) -> FieldChange | None:
    """The field's latest recorded change, if another device made it after version ``seen``."""
    latest = session.scalars(select(FieldChange).where(
        FieldChange.table_name == table, FieldChange.row_id == row_id, FieldChange.field == field,
        FieldChange.row_version > seen).order_by(FieldChange.row_version.desc()).limit(1)).first()
    return latest if latest is not None and latest.device_id != device_id else None
