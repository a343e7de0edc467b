"""The device's side of sync, without the network: rows the server sends, and its answers to a push.

sync.client speaks HTTP and hands the decoded messages (sync.protocol) to these functions. Each
call writes as the "sync" writer in ONE transaction: a page of changes and its cursor are stored
together or not at all, and a crash between two calls leaves a state the next call continues from.

How local changes sit on top of the server's rows
-------------------------------------------------
An outbox entry keeps in ``changes``, besides what the mutation returned:

- ``rows``: the (table, id, op, version) its effect accounts for in this database *now*;
- ``before``: each touched row as it was just before that effect (None: the row did not exist),
  read by the mutation path (desktop.mutations.registry.capture_before);
- ``state``: "live" (the effect is here; entries without the key are live), "rewound" (undone,
  waiting to be applied again), "failed" (applying it again failed), "undone" (rejected by the
  server; never applied again). ``undone`` keeps the rows it accounted for before.

Answers come back in seq order, so the pending entries are always the newest. Undoing every live
entry from some seq on, newest first, by writing back their before-images gives exactly the state
underneath them: the server's rows as this device last knew them. Hence:

- :func:`apply_page`: when a page touches a row that pending changes touched (or forgets anything
  while changes are pending), those changes are undone first and the page is written onto the
  server's rows alone, never merged into a half-local row;
- :func:`replay_pending`: undone entries run again, in seq order, under their actors, through the
  same mutation functions - no new outbox or audit entries, their ``rows`` and ``before`` renewed.
  One that fails now stays pending (the server has the last word when it is pushed) and becomes a
  sync problem beside the server's row; nothing is dropped;
- :func:`mark_results`: a rejected change is undone - the server's row comes back - and kept as a
  sync problem with the user's args; the changes after it are applied again.

How versions the server counted are accounted for
-------------------------------------------------
A row's version counts its changes. Those made here are outbox entries; those the server made
(other devices, other users) arrive with the row. ``sync_rows`` records the version at which the
server last sent each row - unless it is 1, which needs no record (a row without one is accounted
for exactly as before sync existed) - and a null version once the server said to forget a row that
outbox entries still name. desktop.integrity uses it: entries above the server's version must be
consecutive up to the row's version; those at or below it were folded in by the server.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, false, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from desktop import audit, overwrites, rows, search, timeutil
from desktop.errors import DomainError
from desktop.models import DATA_TABLES, Base, DeviceState, OutboxEntry, SyncProblem, SyncState
from desktop.mutations import registry  # importing the package registers every mutation
from desktop.snapshot import SYSTEM_ACTOR

# The protocol's words (sync.protocol; the offline core does not import sync/ - a test keeps them equal).
UPSERT, FORGET = "upsert", "forget"
APPLIED, REJECTED, OUT_OF_ORDER, WAITING = "applied", "rejected", "out_of_order", "waiting"
PENDING = "pending"
LIVE, REWOUND, FAILED, UNDONE = "live", "rewound", "failed", "undone"
STATE_FIELDS = ("server_url", "user_id", "last_success_at", "last_attempt_at", "last_error", "server_time_offset_s",
                "offline_days")


class RemoteDataError(ValueError):
    """What the server sent cannot be applied as it is. Nothing was written."""


class NotRewindable(RuntimeError):
    """A pending change made before before-images were kept (schema 0002) would have to be undone.

    Push it first (sync.client.SyncClient.sync pushes before it pulls).
    """


@dataclass(frozen=True)
class Change:
    """One change of a page, checked."""

    table: str
    id: str
    op: str
    version: int | None
    row: dict[str, Any] | None


@dataclass
class Replay:
    """What :func:`replay_pending` did: entries applied again, and those that failed (by seq)."""

    replayed: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


@dataclass
class Marked:
    """What :func:`mark_results` did."""

    applied: list[int] = field(default_factory=list)
    rejected: list[int] = field(default_factory=list)
    waiting: list[int] = field(default_factory=list)  # held by the server for a file still on its way
    out_of_order: dict[str, Any] | None = None  # the result that stopped the server, if any
    requeued: list[int] = field(default_factory=list)  # answered entries the server lost, queued again
    replay: Replay = field(default_factory=Replay)


# ---------------------------------------------------------------------------------------------- pulled pages


def apply_page(store: Any, changes: list[dict[str, Any]], next_cursor: int,
               origin: dict[str, Any] | None = None) -> int:
    """Write one page of the server's changes and its cursor in one transaction; returns how many changes.

    Upserts go in by id (:func:`_write`): a row this device does not have is inserted (and indexed
    for search in bulk), a changed one updated with ``INSERT ... ON CONFLICT(id) DO UPDATE`` (the
    row keeps its local ``rid`` and the search triggers keep the indexes right), one equal to the
    row here is left alone; "forget" deletes the row and, through ON DELETE CASCADE, what hangs off
    it. Foreign keys are checked at commit, so the order of rows within a page does not matter, but
    a page that leaves a dangling reference fails as a whole and raises :class:`RemoteDataError`
    (naming the row and the parent), as does a malformed page or a cursor that goes back. Pending
    local changes under the page's rows are undone first; call :func:`replay_pending` after the last
    page to apply them again.

    ``origin`` is the change log the cursor belongs to, as the server's answer names it ({server_id,
    epoch, mark}; desktop.reread); without it the cursor's mark is unknown (None). During a whole
    re-read, each row the page sends is one the server still has (``sync_reread``).
    """
    if not _is_int(next_cursor) or next_cursor < 0:
        raise RemoteDataError(f"next_cursor must be a whole number >= 0, not {next_cursor!r}")
    page = _parse(changes)
    device_id, _code = store.device()
    try:
        with store.writer("sync") as session:
            conn = session.connection()
            conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")  # until commit; reset by it
            state = _state(session)
            if next_cursor < state.cursor:
                raise RemoteDataError(f"the server's cursor went back from {state.cursor} to {next_cursor}")
            forgets = [c for c in page.values() if c.op == FORGET]
            live = [e for e in _pending(session) if _state_of(e) == LIVE]
            if live and (forgets or not _touched(live).isdisjoint(page)):
                _rewind(session, live)
            history = [c.row for c in page.values() if c.table == "field_changes" and c.row is not None
                       and c.row.get("overwrote_mutation_id")]
            if history:  # only records new here can tell of an overwrite not yet shown
                held = rows.read_many(conn, "field_changes", [r["id"] for r in history])
                history = [r for r in history if r["id"] not in held]
            for table in DATA_TABLES:  # parents before children
                _write(session, table, [c.row for c in page.values() if c.table == table and c.row is not None])
            for table in reversed(DATA_TABLES):
                rows.delete(conn, table, [c.id for c in forgets if c.table == table])
            _note_versions(session, page.values())
            overwrites.note(session, history)  # changes made here that someone else's replaced unseen
            if forgets:
                _note_forgotten(session)
            state.cursor = next_cursor
            origin = origin or {}
            if origin.get("server_id"):
                state.server_id, state.epoch = origin["server_id"], origin.get("epoch")
            state.cursor_mark = origin.get("mark") or None
            _note_reread(session, page.values())
            if page:
                counts: dict[str, dict[str, int]] = {}
                for c in page.values():
                    counts.setdefault(c.op, {}).setdefault(c.table, 0)
                    counts[c.op][c.table] += 1
                audit.append(session, at=timeutil.utcnow(), actor_id=SYSTEM_ACTOR, device_id=device_id,
                             action="sync.pull", entity="sync", entity_id="pull",
                             detail={"cursor": next_cursor, "counts": counts})
    except IntegrityError as exc:
        # Foreign keys are checked at commit; only then is it worth finding which reference dangles.
        missing = None
        if "FOREIGN KEY" in str(exc.orig):
            with store.read() as session:
                missing = _dangling(session, page.values())
        raise RemoteDataError(missing or f"the page cannot be applied: {exc.orig}") from exc
    return len(page)


def _write(session: Session, table: str, upserts: list[dict[str, Any]]) -> None:
    """Write a page's rows of one table: new rows inserted, changed rows updated, the others left alone.

    A page carries, besides its changes, the rows they refer to, which this device mostly holds
    already as they are: a row equal to the one here (in every column sent) is not written again, so
    no update and no re-indexing. Rows this device does not have yet (a first pull is made of them)
    go in with plain INSERTs; for a searched table, through desktop.search.bulk_insert, which indexes
    them in one statement instead of through the per-row trigger. Changed rows go through
    ``INSERT ... ON CONFLICT(id) DO UPDATE``, which keeps their ``rid`` and lets the triggers re-index.
    """
    if not upserts:
        return
    conn = session.connection()
    here = rows.read_many(conn, table, [row["id"] for row in upserts])
    new = [row for row in upserts if row["id"] not in here]
    rows.upsert(conn, table, [row for row in upserts if row["id"] in here
                              and any(here[row["id"]].get(name) != value for name, value in row.items())])
    if table not in search.INDEXES:
        rows.insert(conn, table, new)
        return
    for names, values in rows.grouped(table, new).items():
        search.bulk_insert(session, table, names, values)


PLAIN = frozenset({str, int, float, bool, type(None)})


@functools.cache
def _known(table: str) -> frozenset[str]:
    return frozenset(rows.columns(table))


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse(changes: Any) -> dict[tuple[str, str], Change]:
    """The page's changes by (table, id), checked; a later change of the same row wins."""
    if not isinstance(changes, list):
        raise RemoteDataError("changes must be a list")
    page: dict[tuple[str, str], Change] = {}
    for item in changes:
        if not isinstance(item, dict):
            raise RemoteDataError(f"a change must be an object, not {item!r}")
        table, row_id, op = item.get("table"), item.get("id"), item.get("op")
        if table not in DATA_TABLES:
            raise RemoteDataError(f"unknown table {table!r}")
        if not isinstance(row_id, str) or not row_id:
            raise RemoteDataError(f"{table}: a change needs an id")
        page.pop((table, row_id), None)
        if op == FORGET:
            page[(table, row_id)] = Change(table, row_id, op, None, None)
            continue
        if op != UPSERT:
            raise RemoteDataError(f"{table} {row_id}: unknown op {op!r}")
        row = item.get("row")
        if not isinstance(row, dict) or row.get("id", row_id) != row_id:
            raise RemoteDataError(f"{table} {row_id}: an upsert needs the row, with the same id")
        known = _known(table)
        # Columns this version does not know (a newer server) stay on the server; rid never travels.
        clean = dict(row) if row.keys() <= known else {name: value for name, value in row.items() if name in known}
        if not set(map(type, clean.values())) <= PLAIN:  # one C-level pass; the loop only names the culprit
            for name, value in clean.items():
                if value is not None and not isinstance(value, (str, int, float)):
                    raise RemoteDataError(f"{table} {row_id}: {name} must be a plain value, not {value!r}")
        version = item.get("version", clean.get("version"))
        if not _is_int(version) or version < 1 or clean.get("version", version) != version:
            raise RemoteDataError(f"{table} {row_id}: version must be a whole number >= 1, as in the row")
        clean["id"], clean["version"] = row_id, version
        page[(table, row_id)] = Change(table, row_id, op, version, clean)
    return page


@functools.cache
def _foreign_keys(table: str) -> tuple[Any, ...]:
    return tuple(Base.metadata.tables[table].foreign_keys)


def _dangling(session: Session, page: Iterable[Change]) -> str | None:
    """The first reference from a row of the page to a row this device would not have after it, described;
    or None. Run after the commit refused the page (foreign keys), on the database without it: this says
    which row and which parent, so that a server sending a row without the rows it refers to is easy to see.
    """
    conn = session.connection()
    page = list(page)
    # A parent the page itself writes is there; one it forgets is not.
    written = {(change.table, change.id) for change in page if change.row is not None}
    forgotten = {(change.table, change.id) for change in page if change.row is None}
    wanted: dict[tuple[str, str], dict[str, str]] = {}  # (parent table, parent id) -> the child that wants it
    for change in page:
        if change.row is None:
            continue
        for key in _foreign_keys(change.table):
            value = change.row.get(key.parent.name)
            if value is not None and (key.column.table.name, str(value)) not in written:
                wanted.setdefault((key.column.table.name, str(value)),
                                  {"table": change.table, "id": change.id, "column": key.parent.name})
    by_table: dict[str, list[str]] = {}
    for table, row_id in wanted:
        by_table.setdefault(table, []).append(row_id)
    for table, ids in by_table.items():
        present: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            present.update(conn.exec_driver_sql(
                f"SELECT id FROM {table} WHERE id IN ({', '.join('?' * len(chunk))})", tuple(chunk)).scalars())
        for row_id in ids:
            if row_id not in present or (table, row_id) in forgotten:
                child = wanted[(table, row_id)]
                return (f"{child['table']} {child['id']} refers to {table} {row_id} ({child['column']}), "
                        "which this device does not have")
    return None


def _note_versions(session: Session, page: Iterable[Change]) -> None:
    """Record the server's version of each row sent (none needed for 1), forget records of forgotten rows."""
    conn = session.connection()
    drop = [(c.table, c.id) for c in page if c.version in (None, 1)]
    keep = [(c.table, c.id, c.version) for c in page if c.version not in (None, 1)]
    if drop and conn.exec_driver_sql("SELECT 1 FROM sync_rows LIMIT 1").first() is not None:
        conn.exec_driver_sql("DELETE FROM sync_rows WHERE table_name = ? AND row_id = ?", drop)
    if keep:
        conn.exec_driver_sql("INSERT INTO sync_rows (table_name, row_id, version) VALUES (?, ?, ?) "
                             "ON CONFLICT (table_name, row_id) DO UPDATE SET version = excluded.version", keep)


def _note_reread(session: Session, page: Iterable[Change]) -> None:
    """While the whole scope is read again (desktop.reread), the rows sent are no longer in doubt."""
    keys = [(c.table, c.id) for c in page]
    conn = session.connection()
    if keys and conn.exec_driver_sql("SELECT 1 FROM sync_reread LIMIT 1").first() is not None:
        conn.exec_driver_sql("DELETE FROM sync_reread WHERE table_name = ? AND row_id = ?", keys)


def _note_forgotten(session: Session) -> None:
    """After forgets (and their cascades): a tombstone for each gone row that outbox entries still name.

    Records of other gone rows are dropped; they account for nothing any more.
    """
    conn = session.connection()
    named: dict[str, set[str]] = {}
    for changes in session.scalars(select(OutboxEntry.changes)):
        for table, row_id, _op, _version in changes.get("rows", []):
            named.setdefault(table, set()).add(row_id)
    for table in DATA_TABLES:
        conn.exec_driver_sql(f"DELETE FROM sync_rows WHERE table_name = ? AND row_id NOT IN (SELECT id FROM {table})",
                             (table,))
        ids = sorted(named.get(table, ()))
        present: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            present.update(conn.exec_driver_sql(
                f"SELECT id FROM {table} WHERE id IN ({', '.join('?' * len(chunk))})", tuple(chunk)).scalars())
        gone = [(table, row_id) for row_id in ids if row_id not in present]
        if gone:
            conn.exec_driver_sql("INSERT INTO sync_rows (table_name, row_id, version) VALUES (?, ?, NULL) "
                                 "ON CONFLICT (table_name, row_id) DO UPDATE SET version = NULL", gone)


# ---------------------------------------------------------------------------------------------- local changes on top


def _state_of(entry: OutboxEntry) -> str:
    return str(entry.changes.get("state", LIVE))


def _pending(session: Session) -> list[OutboxEntry]:
    return list(session.scalars(select(OutboxEntry).where(OutboxEntry.status == PENDING).order_by(OutboxEntry.seq)))


def _touched(entries: Iterable[OutboxEntry]) -> set[tuple[str, str]]:
    return {(table, row_id) for e in entries for table, row_id, _op, _version in e.changes.get("rows", [])}


def _rewindable(entries: Iterable[OutboxEntry]) -> bool:
    return all("before" in e.changes for e in entries)


def _rewind(session: Session, entries: Sequence[OutboxEntry], state: str = REWOUND) -> None:
    """Undo the effects of live entries, newest first, by writing back their before-images."""
    if not _rewindable(entries):
        raise NotRewindable("changes recorded before schema 0003 must be pushed before the server's rows "
                            "can be written under them")
    conn = session.connection()
    for entry in sorted(entries, key=lambda e: e.seq, reverse=True):
        for table, row_id, row in reversed(entry.changes["before"]):
            if row is None:
                rows.delete(conn, table, [row_id])
            else:
                rows.upsert(conn, table, [row])
        entry.changes = _without_effect(entry.changes, state)


def _without_effect(changes: dict[str, Any], state: str) -> dict[str, Any]:
    undone = changes.get("rows") or changes.get("undone", [])
    return {**changes, "rows": [], "before": [], "state": state, "undone": undone}


def _entity(entry: OutboxEntry) -> tuple[str, str]:
    """(table, id) of the row an entry is about: its entity's row among the rows it touched."""
    touched = entry.changes.get("rows") or entry.changes.get("undone") or []
    entity_id = str(entry.changes.get("entity_id", ""))
    for table, row_id, _op, _version in touched:
        if row_id == entity_id:
            return table, row_id
    return (touched[0][0], touched[0][1]) if touched else ("", entity_id)


def replay_pending(store: Any) -> Replay:
    """Apply again, in seq order and in one transaction, the local changes a page or a rejection undid.

    Each runs under its own actor through desktop.mutations.execute, with no new outbox or audit
    entry. One that fails now keeps its place in the outbox (it is still sent; the server decides)
    and becomes an open sync problem beside the server's row; a later replay tries it again.
    """
    with store.writer("sync") as session:
        return _replay(session)


def _replay(session: Session, answered_from: int | None = None) -> Replay:
    """Re-run undone entries in seq order. Applied entries can be undone only by mark_results, within
    its own transaction (they lay above a rejected one); it passes the first seq it answered."""
    report = Replay()
    state = func.json_extract(OutboxEntry.changes, "$.state", type_=String)
    undone_applied = (and_(OutboxEntry.status == APPLIED, OutboxEntry.seq >= answered_from, state == REWOUND)
                      if answered_from is not None else false())
    # An applied change that failed here stays failed: the server has it, and its rows come with the next pull.
    todo = list(session.scalars(
        select(OutboxEntry)
        .where(or_(and_(OutboxEntry.status == PENDING, state.in_((REWOUND, FAILED))), undone_applied))
        .order_by(OutboxEntry.seq)))
    if not todo:
        return report
    first = todo[0].seq
    later = list(session.scalars(select(OutboxEntry).where(OutboxEntry.seq > first,
                                                           OutboxEntry.status != REJECTED)))
    live_later = [e for e in later if _state_of(e) == LIVE]
    _rewind(session, live_later)  # keep seq order: nothing newer may sit under an older change
    redo = sorted({e.seq: e for e in todo + live_later}.values(), key=lambda e: e.seq)
    for entry in redo:
        session.flush()  # outbox updates so far stay outside the savepoint below
        try:
            with session.begin_nested():
                actor = registry.load_actor(session, entry.actor_id, entry.device_id)
                changes = registry.execute(session, actor, entry.name, copy.deepcopy(entry.args))
                before = registry.capture_before(session, changes)
                session.flush()
        except (DomainError, IntegrityError) as exc:
            error = exc.to_dict() if isinstance(exc, DomainError) else {
                "code": "conflict", "field": None, "message_zh": "此修改与服务器上的数据冲突。",
                "message_en": "This change conflicts with the data on the server.", "detail": {}}
            entry.changes = {**_without_effect(entry.changes, FAILED), "error": error}
            report.failed.append(entry.seq)
            if entry.status == PENDING:
                table, row_id = _entity(entry)
                server_row = rows.read(session.connection(), table, row_id) if table in DATA_TABLES else None
                _open_problem(session, entry, "replay", error, server_row)
            continue
        entry.changes = registry.outbox_changes(changes, before)
        # Only a failure here is settled by applying here; a refusal sent again waits for the server's answer.
        _resolve(session, entry.seq, source="replay")
        report.replayed.append(entry.seq)
    return report


# ---------------------------------------------------------------------------------------------- push results


def mark_results(store: Any, results: list[dict[str, Any]]) -> Marked:
    """Apply the server's answers to pushed entries, in one transaction.

    applied -> status "applied". rejected -> status "rejected"; its effect is undone (the server's
    row comes back) and an open sync problem keeps the user's args beside the server's version of
    the row (its before-image; none for a row the change created). The changes after it are applied
    again. out_of_order -> the entry stays pending and the answers after it are not read. waiting
    (the server holds it until a file it needs is whole) -> the entry stays pending, as it is here, and
    goes again with the next push; the answers after it are read. An answer
    for an entry that is no longer pending is a repeat and changes nothing; one whose mutation id
    differs from the entry's raises :class:`RemoteDataError` (the server holds another change under
    this device's seq).
    """
    checked = _check_results(results)
    device_id, _code = store.device()
    marked = Marked()
    with store.writer("sync") as session:
        for result in checked:
            if result["status"] == OUT_OF_ORDER:
                marked.out_of_order = result
                marked.requeued = _requeue_lost(session, result, device_id)
                break
            entry = session.get(OutboxEntry, result["seq"])
            if entry is None or entry.mutation_id != result.get("mutation_id"):
                raise RemoteDataError(f"the server answered for seq {result['seq']} with mutation "
                                      f"{result.get('mutation_id')!r}, which is not this device's change")
            if entry.status != PENDING:
                continue
            if result["status"] == WAITING:  # stays pending, its effect here; sent again with the next push
                marked.waiting.append(entry.seq)
                continue
            entry.result = result
            if entry.changes.get("requeued") == REJECTED:
                entry.changes = {k: v for k, v in entry.changes.items() if k != "requeued"}
                if result["status"] == REJECTED:  # refused before a restore, and so recorded again:
                    entry.status = REJECTED        # its sync problem stays as the user left it
                    continue
            if result["status"] == APPLIED:
                entry.status = APPLIED
                if _other_effect(entry, result):
                    _undo_applied(session, entry)
                _resolve(session, entry.seq)
                _settle_earlier(session, entry)
                marked.applied.append(entry.seq)
                continue
            error = result.get("error") if isinstance(result.get("error"), dict) else {}
            server_row = _undo_rejected(session, entry)
            entry.status = REJECTED
            _open_problem(session, entry, "rejected", error, server_row)
            table, row_id = _entity(entry)
            audit.append(session, at=timeutil.utcnow(), actor_id=SYSTEM_ACTOR, device_id=device_id,
                         action="sync.rejected", entity=table or "sync", entity_id=row_id[:36],
                         detail={"outbox_seq": entry.seq, "mutation": entry.name, "code": error.get("code")})
            marked.rejected.append(entry.seq)
        session.flush()
        marked.replay = _replay(session, checked[0]["seq"] if checked else None)
    return marked


def _requeue_lost(session: Session, result: dict[str, Any], device_id: str) -> list[int]:
    """The server expects an earlier seq than the one sent: it no longer has the entries it answered
    from there on (it was restored from a backup). They go back in the queue as they are, to be sent
    again in order: an applied one keeps its effect here and the server decides anew; a refused one
    goes as ``refused_before`` (sync.protocol), which the server records as refused without running
    it - it must not come back to life behind the user's back, its sync problem resolved or corrected
    since. Returns their seqs."""
    expected, sent = result.get("expected"), result["seq"]
    if not _is_int(expected) or not 1 <= expected < sent:
        return []
    lost = list(session.scalars(select(OutboxEntry).where(OutboxEntry.seq >= expected,
                                                          OutboxEntry.status != PENDING).order_by(OutboxEntry.seq)))
    if [e.seq for e in lost if e.seq < sent] != list(range(expected, sent)):
        return []  # not all of them are here: nothing to fill the gap with
    for entry in lost:
        if entry.status == REJECTED:  # sent as refused before: the server records it so and runs nothing
            entry.changes = {**entry.changes, "requeued": REJECTED}
        entry.status, entry.result = PENDING, None
    audit.append(session, at=timeutil.utcnow(), actor_id=SYSTEM_ACTOR, device_id=device_id,
                 action="sync.requeued", entity="sync", entity_id="push",
                 detail={"expected": expected, "seqs": [e.seq for e in lost]})
    return [e.seq for e in lost]


def _check_results(results: Any) -> list[dict[str, Any]]:
    if not isinstance(results, list):
        raise RemoteDataError("results must be a list")
    for result in results:
        if not isinstance(result, dict) or not _is_int(result.get("seq")):
            raise RemoteDataError(f"a result needs a seq: {result!r}")
        if result.get("status") not in (APPLIED, REJECTED, OUT_OF_ORDER, WAITING):
            raise RemoteDataError(f"unknown status in result {result!r}")
    return sorted(results, key=lambda r: r["seq"])


def _other_effect(entry: OutboxEntry, result: dict[str, Any]) -> bool:
    """Whether the server's run of an applied entry wrote other rows than it did here (a server that
    does not say which rows it wrote: no)."""
    served = result.get("rows")
    if not isinstance(served, list) or _state_of(entry) != LIVE:
        return False
    theirs = {(str(r[0]), str(r[1])) for r in served if isinstance(r, list) and len(r) >= 2}
    return theirs != _touched([entry])


def _undo_applied(session: Session, entry: OutboxEntry) -> None:
    """Undo here the effect of a change the server applied with another effect: its rows go back to the
    server's as this device knew them, and the rows the server wrote come with the next pull (they
    are in its change log since this push). The changes after it are applied again (mark_results)."""
    later = [e for e in session.scalars(select(OutboxEntry).where(OutboxEntry.seq > entry.seq,
                                                                  OutboxEntry.status != REJECTED))
             if _state_of(e) == LIVE]
    if not _rewindable([entry, *later]):
        return  # recorded before before-images were kept: the next pull of its rows corrects them
    _rewind(session, later)
    _rewind(session, [entry], UNDONE)


def _undo_rejected(session: Session, entry: OutboxEntry) -> dict[str, Any] | None:
    """Undo a rejected entry's effect here; returns the server's version of its row, when known."""
    table, row_id = _entity(entry)
    if _state_of(entry) != LIVE:  # its effect is not here: the row here is the server's
        entry.changes = {**entry.changes, "state": UNDONE}
        return rows.read(session.connection(), table, row_id) if table in DATA_TABLES else None
    later = [e for e in session.scalars(select(OutboxEntry).where(OutboxEntry.seq > entry.seq,
                                                                  OutboxEntry.status != REJECTED))
             if _state_of(e) == LIVE]
    if not _rewindable([entry, *later]):
        return None  # recorded before before-images were kept: the user's version stays until the server sends the row
    server_row = next((row for t, i, row in entry.changes["before"] if (t, i) == (table, row_id)), None)
    _rewind(session, later)
    _rewind(session, [entry], UNDONE)
    return server_row


# ---------------------------------------------------------------------------------------------- sync problems


def _open_problem(session: Session, entry: OutboxEntry, source: str, error: dict[str, Any],
                  server_row: dict[str, Any] | None) -> SyncProblem:
    """The open problem of an outbox entry, made or brought up to date (one per entry)."""
    table, row_id = _entity(entry)
    problem = session.scalars(select(SyncProblem).where(SyncProblem.outbox_seq == entry.seq,
                                                        SyncProblem.resolved_at.is_(None))).first()
    if problem is None:
        problem = SyncProblem(outbox_seq=entry.seq, created_at=timeutil.utcnow(), resolved_at=None)
        session.add(problem)
    problem.mutation, problem.args = entry.name, entry.args
    problem.entity, problem.entity_id = table, row_id
    problem.source = source
    if server_row is not None or source == "rejected":
        problem.server_row = server_row
    problem.code = str(error.get("code") or source)[:32]
    problem.field = str(error["field"])[:64] if error.get("field") is not None else None
    problem.message_zh = str(error.get("message_zh") or "服务器没有接受此修改。")
    problem.message_en = str(error.get("message_en") or "The server did not accept this change.")
    return problem


# A refused change of these is settled by a later one of the same kind on the same row that the server
# applied: the rep fixed the visit and submitted it again; the old refusal has nothing left to do.
SETTLED_BY_A_LATER_ONE = frozenset({"visit.submit"})


def _settle_earlier(session: Session, entry: OutboxEntry) -> None:
    if entry.name not in SETTLED_BY_A_LATER_ONE:
        return
    _table, row_id = _entity(entry)
    for problem in session.scalars(select(SyncProblem).where(
            SyncProblem.mutation == entry.name, SyncProblem.entity_id == row_id, SyncProblem.outbox_seq < entry.seq,
            SyncProblem.resolved_at.is_(None))):
        problem.resolved_at = timeutil.utcnow()


def _resolve(session: Session, seq: int, at: datetime | None = None, source: str | None = None) -> None:
    query = select(SyncProblem).where(SyncProblem.outbox_seq == seq, SyncProblem.resolved_at.is_(None))
    if source is not None:
        query = query.where(SyncProblem.source == source)
    for problem in session.scalars(query):
        problem.resolved_at = at or timeutil.utcnow()


def open_problems(session: Session) -> list[SyncProblem]:
    """Sync problems not yet resolved, oldest change first."""
    return list(session.scalars(select(SyncProblem).where(SyncProblem.resolved_at.is_(None))
                                .order_by(SyncProblem.outbox_seq)))


def resolve_problem(store: Any, problem_id: int) -> None:
    """The user has dealt with a problem (resubmitted the change as a new one, or let it go)."""
    with store.writer("sync") as session:
        problem = session.get(SyncProblem, problem_id)
        if problem is not None and problem.resolved_at is None:
            problem.resolved_at = timeutil.utcnow()


def send_again(store: Any, problem_id: int, user_id: str) -> registry.Outcome:
    """Queue a refused change again as it is, as a new outbox entry the problem now follows; for an
    overwritten one (desktop.overwrites), a new change setting the user's overwritten values again.

    The reason may have gone since (a permission granted, a server that now reads the file): the same
    mutation runs again here through the mutation path, in the sync writer's transaction, so the new
    entry and the problem pointing at it are written together or not at all. The problem stays open
    until the server answers: applied resolves it (:func:`mark_results`), refused brings it back with
    the new reason (:func:`_open_problem` finds it by the new seq). A change that no longer applies
    here raises the mutation's DomainError, and nothing is written.
    """
    schema_version = store.schema_version
    device_id, _code = store.device()
    with store.writer("sync") as session:
        problem = session.get(SyncProblem, problem_id)
        entry = session.get(OutboxEntry, problem.outbox_seq) if problem is not None else None
        if problem is None or problem.resolved_at is not None or entry is None:
            raise DomainError("problem_gone", "此问题已处理。", "This problem has already been dealt with.")
        overwritten = problem.source == overwrites.SOURCE
        if entry.status != (APPLIED if overwritten else REJECTED):
            raise DomainError("already_queued", "此修改已在等待发送。", "This change is already waiting to be sent.")
        if entry.actor_id != user_id:
            raise DomainError("forbidden", "只有做此修改的人可以重新发送。",
                              "Only the person who made this change can send it again.")
        missing = missing_file(store, entry.name, entry.args)
        if missing:
            raise DomainError("file_gone", f"文件“{missing}”已不在本机，无法重新发送。",
                              f"The file {missing} is no longer on this computer, so it cannot be sent again.")
        actor = registry.load_actor(session, user_id, device_id)
        # An overwritten change is applied again as a new one, now: only its overwritten fields, on the
        # row as it is (so its base is the version that holds the other person's value).
        args = {k: v for k, v in problem.args.items() if k != "at"} if overwritten else copy.deepcopy(entry.args)
        outcome = registry.run_in(session, actor, entry.name, args, schema_version)
        problem.outbox_seq = outcome.seq
        return outcome


def missing_file(store: Any, name: str, args: dict[str, Any]) -> str:
    """The file name of an attachment whose content is no longer here, intact; "" when nothing is missing."""
    if name != "attachment.add":
        return ""
    sha = str(args.get("sha256") or "").lower()
    if store.blobs.has(sha) and store.blobs.intact(sha) is not False:
        return ""
    return str(args.get("filename") or "")


# ---------------------------------------------------------------------------------------------- sync state


def _state(session: Session) -> SyncState:
    state = session.get(SyncState, 1)
    if state is None:  # the migration makes the row; this only guards against a hand-edited file
        state = SyncState(singleton=1, cursor=0)
        session.add(state)
        session.flush()
    return state


def read_state(store: Any) -> SyncState:
    """Where this device stands with the server (a detached copy)."""
    with store.read() as session:
        state = session.get(SyncState, 1)
        return state if state is not None else SyncState(singleton=1, cursor=0)


def adopt_device_code(store: Any, code: str) -> None:
    """Number quotes with the code the server gave this device from now on. Numbers already made
    keep the provisional code, which the server accepts from this device too."""
    if not re.fullmatch(r"[A-Za-z0-9]{1,16}", code):
        raise ValueError(f"not a device code: {code!r}")
    with store.writer("sync") as session:
        session.execute(update(DeviceState).where(DeviceState.device_code != code).values(device_code=code))
    store.forget_device()


def update_state(store: Any, **values: Any) -> None:
    """Record sign-in, attempt, success, error or clock offset (see STATE_FIELDS); never the cursor."""
    unknown = set(values) - set(STATE_FIELDS)
    if unknown:
        raise ValueError(f"not sync state fields: {sorted(unknown)}")
    with store.writer("sync") as session:
        state = _state(session)
        for name, value in values.items():
            setattr(state, name, value)
