"""Whole rows in storage form: the column values exactly as the desktop tables hold them.

Times are UTC text, money is text, booleans are 0/1 - what the server sends (sync.server.changes
serialises the same way) and what the sync layer writes back, without the ORM's conversions in
between. ``rid`` is this database's own row number for the search index: it is never read into a
row and never written from one.

Used by desktop.remote (rows the server sends, and restoring rows under undone local changes) and by
the mutation path (the before-images of the rows a mutation touches).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection

from desktop.models import DATA_TABLES, Base

LOCAL_COLUMNS = frozenset({"rid"})
# Values for NOT NULL columns that the server may leave out of a row. The server sends a user's
# password hash only to that user's own devices; an empty hash never verifies, so another user
# simply cannot sign in offline on this device.
MISSING = {"users": {"password_hash": ""}}


@functools.cache
def columns(table: str) -> tuple[str, ...]:
    """The columns a row of ``table`` travels with (every column but the local ones)."""
    if table not in DATA_TABLES:
        raise ValueError(f"{table} is not a data table")
    return tuple(c.name for c in Base.metadata.tables[table].columns if c.name not in LOCAL_COLUMNS)


def read(conn: Connection, table: str, row_id: str) -> dict[str, Any] | None:
    """One row by id as a dict of storage-form values, or None."""
    names = columns(table)
    found = conn.exec_driver_sql(f"SELECT {', '.join(names)} FROM {table} WHERE id = ?", (row_id,)).first()
    return None if found is None else dict(zip(names, found, strict=True))


def read_many(conn: Connection, table: str, row_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The rows that exist among ``row_ids``, by id, as dicts of storage-form values."""
    names = columns(table)
    wanted = list(row_ids)
    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        for found in conn.exec_driver_sql(f"SELECT {', '.join(names)} FROM {table} "
                                          f"WHERE id IN ({', '.join('?' * len(chunk))})", tuple(chunk)):
            row = dict(zip(names, found, strict=True))
            out[row["id"]] = row
    return out


def grouped(table: str, rows: Iterable[Mapping[str, Any]]) -> dict[tuple[str, ...], list[tuple[Any, ...]]]:
    """Rows as value tuples grouped by their columns (known columns only; MISSING ones filled in)."""
    known = set(columns(table))
    fill = MISSING.get(table, {})
    plans: dict[tuple[str, ...], tuple[tuple[str, ...], tuple[str, ...] | None, tuple[Any, ...]]] = {}
    groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
    for row in rows:
        keys = tuple(row)
        plan = plans.get(keys)
        if plan is None:  # once per set of columns, not once per row
            names = tuple(name for name in keys if name in known)
            extra = tuple(name for name in fill if name not in names)
            plan = plans[keys] = (names + extra, None if names == keys else names, tuple(fill[n] for n in extra))
        insert_names, picked, filled = plan
        values = tuple(row.values()) if picked is None else tuple(row[name] for name in picked)
        groups.setdefault(insert_names, []).append(values + filled if filled else values)
    return groups


def insert(conn: Connection, table: str, rows: Iterable[Mapping[str, Any]]) -> None:
    """Insert rows that do not exist yet, one executemany per set of columns (no ON CONFLICT: a row
    that does exist is an IntegrityError). Searched tables' triggers index each row; many new rows of
    a searched table go faster through desktop.search.bulk_insert."""
    for names, values in grouped(table, rows).items():
        conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                             values)


def upsert(conn: Connection, table: str, rows: Iterable[Mapping[str, Any]]) -> None:
    """Insert each row, or update the existing row with the same id (only the columns the row has).

    ``INSERT ... ON CONFLICT(id) DO UPDATE`` keeps the row's ``rid`` and fires the update triggers, so
    the search index follows. Rows with the same set of columns are written with one executemany.
    """
    known = set(columns(table))
    groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
    for row in rows:
        names = tuple(name for name in row if name in known)
        groups.setdefault(names, []).append(tuple(row[name] for name in names))
    fill = MISSING.get(table, {})
    for names, values in groups.items():
        extra = tuple(name for name in fill if name not in names)
        insert = names + extra
        updates = ", ".join(f"{name} = excluded.{name}" for name in names if name != "id")
        sql = (f"INSERT INTO {table} ({', '.join(insert)}) VALUES ({', '.join('?' * len(insert))}) "
               f"ON CONFLICT(id) DO " + (f"UPDATE SET {updates}" if updates else "NOTHING"))
        conn.exec_driver_sql(sql, [v + tuple(fill[name] for name in extra) for v in values])


def delete(conn: Connection, table: str, row_ids: Iterable[str]) -> None:
    """Delete rows by id (children go with them where the schema says ON DELETE CASCADE)."""
    if table not in DATA_TABLES:
        raise ValueError(f"{table} is not a data table")
    params = [(row_id,) for row_id in row_ids]
    if params:
        conn.exec_driver_sql(f"DELETE FROM {table} WHERE id = ?", params)
