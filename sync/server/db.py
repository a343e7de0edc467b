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
from weakref import WeakKeyDictionary

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
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    if engine.dialect.name == "postgresql":
        _savepoints_travel_with_next_statement(engine)
    return engine


# Savepoint statements not sent yet, per connection (a SQLAlchemy Connection: one checkout).
_waiting: WeakKeyDictionary[Any, list[tuple[str, str]]] = WeakKeyDictionary()


def _savepoints_travel_with_next_statement(engine: Engine) -> None:
    """On PostgreSQL, send SAVEPOINT and RELEASE SAVEPOINT with the next statement: one round trip.

    A push runs each mutation in its own savepoint: a touchpoint.log is SAVEPOINT, INSERT, RELEASE,
    three round trips of which two answer nothing the caller waits for. They wait for the next
    statement and go with it in one psycopg pipeline (sent together, one wait, their errors reported
    as that statement's). A savepoint released or rolled back before anything was sent inside it
    never reaches the server: nothing happened in it. COMMIT and ROLLBACK end every savepoint, so
    what still waits then is dropped.
    """
    dialect = engine.dialect
    quote = dialect.identifier_preparer.quote
    execute, execute_no_params, executemany = dialect.do_execute, dialect.do_execute_no_params, dialect.do_executemany
    rollback_to = dialect.do_rollback_to_savepoint

    def waiting(connection: Any) -> list[tuple[str, str]]:
        return _waiting.setdefault(connection, [])

    def do_savepoint(connection: Any, name: str) -> None:
        waiting(connection).append(("SAVEPOINT", name))

    def do_release_savepoint(connection: Any, name: str) -> None:
        ops = waiting(connection)
        if ops and ops[-1] == ("SAVEPOINT", name):
            ops.pop()  # nothing was sent inside it
        else:
            ops.append(("RELEASE SAVEPOINT", name))

    def do_rollback_to_savepoint(connection: Any, name: str) -> None:
        ops = waiting(connection)
        if ("SAVEPOINT", name) in ops:
            del ops[ops.index(("SAVEPOINT", name)):]  # never sent: there is nothing to undo
        else:
            ops.clear()  # what waits was opened inside this savepoint, which the rollback ends
            rollback_to(connection, name)

    def with_waiting(cursor: Any, context: Any, run: Any) -> None:
        ops = _waiting.get(context.root_connection) if context is not None else None
        if not ops:
            run()
            return
        sql = [f"{verb} {quote(name)}" for verb, name in ops]
        ops.clear()
        raw = cursor.connection
        with raw.pipeline():
            for statement in sql:
                raw.cursor().execute(statement)
            run()

    def do_execute(cursor: Any, statement: str, parameters: Any, context: Any = None) -> None:
        with_waiting(cursor, context, lambda: execute(cursor, statement, parameters, context))

    def do_execute_no_params(cursor: Any, statement: str, context: Any = None) -> None:
        with_waiting(cursor, context, lambda: execute_no_params(cursor, statement, context))

    def do_executemany(cursor: Any, statement: str, parameters: Any, context: Any = None) -> None:
        with_waiting(cursor, context, lambda: executemany(cursor, statement, parameters, context))

    # This engine's dialect only (each engine has its own dialect object).
    dialect.do_savepoint = do_savepoint  # type: ignore[method-assign]
    dialect.do_release_savepoint = do_release_savepoint  # type: ignore[method-assign]
    dialect.do_rollback_to_savepoint = do_rollback_to_savepoint  # type: ignore[method-assign]
    dialect.do_execute = do_execute  # type: ignore[method-assign]
    dialect.do_execute_no_params = do_execute_no_params  # type: ignore[method-assign]
    dialect.do_executemany = do_executemany  # type: ignore[method-assign]

    @event.listens_for(engine, "begin")
    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _transaction_ends(conn: Any) -> None:
        _waiting.pop(conn, None)


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
