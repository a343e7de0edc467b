"""The change log: what changed, in commit order, and which pages of it each user may read."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, func, insert, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import True_

from desktop import permissions, timeutil
from desktop.models import (
    Approval,
    ApprovalPolicy,
    Attachment,
    Base,
    CaptureRule,
    Contact,
    Customer,
    ExchangeRate,
    FieldChange,
    Product,
    Quote,
    QuoteLine,
    Touchpoint,
    User,
)
from desktop.mutations.common import by_id
from sync import protocol
from sync.server.models import ChangeLogEntry

MODELS: dict[str, type[Base]] = {"users": User, "capture_rules": CaptureRule, "customers": Customer,
                                  "contacts": Contact, "touchpoints": Touchpoint, "attachments": Attachment,
                                  "products": Product, "exchange_rates": ExchangeRate,
                                  "approval_policies": ApprovalPolicy, "quotes": Quote, "quote_lines": QuoteLine,
                                  "approvals": Approval, "field_changes": FieldChange}
LOCAL_ONLY = {"rid"}  # the desktop numbers these itself
CHUNK = 500  # ids per IN (...) when reading a page's rows in bulk


def _customer_of(session: Session, table: str, row: Any) -> str | None:
    if table == "customers":
        return row.id
    if table in ("contacts", "touchpoints", "quotes", "field_changes"):
        return row.customer_id
    if table == "attachments":
        touchpoint = by_id(session, Touchpoint, row.touchpoint_id)
        return touchpoint.customer_id if touchpoint else None
    if table in ("quote_lines", "approvals"):
        quote = by_id(session, Quote, row.quote_id)
        return quote.customer_id if quote else None
    return None  # users, capture rules, products, rates, policies: everyone's


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
        row = by_id(session, MODELS[table], row_id)  # a row just written is held by a batch session
        out.append({"table_name": table, "row_id": row_id, "committed_at": now, "device_id": None,
                    "device_seq": None, "customer_id": _customer_of(session, table, row) if row is not None else None})
    return out


def record(session: Session, table: str, row_ids: list[str]) -> None:
    """Append the given rows to the change log now (call inside the writing transaction)."""
    write(session, entries(session, table, row_ids))


def write(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert change-log rows in one statement; their sequence follows the list's order. An entry that
    names no device (a history row, a re-announcement, an administrator's command) names none."""
    if rows:
        session.execute(insert(ChangeLogEntry), [{"device_id": None, "device_seq": None, **row} for row in rows])


def customer_tree(session: Session, customer_id: str) -> list[dict[str, Any]]:
    """Entries re-announcing a customer's contacts, touchpoints, attachments, quotes, quote lines,
    approvals and change history (after it changed hands, the new owner has never received them)."""
    # Every row found here belongs to customer_id, so the entries need no row read one by one.
    now = timeutil.utcnow()
    touchpoints = select(Touchpoint.id).where(Touchpoint.customer_id == customer_id)
    # Oldest revision first: a revision refers to the one it supersedes.
    quotes = select(Quote.id).where(Quote.customer_id == customer_id).order_by(Quote.number, Quote.revision)
    quote_ids = select(Quote.id).where(Quote.customer_id == customer_id)
    out = []
    for table, ids in (("contacts", select(Contact.id).where(Contact.customer_id == customer_id)),
                       ("touchpoints", touchpoints),
                       ("attachments", select(Attachment.id).where(Attachment.touchpoint_id.in_(touchpoints))),
                       ("quotes", quotes),
                       ("quote_lines", select(QuoteLine.id).where(QuoteLine.quote_id.in_(quote_ids))),
                       ("approvals", select(Approval.id).where(Approval.quote_id.in_(quote_ids))),
                       ("field_changes", select(FieldChange.id).where(FieldChange.customer_id == customer_id)
                        .order_by(FieldChange.changed_at, FieldChange.id))):
        out += [{"table_name": table, "row_id": row_id, "committed_at": now, "customer_id": customer_id,
                 "device_id": None, "device_seq": None} for row_id in session.scalars(ids)]
    return out


REFERENCES = {
    "users": (("manager_id", "users"),),
    "capture_rules": (("updated_by", "users"),),
    "customers": (("owner_id", "users"),),
    "contacts": (("customer_id", "customers"),),
    "touchpoints": (("user_id", "users"), ("customer_id", "customers"), ("contact_id", "contacts")),
    "attachments": (("touchpoint_id", "touchpoints"),),
    "products": (),
    "exchange_rates": (("recorded_by", "users"),),
    "approval_policies": (("updated_by", "users"),),
    "quotes": (("owner_id", "users"), ("customer_id", "customers"), ("contact_id", "contacts"),
               ("supersedes_id", "quotes")),
    "quote_lines": (("quote_id", "quotes"), ("product_id", "products")),
    "approvals": (("approver_id", "users"), ("quote_id", "quotes")),
    "field_changes": (("customer_id", "customers"), ("user_id", "users"), ("overwrote_user_id", "users")),
}


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


def stored_rows(session: Session, table: str, ids: set[str]) -> dict[str, dict[str, Any]]:
    """Rows by id in storage form, exactly as a page sends them (before a user's password hash is
    left out)."""
    return _rows(session, table, ids)


def json_as_stored(value: Any, decoded: bool) -> Any:
    """A JSON column's value as read, in the desktop's storage form (its text). ``decoded``: the driver
    hands JSON back decoded (PostgreSQL's does, a JSON string too: a str); SQLite's hands the text."""
    if value is not None and (decoded or not isinstance(value, str)):
        return json.dumps(value)
    return value


def decodes_json(conn: Any) -> bool:
    """Whether this connection's driver hands JSON columns back decoded (every one but SQLite's)."""
    return conn.dialect.name != "sqlite"


def _rows(session: Session, table: str, ids: set[str]) -> dict[str, dict[str, Any]]:
    """Rows by id in storage form, read in bulk: the stored values as they are (times and money are
    stored as the desktop's storage-form text), with no ORM object and no type conversion."""
    names = [c.name for c in MODELS[table].__table__.columns if c.name not in LOCAL_ONLY]
    json_columns = [c.name for c in MODELS[table].__table__.columns if isinstance(c.type, JSON)]
    conn = session.connection()
    mark = "?" if conn.dialect.paramstyle in ("qmark", "numeric") else "%s"
    decoded = decodes_json(conn)
    out: dict[str, dict[str, Any]] = {}
    wanted = sorted(ids)
    for start in range(0, len(wanted), CHUNK):
        chunk = tuple(wanted[start:start + CHUNK])
        found = conn.exec_driver_sql(f"SELECT {', '.join(names)} FROM {table} "
                                     f"WHERE id IN ({', '.join([mark] * len(chunk))})", chunk).fetchall()
        for values in found:
            row = dict(zip(names, values, strict=True))
            for name in json_columns:
                row[name] = json_as_stored(row[name], decoded)
            out[row["id"]] = row
    return out


def _visible(session: Session, user: User, customer_ids: set[str]) -> set[str]:
    """Which of these customers the user may see (permissions.visible_customers, in bulk). For a user
    who sees every customer there is nothing to ask: a row of a customer that no longer exists is gone
    too, and travels as "forget"."""
    condition = permissions.visible_customers(user)
    if isinstance(condition, True_):
        return set(customer_ids)
    wanted = sorted(customer_ids)
    out: set[str] = set()
    for start in range(0, len(wanted), CHUNK):
        out.update(session.scalars(select(Customer.id).where(Customer.id.in_(wanted[start:start + CHUNK]),
                                                             condition)))
    return out


def _latest(session: Session, keys: set[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, str | None]]:
    """Each row's last change-log entry, in bulk: (its seq, its scope key); rows without one are left out."""
    conn = session.connection()
    mark = "?" if conn.dialect.paramstyle in ("qmark", "numeric") else "%s"
    by_table: dict[str, list[str]] = {}
    for table, row_id in keys:
        by_table.setdefault(table, []).append(row_id)
    out: dict[tuple[str, str], tuple[int, str | None]] = {}
    for table, ids in by_table.items():
        ids.sort()
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            found = conn.exec_driver_sql(
                f"SELECT row_id, seq, customer_id FROM server_change_log WHERE table_name = {mark} "
                f"AND row_id IN ({', '.join([mark] * len(chunk))})", (table, *chunk)).fetchall()
            for row_id, seq, customer_id in found:
                if out.get((table, row_id), (0, None))[0] < seq:
                    out[(table, row_id)] = (seq, customer_id)
    return out


def page(session: Session, user: User, cursor: int, limit: int, device_id: str | None = None,
         held_through: int = 0) -> tuple[list[dict[str, Any]], int, bool]:
    """Changes after ``cursor`` that the user may see, the next cursor and whether more follow.

    The cursor advances over every entry read, visible or not, and never past an entry not read.
    Several entries for one row in a page collapse to its current state. A customer the user may no
    longer see travels as "forget" (the desktop removes it and what hangs off it).

    A row travels as it is now, which may name rows (a new owner, a contact) the device has never
    received, so the rows it refers to (REFERENCES) go just before it, in the same page: a page applies
    on its own. A parent is left out only when the device is known to hold it as it is: its last
    change-log entry is at or below ``cursor`` (the device has read past it), and what decides whether
    the user could see it then is unchanged since - no user row has changed after that entry (a user's
    role, team or territory, a customer's owner's team), nor, for a row under a customer, that
    customer. Users are seen by everyone, so a user row the device has read past is always held.

    A row whose latest entry in the page names ``device_id`` (the device asking) with a mutation at
    or below ``held_through`` (the last seq the device has made, so it still holds that mutation's
    effect) is left out: that device's own mutation wrote it, and it wrote it here with the values
    the device's run did (the digests of its push matched: sync.server.push), so the device holds it
    as it is - also as a parent. A row the server's run wrote otherwise (another rate, another policy, other rows) has an
    entry naming no device and travels as always.

    The page's rows are read in bulk, one query per table (per chunk of ids), then their parents
    level by level; nothing is read row by row.
    """
    log = ChangeLogEntry.__table__
    found_entries = session.execute(select(log.c.seq, log.c.table_name, log.c.row_id, log.c.customer_id,
                                           log.c.device_id, log.c.device_seq)
                                    .where(log.c.seq > cursor).order_by(log.c.seq).limit(limit + 1)).all()
    has_more = len(found_entries) > limit
    found_entries = found_entries[:limit]
    latest: dict[tuple[str, str], int] = {}
    own: set[tuple[str, str]] = set()  # rows the asking device holds as written by its own latest change
    for seq, table, row_id, _customer, writer, writer_seq in found_entries:
        latest[(table, row_id)] = seq
        if device_id is not None and writer == device_id and writer_seq is not None and writer_seq <= held_through:
            own.add((table, row_id))
        else:
            own.discard((table, row_id))
    entries = [(seq, table, row_id, customer) for seq, table, row_id, customer, _writer, _seq in found_entries]
    visible = _visible(session, user, {e[3] for e in entries if e[3] is not None})
    last_user_change = session.scalar(select(func.max(log.c.seq)).where(log.c.table_name == "users")) or 0

    found: dict[str, dict[str, dict[str, Any]]] = {table: {} for table in MODELS}
    held: set[tuple[str, str]] = set(own)  # rows the device holds as they are: not sent, not even as parents
    todo: dict[str, set[str]] = {}
    for seq, table, row_id, customer_id in entries:
        if latest[(table, row_id)] == seq and (customer_id is None or customer_id in visible) \
                and (table, row_id) not in own:
            todo.setdefault(table, set()).add(row_id)
    first = True
    while todo:
        if not first:  # parents: leave out, without reading them, those the device is known to hold
            seqs = _latest(session, {(table, row_id) for table, ids in todo.items() for row_id in ids})
            scopes = {("customers", scope) for _seq, scope in seqs.values() if scope is not None}
            seqs.update(_latest(session, scopes - seqs.keys()))
            for table, ids in todo.items():
                for row_id in list(ids):
                    seq, scope = seqs.get((table, row_id), (cursor + 1, None))
                    if seq > cursor:
                        continue
                    if table == "users" or (seq > last_user_change and (
                            table == "customers"
                            or (scope is not None and seqs.get(("customers", scope), (seq, None))[0] < seq))):
                        held.add((table, row_id))
                        ids.discard(row_id)
        got = {table: _rows(session, table, ids) for table, ids in todo.items() if ids}
        parents: dict[str, set[str]] = {}
        for table, rows in got.items():
            found[table].update(rows)
            for row_id, row in rows.items():
                if (table, row_id) in held:
                    continue
                for column, parent_table in REFERENCES.get(table, ()):
                    parent_id = row.get(column)
                    if parent_id is not None and parent_id not in found[parent_table] \
                            and (parent_table, parent_id) not in held:
                        parents.setdefault(parent_table, set()).add(parent_id)
        todo = {table: ids - found[table].keys() for table, ids in parents.items()}
        todo = {table: ids for table, ids in todo.items() if ids}
        first = False

    changes: list[dict[str, Any]] = []
    sent: set[tuple[str, str]] = set()

    def upsert(seq: int, table: str, row: dict[str, Any]) -> None:
        for column, parent_table in REFERENCES.get(table, ()):
            parent_id = row.get(column)
            if parent_id is not None and (parent_table, parent_id) not in sent \
                    and (parent_table, parent_id) not in held:
                parent = found[parent_table].get(parent_id)
                if parent is not None:
                    upsert(seq, parent_table, parent)
        key = (table, row["id"])
        if key in sent:
            return
        sent.add(key)
        if table == "users" and row["id"] != user.id:
            row = {name: value for name, value in row.items() if name != "password_hash"}
        changes.append({"seq": seq, "table": table, "id": row["id"], "op": protocol.UPSERT,
                        "version": row["version"], "row": row})

    for seq, table, row_id, customer_id in entries:
        if latest[(table, row_id)] != seq:
            continue
        if customer_id is not None and customer_id not in visible:
            if table == "customers":
                changes.append({"seq": seq, "table": "customers", "id": row_id,
                                "op": protocol.FORGET, "version": None, "row": None})
            continue
        if (table, row_id) in own:
            continue
        row = found[table].get(row_id)
        if row is None:
            changes.append({"seq": seq, "table": table, "id": row_id,
                            "op": protocol.FORGET, "version": None, "row": None})
            continue
        upsert(seq, table, row)
    next_cursor = entries[-1][0] if entries else cursor
    return changes, next_cursor, has_more
