"""The demo organisation's customers, contacts and six months of touchpoints on the server, so that a
desktop joining a demo server (``make server``) opens on a workbench with customers in it.

The rows are made by the desktop's own generator (desktop.demo, same seed, so the same organisation a
demo desktop shows) in a throw-away desktop database, then copied in with the owners mapped onto the
server's users by username, and announced in the change log like any other write.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Engine

from desktop import timeutil
from desktop.demo import generate
from desktop.models import Contact, Customer, Touchpoint, User
from desktop.store import open_store
from sync.server.db import writing
from sync.server.models import ChangeLogEntry

# (model, the columns that name a user, how a row names its customer)
TABLES = ((Customer, ("owner_id",), "id"), (Contact, (), "customer_id"), (Touchpoint, ("user_id",), "customer_id"))


def seed_demo_data(engine: Engine, *, customers: int = 300, touchpoints: int = 6000, seed: int = 2026) -> int:
    """Add the demo customers, contacts and touchpoints once (none while the server holds customers);
    returns how many rows were added. The demo users must be there already (cli.seed_demo)."""
    with writing(engine) as session:
        if session.scalar(select(func.count()).select_from(Customer)):
            return 0
        server_ids = dict(session.execute(select(User.username, User.id)).tuples().all())
    with tempfile.TemporaryDirectory(prefix="fieldmark-demo-") as folder:
        store = open_store(Path(folder) / "fieldmark.db")
        try:
            generate(store, customers=customers, touchpoints=touchpoints, months=6, seed=seed, extra_reps=0,
                     parallel=False)
            with store.read() as source:
                made_ids = dict(source.execute(select(User.id, User.username)).tuples().all())
                tables = [(model, [_row(obj, users, made_ids, server_ids) for obj in source.scalars(select(model))],
                           customer_of) for model, users, customer_of in TABLES]
        finally:
            store.close()
    now = timeutil.utcnow()
    added = 0
    with writing(engine) as session:
        if session.scalar(select(func.count()).select_from(Customer)):
            return 0  # another seeding got there first
        for model, rows, customer_of in tables:
            rows = [row for row in rows if row is not None]
            for start in range(0, len(rows), 1000):
                chunk = rows[start:start + 1000]
                session.execute(insert(model), chunk)
                session.execute(insert(ChangeLogEntry), [
                    {"table_name": model.__tablename__, "row_id": row["id"], "committed_at": now,
                     "customer_id": row[customer_of]} for row in chunk])
            added += len(rows)
    return added


def _row(obj: Any, users: tuple[str, ...], made_ids: dict[str, str], server_ids: dict[str, str]) -> dict | None:
    """The row's columns (not the desktop's own rid), its users the server's; None for a user the server
    does not have."""
    row = {c.key: getattr(obj, c.key) for c in obj.__table__.columns if c.key != "rid"}
    for column in users:
        server_id = server_ids.get(made_ids.get(row[column], ""))
        if server_id is None:
            return None
        row[column] = server_id
    return row
