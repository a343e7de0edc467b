"""Loading rows the server already holds (a snapshot), without queueing them to be sent back.

The outbox records what *this device* changed and still owes the server. Rows that come from the
server - a first snapshot, the demo organisation that stands in for one - are not owed to anyone,
so they bypass the outbox; each load is still written to the audit log. Pulled pages are written
the same way by desktop.remote (the "sync" writer). See desktop.store for the sanctioned writers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from desktop import audit, search, timeutil

SYSTEM_ACTOR = "00000000-0000-0000-0000-000000000000"


def insert_rows(session: Session, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]],
                search_bodies: Sequence[str] | None = None) -> None:
    """Insert raw rows (values already in storage form) inside a 'snapshot' writer session.

    For searched tables, ``search_bodies`` may carry the rows' search texts made ahead.
    """
    if not rows:
        return
    if table in search.INDEXES:
        search.bulk_insert(session, table, columns, rows, search_bodies)
        return
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    session.connection().exec_driver_sql(sql, [tuple(row) for row in rows])


def record_load(session: Session, device_id: str, source: str, counts: dict[str, int]) -> None:
    """One audit entry for one snapshot load: where it came from and how many rows of each table."""
    audit.append(session, at=timeutil.utcnow(), actor_id=SYSTEM_ACTOR, device_id=device_id,
                 action="snapshot.load", entity="snapshot", entity_id=source[:36], detail={"counts": counts})
