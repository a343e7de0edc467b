"""The server's database: SQLite in a data folder by default, any SQLAlchemy URL (PostgreSQL) otherwise.

Writers are serialised so that the change log's sequence follows commit order: SQLite does that
with BEGIN IMMEDIATE; on PostgreSQL each writing transaction first takes one transaction-scoped
advisory lock. A reader's cursor therefore never passes a change that commits later with a lower
sequence number.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session

WRITE_LOCK = 7_346_001  # the advisory lock id serialising writers on PostgreSQL


def database_url(data_dir: Path | None, url: str | None) -> str:
    if url:
        return url
    folder = Path(data_dir or ".")
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'fieldmark-server.db'}"


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=FULL", "busy_timeout=30000"):
                dbapi_connection.execute(f"PRAGMA {pragma}")

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def create_schema(engine: Engine) -> None:
    """Bring the database to this version's schema (the server's own Alembic line)."""
    from sync.server import schema

    schema.upgrade(engine)


@contextmanager
def writing(engine: Engine) -> Iterator[Session]:
    """One serialised writing transaction: committed on success, rolled back on error."""
    with engine.connect() as conn:
        conn = conn.execution_options(write=True)
        with Session(bind=conn, expire_on_commit=False) as session, session.begin():
            if engine.dialect.name == "postgresql":
                session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": WRITE_LOCK})
            yield session


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session
