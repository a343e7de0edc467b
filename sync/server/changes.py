"""The change log: what changed, in commit order, and which pages of it each user may read."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from desktop import permissions, timeutil
from desktop.models import Attachment, Base, Contact, Customer, Touchpoint, User
from sync import protocol
from sync.server.models import ChangeLogEntry

MODELS: dict[str, type[Base]] = {"users": User, "customers": Customer, "contacts": Contact,
                                  "touchpoints": Touchpoint, "attachments": Attachment}
LOCAL_ONLY = {"rid"}  # the desktop numbers these itself


def _customer_of(session: Session, table: str, row: Any) -> str | None:
    if table == "customers":
        return row.id
    if table in ("contacts", "touchpoints"):
        return row.customer_id
    if table == "attachments":
        touchpoint = session.scalars(select(Touchpoint).where(Touchpoint.id == row.touchpoint_id)).first()
        return touchpoint.customer_id if touchpoint else None
    return None


def _get(session: Session, table: str, row_id: str) -> Any:
    model = MODELS[table]
    for obj in session.identity_map.values():  # just written by the mutation: no round trip needed
        if type(obj) is model and obj.id == row_id:
            return obj
    return session.scalars(select(model).where(model.id == row_id)).first()  # type: ignore[attr-defined]


def entries(session: Session, table: str, row_ids: list[str]) -> list[dict[str, Any]]:
    """Change-log rows for the given rows, to insert (in order) inside the writing transaction."""
    now = timeutil.utcnow()
    out = []
    for row_id in row_ids:
        row = _get(session, table, row_id)
        out.append({"table_name": table, "row_id": row_id, "committed_at": now,
                    "customer_id": _customer_of(session, table, row) if row is not None else None})
    return out


def record(session: Session, table: str, row_ids: list[str]) -> None:
    """Append the given rows to the change log now (call inside the writing transaction)."""
    write(session, entries(session, table, row_ids))


def write(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert change-log rows in one statement; their sequence follows the list's order."""
    if rows:
        session.execute(insert(ChangeLogEntry), rows)


def customer_tree(session: Session, customer_id: str) -> list[dict[str, Any]]:
    """Entries re-announcing a customer's contacts, touchpoints and attachments (after it changed
    hands, the new owner has never received them)."""
    out = []
    for model, table in ((Contact, "contacts"), (Touchpoint, "touchpoints")):
        out += entries(session, table, list(session.scalars(select(model.id).where(model.customer_id == customer_id))))
    touchpoints = select(Touchpoint.id).where(Touchpoint.customer_id == customer_id)
    out += entries(session, "attachments",
                   list(session.scalars(select(Attachment.id).where(Attachment.touchpoint_id.in_(touchpoints)))))
    return out


REFERENCES = {
    "users": (("manager_id", "users"),),
    "customers": (("owner_id", "users"),),
    "contacts": (("customer_id", "customers"),),
    "touchpoints": (("user_id", "users"), ("customer_id", "customers"), ("contact_id", "contacts")),
    "attachments": (("touchpoint_id", "touchpoints"),),
}


def _parents(session: Session, table: str, row: Any) -> list[tuple[str, Any]]:
    """The rows this row refers to (all of them visible whenever the row itself is)."""
    out = []
    for column, parent_table in REFERENCES[table]:
        parent_id = getattr(row, column)
        if parent_id is not None:
            parent = _get(session, parent_table, parent_id)
            if parent is not None:
                out.append((parent_table, parent))
    return out


def serialize(row: Any, *, with_secret: bool = False) -> dict[str, Any]:
    """A row's columns in the desktop's storage form (times as UTC text, money as text)."""
    out: dict[str, Any] = {}
    for column in row.__table__.columns:
        if column.name in LOCAL_ONLY or (column.name == "password_hash" and not with_secret):
            continue
        value = getattr(row, column.key)
        if isinstance(value, datetime):
            value = timeutil.to_text(value)
        elif isinstance(value, Decimal):
            value = str(value)
        out[column.name] = value
    return out


def page(session: Session, user: User, cursor: int, limit: int) -> tuple[list[dict[str, Any]], int, bool]:
    """Changes after ``cursor`` that the user may see, the next cursor and whether more follow.

    The cursor advances over every entry read, visible or not, and never past an entry not read.
    Several entries for one row in a page collapse to its current state. A customer the user may no
    longer see travels as "forget" (the desktop removes it and what hangs off it).
    """
    entries = list(session.scalars(select(ChangeLogEntry).where(ChangeLogEntry.seq > cursor)
                                   .order_by(ChangeLogEntry.seq).limit(limit + 1)))
    has_more = len(entries) > limit
    entries = entries[:limit]
    visible: dict[str, bool] = {}

    def may_see(customer_id: str) -> bool:
        if customer_id not in visible:
            customer = _get(session, "customers", customer_id)
            visible[customer_id] = customer is not None and permissions.can_see_customer(session, user, customer)
        return visible[customer_id]

    latest: dict[tuple[str, str], int] = {}
    for entry in entries:
        latest[(entry.table_name, entry.row_id)] = entry.seq
    changes: list[dict[str, Any]] = []
    sent: set[tuple[str, str]] = set()

    def upsert(seq: int, table: str, row: Any) -> None:
        # A row is sent as it is now, which may name parents (a new owner, a contact) the device has
        # never received: they go first, in the same page, so the page applies on its own.
        for parent_table, parent in _parents(session, table, row):
            if (parent_table, parent.id) not in sent:
                upsert(seq, parent_table, parent)
        if (table, row.id) in sent:
            return
        sent.add((table, row.id))
        changes.append({"seq": seq, "table": table, "id": row.id, "op": protocol.UPSERT, "version": row.version,
                        "row": serialize(row, with_secret=row.id == user.id)})

    for entry in entries:
        key = (entry.table_name, entry.row_id)
        if latest[key] != entry.seq:
            continue
        row = _get(session, entry.table_name, entry.row_id)
        if entry.customer_id is not None and not may_see(entry.customer_id):
            if entry.table_name == "customers":
                changes.append({"seq": entry.seq, "table": "customers", "id": entry.row_id,
                                "op": protocol.FORGET, "version": None, "row": None})
            continue
        if row is None:
            changes.append({"seq": entry.seq, "table": entry.table_name, "id": entry.row_id,
                            "op": protocol.FORGET, "version": None, "row": None})
            continue
        upsert(entry.seq, entry.table_name, row)
    next_cursor = entries[-1].seq if entries else cursor
    return changes, next_cursor, has_more
