"""A first pull at disk speed: the server's snapshot loaded into bare tables, indexed once at the end.

A device that holds nothing from the server yet (cursor 0, no business rows - a new folder, or one
reset to read the whole scope again) gets the user's whole scope as a stream of frames, one table
at a time (sync.server.snapshot). Writing those rows through :func:`desktop.remote.apply_page` would
read every row back, maintain every secondary index and check the foreign keys row by row; instead:

- :func:`start` sets the business tables' secondary indexes aside (their SQL is kept in
  ``sync_bulk``, so they are made again exactly as they were), in one transaction with the row that
  records the load;
- :func:`prepare` checks a frame and makes its rows' search texts, with no database, on the thread
  that reads the answer; :func:`write` then puts it in with one plain ``executemany`` (foreign keys
  unchecked), indexes a searched table's rows for search in one statement
  (desktop.search.bulk_insert, whose trigger handling keeps the search index exact), records the
  versions the server counted (``sync_rows``) and the frame's token, in one transaction: an
  interrupted load goes on after the last frame written;
- :func:`finish` removes any row whose parent the snapshot did not bring (only possible when the
  load spanned several answers; it comes again with the change-log pull that follows), makes the
  indexes again, stores the snapshot's cursor and drops the ``sync_bulk`` row, in one transaction:
  either the store is complete and indexed, or the load is still under way;
- :func:`restore` makes the indexes again for what was loaded, keeping the token: after a cancel or a
  failure (sync.first_pull), or a crash (:func:`desktop.store.open_store` calls it), so the store is
  never used without its indexes. The next pull sets them aside again and goes on from the token.

The window stays usable meanwhile: each frame is its own short transaction, readers see the rows
loaded so far, searchable at once (the search triggers stay in place, so local changes made during
the load are indexed as always); lists are slower until the indexes are back.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop import audit, rows, search, timeutil
from desktop.models import DATA_TABLES, SyncBulk, SyncState
from desktop.search_text import index_text
from desktop.snapshot import SYSTEM_ACTOR


class BulkError(ValueError):
    """What the server sent cannot be loaded as it is (desktop.remote.RemoteDataError's twin for frames)."""


@dataclass(frozen=True)
class Progress:
    """Where a load stands: rows loaded of how many, the token to continue after."""

    token: str | None
    head: int
    loaded: int
    total: int


def current(store: Any) -> Progress | None:
    """The load under way, or None."""
    with store.read() as session:
        bulk = session.get(SyncBulk, 1)
        return None if bulk is None else Progress(bulk.token, bulk.head, bulk.loaded, bulk.total)


def is_empty(session: Session) -> bool:
    """Whether the store holds no business row and has read nothing from a server (cursor 0)."""
    state = session.get(SyncState, 1)
    if state is not None and state.cursor:
        return False
    conn = session.connection()
    return all(conn.exec_driver_sql(f"SELECT 1 FROM {table} LIMIT 1").first() is None for table in DATA_TABLES)


def wanted(store: Any) -> bool:
    """Whether the next pull should load a snapshot: one is under way, or the store is empty."""
    with store.read() as session:
        return session.get(SyncBulk, 1) is not None or is_empty(session)


def _set_aside_sql(session: Session) -> list[str]:
    """CREATE statements of the business tables' secondary indexes (those of their UNIQUE constraints
    stay: SQLite keeps them with the table)."""
    conn = session.connection()
    tables = ", ".join(f"'{t}'" for t in DATA_TABLES)
    found = conn.exec_driver_sql(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ({tables}) "
        "AND sql IS NOT NULL ORDER BY name").fetchall()
    return [sql for _name, sql in found]


def _name(sql: str) -> tuple[str, str]:
    """("INDEX"|"TRIGGER", name) of a CREATE statement."""
    words = sql.split(None, 4)
    kind = "INDEX" if "INDEX" in (words[1].upper(), words[2].upper()) else "TRIGGER"
    name = words[3] if words[1].upper() == "UNIQUE" else words[2]
    return kind, name.strip('"')


def _drop(session: Session, statements: Sequence[str]) -> None:
    conn = session.connection()
    for sql in statements:
        kind, name = _name(sql)
        conn.exec_driver_sql(f'DROP {kind} IF EXISTS "{name}"')


def _make_again(session: Session, statements: Sequence[str]) -> None:
    conn = session.connection()
    for sql in statements:
        conn.exec_driver_sql(sql.replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS", 1)
                             .replace("CREATE UNIQUE INDEX", "CREATE UNIQUE INDEX IF NOT EXISTS", 1))


@contextmanager
def _loading(store: Any, *, durable: bool = False) -> Iterator[Session]:
    """The sync writer's transaction with foreign keys unchecked (a frame's rows may refer to rows of a
    later frame; :func:`finish` removes what is left dangling). PRAGMA foreign_keys cannot change inside
    a transaction, so it is set on the connection before and restored after.

    Frames commit with ``synchronous=NORMAL``: in WAL mode a power cut may then lose the last frames
    committed, never the database's consistency - the rows and their token go together, and what was
    lost is read again from the token before it. The end of the load (``durable``) is FULL as ever."""
    with store.engine.connect() as conn:
        raw = conn.connection.driver_connection
        raw.execute("PRAGMA foreign_keys=OFF")
        if not durable:
            raw.execute("PRAGMA synchronous=NORMAL")
        try:
            conn = conn.execution_options(fm_writer="sync")
            with Session(bind=conn, autoflush=False, expire_on_commit=False) as session, session.begin():
                yield session
        finally:
            raw.execute("PRAGMA foreign_keys=ON")
            raw.execute("PRAGMA synchronous=FULL")


def start(store: Any, head: int, remaining: int) -> Progress:
    """Begin a load (or go on with the one under way): set the indexes and search triggers aside.

    ``remaining`` is what the server says is still to come. Raises BulkError when the store already
    holds the server's or its own rows and no load is under way (pull the change log instead)."""
    if not isinstance(head, int) or head < 0 or not isinstance(remaining, int) or remaining < 0:
        raise BulkError("a snapshot starts with its head and the number of rows to come")
    with store.writer("sync") as session:
        bulk = session.get(SyncBulk, 1)
        if bulk is None:
            if not is_empty(session):
                raise BulkError("this store already holds rows: it pulls the change log, not a snapshot")
            bulk = SyncBulk(singleton=1, token=None, head=head, total=0, loaded=0,
                            started_at=timeutil.utcnow(), dropped=_set_aside_sql(session), set_aside=False,
                            resumed=False)
            session.add(bulk)
        else:
            bulk.resumed = True  # a second answer: a newer snapshot than the rows before it
        if not bulk.set_aside:
            _drop(session, bulk.dropped)
            bulk.set_aside = True
        bulk.head = min(bulk.head, head)
        bulk.total = bulk.loaded + remaining
        return Progress(bulk.token, bulk.head, bulk.loaded, bulk.total)


@dataclass(frozen=True)
class Frame:
    """One frame made ready to write (by :func:`prepare`, off the writing thread)."""

    table: str
    names: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    versions: list[tuple[str, str, int]]  # (table, id, version) of rows not at version 1
    bodies: list[str] | None  # the rows' search texts, for a searched table
    token: str


def prepare(table: Any, columns: Any, values: Any, token: Any) -> Frame:
    """Check one frame of the server's (rows of one table, as its columns and value arrays, and a token)
    and make what :func:`write` needs, search texts included: pure work, no database, so that it runs
    on the thread that reads the answer while the previous frame is written."""
    if table not in DATA_TABLES:
        raise BulkError(f"unknown table {table!r}")
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns) or "id" not in columns \
            or "version" not in columns or not isinstance(values, list) or not isinstance(token, str):
        raise BulkError(f"{table}: a frame needs columns (with id and version), rows and a token")
    known = set(rows.columns(table))
    keep = [i for i, name in enumerate(columns) if name in known]  # a newer server's columns stay there
    names = [columns[i] for i in keep]
    fill = [(name, value) for name, value in rows.MISSING.get(table, {}).items() if name not in names]
    names += [name for name, _value in fill]
    width = len(columns)
    at_version = columns.index("version")
    at_id = columns.index("id")
    picked = keep != list(range(width)) or fill
    tuples: list[tuple[Any, ...]] = []
    versions = []
    for row in values:
        if not isinstance(row, list) or len(row) != width:
            raise BulkError(f"{table}: a row must have {width} values")
        version = row[at_version]
        if not isinstance(version, int) or isinstance(version, bool) or version < 1 \
                or not isinstance(row[at_id], str) or not row[at_id]:
            raise BulkError(f"{table}: each row needs an id and a version >= 1")
        if version != 1:
            versions.append((table, row[at_id], version))
        tuples.append((*(row[i] for i in keep), *(value for _name, value in fill)) if picked else tuple(row))
    bodies = None
    if table in search.INDEXES:
        spec = search.INDEXES[table]
        at = [names.index(c) for c in spec.columns]
        bodies = [index_text(*(row[i] if isinstance(row[i], str) else None for i in at)) for row in tuples]
    return Frame(table, tuple(names), tuples, versions, bodies, token)


def write(store: Any, frame: Frame) -> Progress:
    """Write one prepared frame and its token in one transaction; a searched table's rows are indexed
    for search with it, in one statement (desktop.search.bulk_insert)."""
    try:
        with _loading(store) as session:
            conn = session.connection()
            bulk = session.get(SyncBulk, 1)
            if bulk is None or not bulk.set_aside:
                raise BulkError("no snapshot load is under way")
            if frame.bodies is not None:
                search.bulk_insert(session, frame.table, frame.names, frame.rows, frame.bodies)
            elif frame.rows:
                conn.exec_driver_sql(f"INSERT INTO {frame.table} ({', '.join(frame.names)}) "
                                     f"VALUES ({', '.join('?' * len(frame.names))})", frame.rows)
            if frame.versions:
                conn.exec_driver_sql("INSERT INTO sync_rows (table_name, row_id, version) VALUES (?, ?, ?) "
                                     "ON CONFLICT (table_name, row_id) DO UPDATE SET version = excluded.version",
                                     frame.versions)
            bulk.token = frame.token
            bulk.loaded += len(frame.rows)
            audit.append(session, at=timeutil.utcnow(), actor_id=SYSTEM_ACTOR, device_id=store.device()[0],
                         action="sync.pull", entity="sync", entity_id="snapshot",
                         detail={"snapshot": frame.token, "counts": {"upsert": {frame.table: len(frame.rows)}}})
            return Progress(bulk.token, bulk.head, bulk.loaded, bulk.total)
    except BulkError:
        raise
    except Exception as exc:  # a value SQLite cannot take (an object), a row sent twice, a CHECK it breaks
        if type(exc).__module__.startswith(("sqlite3", "sqlalchemy")):
            raise BulkError(f"{frame.table}: the rows cannot be loaded: {getattr(exc, 'orig', exc)}") from exc
        raise


def _dangling(session: Session) -> dict[str, int]:
    """Remove rows whose parent is not here (until none is left); how many, per table."""
    conn = session.connection()
    removed: dict[str, int] = {}
    while True:
        found: dict[str, set[int]] = {}
        for table in DATA_TABLES:
            for _table, rowid, _parent, _fk in conn.exec_driver_sql(f"PRAGMA foreign_key_check({table})"):
                found.setdefault(table, set()).add(rowid)
        if not found:
            return removed
        for table, rowids in found.items():
            conn.exec_driver_sql(f"DELETE FROM {table} WHERE rowid = ?", [(r,) for r in rowids])
            conn.exec_driver_sql(f"DELETE FROM sync_rows WHERE table_name = ? AND row_id NOT IN (SELECT id FROM {table})",
                                 (table,))
            removed[table] = removed.get(table, 0) + len(rowids)


def finish(store: Any, next_cursor: int, origin: dict[str, Any] | None = None) -> Progress:
    """End the load: dangling rows out, indexes, search index and triggers made again, the cursor stored
    with the log it is of (``origin``: {server_id, epoch, mark}, as desktop.remote.apply_page keeps it)."""
    if not isinstance(next_cursor, int) or isinstance(next_cursor, bool) or next_cursor < 0:
        raise BulkError(f"next_cursor must be a whole number >= 0, not {next_cursor!r}")
    with _loading(store, durable=True) as session:
        bulk = session.get(SyncBulk, 1)
        if bulk is None:
            raise BulkError("no snapshot load is under way")
        # One answer is one snapshot of a database that checks its own foreign keys: nothing dangles.
        removed = _dangling(session) if bulk.resumed else {}
        _make_again(session, bulk.dropped)
        state = session.get(SyncState, 1)
        if state is None:
            state = SyncState(singleton=1, cursor=0)
            session.add(state)
        state.cursor = max(state.cursor, min(next_cursor, bulk.head))
        origin = origin or {}
        if origin.get("server_id"):
            state.server_id, state.epoch = origin["server_id"], origin.get("epoch")
            state.cursor_mark = origin.get("mark") or None
        done = Progress(None, bulk.head, bulk.loaded, bulk.total)
        session.delete(bulk)
        audit.append(session, at=timeutil.utcnow(), actor_id=SYSTEM_ACTOR, device_id=store.device()[0],
                     action="sync.pull", entity="sync", entity_id="snapshot",
                     detail={"cursor": state.cursor, "rows": done.loaded, "removed": removed})
    return done


def restore(store: Any) -> bool:
    """After a stop (cancel, failure, crash): make the indexes, search index and triggers again for what
    was loaded, keeping where the load stands. True when there was something to make again."""
    with store.read() as session:
        if session.connection().exec_driver_sql(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sync_bulk'").first() is None:
            return False  # a schema older than this version (opened with other migrations)
        bulk = session.get(SyncBulk, 1)
        if bulk is None or not bulk.set_aside:
            return False
    with store.writer("sync") as session:
        bulk = session.scalars(select(SyncBulk)).first()
        if bulk is None or not bulk.set_aside:
            return False
        _make_again(session, bulk.dropped)
        bulk.set_aside = False
    return True
