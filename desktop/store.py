"""The local SQLite store: connection settings, the write guard, and sessions.

Every connection runs with WAL, ``foreign_keys=ON``, ``synchronous=FULL`` (a committed mutation
survives a power cut) and a busy timeout. Transactions that write begin with ``BEGIN IMMEDIATE``
so two writers queue on the lock instead of failing mid-transaction.

The write guard refuses any INSERT/UPDATE/DELETE on a business table from a connection that has
not declared itself one of the sanctioned writers: the mutation path (desktop.mutations), the
application of rows the server already holds (desktop.snapshot, desktop.remote), and migrations.
The sync tables (cursor, sync problems, server-counted versions) accept only the sync writer.
A stray ``session.add()`` anywhere else fails loudly instead of writing data the outbox never saw.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.orm import Session

from desktop import blobs, migrate
from desktop.blobs import BlobStore
from desktop.models import DATA_TABLES, DeviceState
from desktop.search_text import index_text
from desktop.sort_keys import company_key, person_key
from desktop.text_rules import name_key, phone_digits

WRITERS = ("mutation", "snapshot", "sync", "migration")
# Where the device stands with the server: only the sync writer (desktop.remote) and migrations change it.
SYNC_TABLES = frozenset({"sync_state", "sync_problems", "sync_rows", "sync_reread", "sync_bulk"})
SYNC_WRITERS = ("sync", "migration")
GUARDED_TABLES = frozenset(DATA_TABLES) | {"outbox", "audit_log", "device_state"} | SYNC_TABLES
# The table a statement writes to, found past what may come before its verb: comments, a WITH clause
# (whose queries SQLite allows only to read), a schema name, any quoting of either. Comments and string
# literals are blanked out first (_NOT_SQL), so a word inside them is never taken for the verb.
_NOT_SQL = re.compile(r"--[^\n]*|/\*.*?(?:\*/|$)|'(?:[^']|'')*'", re.DOTALL)
_NAME = r'(?:"(?:[^"]|"")+"|`[^`]+`|\[[^\]]+\]|\w+)'
_WRITE = re.compile(
    rf"\b(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+"
    rf"(?:{_NAME}\s*\.\s*)?({_NAME})",
    re.IGNORECASE,
)


def written_table(statement: str) -> str | None:
    """The (lower-case, unquoted) table an INSERT, REPLACE, UPDATE or DELETE writes to, or None."""
    head = statement.lstrip()[:6].upper()
    if head in ("SELECT", "PRAGMA") or head.startswith("BEGIN") or head.startswith("COMMIT"):
        return None  # the common statements, decided without a scan
    found = _WRITE.search(_NOT_SQL.sub(" ", statement))
    if found is None:
        return None
    name = found.group(1)
    if name[0] in "\"`[":
        name = name[1:-1].replace('""', '"')
    return name.lower()


class UnrecordedWriteError(RuntimeError):
    """A write to business data was attempted outside the mutation path."""


def _fm_search_text(*parts: Any) -> str:
    return index_text(*(p if isinstance(p, str) else None for p in parts))


def configure_connection(dbapi_connection: sqlite3.Connection, *, build: bool = False) -> None:
    """Apply Fieldmark's settings and SQL functions to a raw sqlite3 connection.

    ``build`` is for filling a brand-new file that nobody else uses and that is renamed into place
    only once complete (see desktop.demo): no journal, no fsync, an exclusive lock, a bigger cache.
    A crash then loses only the half-built file, never a user's database.
    """
    # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's implicit BEGIN is not IMMEDIATE).
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    if build:
        cur.execute("PRAGMA journal_mode=OFF")
        cur.execute("PRAGMA synchronous=OFF")
        cur.execute("PRAGMA locking_mode=EXCLUSIVE")
        cur.execute("PRAGMA cache_size=-262144")
        # The builder's rows are consistent by construction (its tests run foreign_key_check on
        # what it builds); checking three parents per inserted row would cost a tenth of the run.
        cur.execute("PRAGMA foreign_keys=OFF")
    else:
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        # 64 MiB of page cache: the touchpoint indexes of a large territory stay in memory.
        cur.execute("PRAGMA cache_size=-65536")
        cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()
    dbapi_connection.create_function("fm_search_text", -1, _fm_search_text, deterministic=True)
    # The derived columns' rules (desktop.derived), for migrations, which import no code of ours but the models.
    for name, fn in (("fm_company_key", company_key), ("fm_person_key", person_key), ("fm_name_key", name_key),
                     ("fm_phone_digits", phone_digits)):
        dbapi_connection.create_function(name, 1, _text_function(fn), deterministic=True)


def _text_function(fn: Callable[[str], str]) -> Callable[[Any], str]:
    return lambda value: fn(value if isinstance(value, str) else "")


def make_engine(path: Path, *, build: bool = False) -> Engine:
    """An engine on the SQLite file at path, with settings, write guard and BEGIN IMMEDIATE for writers."""
    engine = create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        configure_connection(dbapi_connection, build=build)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        writer = conn.get_execution_options().get("fm_writer")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

    @event.listens_for(engine, "before_cursor_execute")
    def _guard(conn: Any, _cursor: object, statement: str, _params: object, _ctx: object,
               _many: bool) -> None:
        table = written_table(statement)
        if table is None or table not in GUARDED_TABLES:
            return
        writer = conn.get_execution_options().get("fm_writer")
        if writer not in WRITERS:
            raise UnrecordedWriteError(
                f"write to {table} outside the mutation path: run it as a mutation "
                "(desktop.mutations) so the outbox and the audit log record it")
        if table in SYNC_TABLES and writer not in SYNC_WRITERS:
            raise UnrecordedWriteError(f"write to {table} by the {writer} writer: only sync (desktop.remote) "
                                       "changes the sync state")

    return engine


class Store:
    """An open local database. Create with :func:`open_store`."""

    def __init__(self, path: Path, engine: Engine, schema_version: str) -> None:
        self.path = path
        self.engine = engine
        self.schema_version = schema_version
        self._device: tuple[str, str] | None = None
        self._blobs: BlobStore | None = None

    @property
    def blobs(self) -> BlobStore:
        """The files attachments name, kept by content beside the database (``attachments/``)."""
        if self._blobs is None:
            self._blobs = BlobStore(self.path.parent / "attachments")
        return self._blobs

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; any attempt to write business data through it is refused."""
        with Session(self.engine, autoflush=False, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def writer(self, kind: str) -> Iterator[Session]:
        """A session inside one BEGIN IMMEDIATE transaction, committed on success, rolled back on error.

        ``kind`` names the sanctioned writer (see WRITERS); application code should not call this
        directly but go through desktop.mutations.
        """
        if kind not in WRITERS:
            raise ValueError(f"unknown writer {kind!r}")
        with self.engine.connect() as conn:
            conn = conn.execution_options(fm_writer=kind)
            with Session(bind=conn, autoflush=False, expire_on_commit=False) as session:
                session.info[blobs.SESSION_KEY] = self.blobs
                with session.begin():
                    yield session

    def device(self) -> tuple[str, str]:
        """(device id, device code) of this installation."""
        if self._device is None:
            with self.read() as session:
                state = session.scalars(select(DeviceState)).one()
                self._device = (state.device_id, state.device_code)
        return self._device

    def forget_device(self) -> None:
        """Read the device's id and code again (after the server gave it its code)."""
        self._device = None

    def close(self) -> None:
        self.engine.dispose()


def open_store(path: Path, *, backup_dir: Path | None = None, script_location: str | None = None,
               device_code: str | None = None, build: bool = False,
               progress: migrate.Reporter | None = None) -> Store:
    """Open (creating if needed) the database at path, migrating it to this version first.

    A database that needs migrating is backed up first; a failed migration restores the backup
    and raises :class:`desktop.migrate.MigrationFailed`. A database written by a newer version
    raises :class:`desktop.migrate.DatabaseTooNew` and is left untouched. ``progress`` hears how a
    migration goes (desktop.migrate.upgrade).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(path, build=build)
    try:
        migrate.upgrade(engine, path, backup_dir=backup_dir or path.parent / "backups",
                        script_location=script_location, progress=progress)
    except BaseException:
        engine.dispose()
        raise
    store = Store(path, engine, migrate.head_revision(script_location))
    _ensure_device(store, device_code)
    if not build:
        from desktop import bulk_pull  # a first pull stopped by a crash: its indexes are made again now

        bulk_pull.restore(store)
    return store


def _ensure_device(store: Store, device_code: str | None) -> None:
    from desktop.ids import provisional_device_code, uuid7
    from desktop.timeutil import utcnow

    with store.read() as session:
        if session.scalars(select(DeviceState)).first() is not None:
            return
    device_id = uuid7()
    # The code is short and human: it goes into quote numbers. The server assigns the real one
    # when the device registers; until then it is derived from the device id.
    code = device_code or provisional_device_code(device_id)
    with store.writer("mutation") as session:
        session.add(DeviceState(device_id=device_id, device_code=code, next_seq=1, created_at=utcnow()))
