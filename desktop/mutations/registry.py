"""The one path by which data changes: named mutations in one registry.

A mutation is a function ``(session, actor, args) -> Changes``. It checks permission and input,
applies the change and says which rows it touched. It is deterministic given its args: ids and
times are made *before* the call (by the mutation's ``prepare`` on the device) and travel in the
args, so the server can later re-run the very same function during sync and reach the same rows.

:func:`run` is the device's entry point: one transaction writes the data, one outbox row (what to
send to the server, with the before-images of the rows it touched) and one audit entry (who did
what), or nothing at all.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from desktop import audit, errors, rows, timeutil
from desktop.errors import DomainError, Label
from desktop.ids import uuid7
from desktop.models import DeviceState, OutboxEntry, User
from desktop.mutations.fields import Field, validate
from desktop.text_rules import printable


@dataclass(frozen=True)
class Actor:
    """Who is acting: the user as the database knows them now, on which device."""

    user: User
    device_id: str

    @property
    def id(self) -> str:
        return self.user.id

    @property
    def role(self) -> str:
        return self.user.role


@dataclass
class RowChange:
    table: str
    id: str
    op: str  # insert | update | delete
    version: int


@dataclass
class Changes:
    """What a mutation did: its main entity, the version it started from, every row it touched."""

    entity: str
    entity_id: str
    base_version: int | None = None
    rows: list[RowChange] = field(default_factory=list)
    diff: dict[str, list[Any]] = field(default_factory=dict)  # field -> [before, after], for updates

    def touch(self, table: str, row_id: str, op: str, version: int) -> None:
        self.rows.append(RowChange(table, row_id, op, version))

    def to_dict(self) -> dict[str, Any]:
        return {"entity": self.entity, "entity_id": self.entity_id, "base_version": self.base_version,
                "rows": [[r.table, r.id, r.op, r.version] for r in self.rows]}


AT = Field(Label("操作时间", "Time of the change"), "time", required=True)


@dataclass(frozen=True)
class Mutation:
    name: str
    fields: dict[str, Field]
    apply: Callable[[Session, Actor, dict[str, Any]], Changes]
    # Fills in what the device makes before the call (new ids, the time); never run on the server.
    id_fields: tuple[str, ...] = ()
    # Fills in args only the device's database can make (a quote number from the device's own
    # sequence), inside the writing transaction, before the call; never run on the server.
    device_args: Callable[[Session, dict[str, Any]], dict[str, Any]] | None = None


REGISTRY: dict[str, Mutation] = {}


def mutation(name: str, fields: dict[str, Field], *, id_fields: tuple[str, ...] = (),
             device_args: Callable[[Session, dict[str, Any]], dict[str, Any]] | None = None
             ) -> Callable[[Callable[[Session, Actor, dict[str, Any]], Changes]],
                           Callable[[Session, Actor, dict[str, Any]], Changes]]:
    """Register a mutation under name. Every mutation also takes ``at``, the time of the change."""

    def register(fn: Callable[[Session, Actor, dict[str, Any]], Changes]
                 ) -> Callable[[Session, Actor, dict[str, Any]], Changes]:
        if name in REGISTRY:
            raise ValueError(f"mutation {name} registered twice")
        REGISTRY[name] = Mutation(name, {**fields, "at": AT}, fn, id_fields, device_args)
        return fn

    return register


def get(name: str) -> Mutation:
    spec = REGISTRY.get(name)
    if spec is None:
        name = printable(str(name))  # it came over the wire: the answer must be encodable
        raise DomainError("unknown_mutation", f"不支持的操作“{name}”。", f"Unknown operation {name!r}.")
    return spec


def prepare(name: str, args: dict[str, Any], *, now: datetime | None = None) -> dict[str, Any]:
    """Complete args on the device: new ids for the mutation's id fields and the time, when absent."""
    spec = get(name)
    if not isinstance(args, dict):  # dict(args) would raise ValueError/TypeError, not a DomainError
        raise errors.invalid_value(None, "请求内容格式不正确。", "The request must be a set of named fields.")
    out = dict(args)
    for id_field in spec.id_fields:
        if out.get(id_field) is None:
            out[id_field] = uuid7()
    if out.get("at") is None:
        out["at"] = timeutil.to_text(now or timeutil.utcnow())
    return out


def load_actor(session: Session, user_id: str, device_id: str) -> Actor:
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise DomainError("forbidden", "该用户不存在或已停用。", "This user does not exist or has been disabled.")
    return Actor(user, device_id)


def execute(session: Session, actor: Actor, name: str, args: dict[str, Any]) -> Changes:
    """Check and apply one mutation inside the caller's transaction (device and server alike)."""
    spec = get(name)
    parsed = validate(spec.fields, args)
    return spec.apply(session, actor, parsed)


def capture_before(session: Session, changes: Changes) -> list[list[Any]]:
    """The rows a mutation touched as they were before it: ``[table, id, row or None]`` per row.

    Call after the mutation ran and before its changes are flushed: the database still holds the old
    rows then (sessions here do not autoflush). None means the mutation created the row. Kept in the
    outbox entry, these let desktop.remote undo a local change exactly - when the server refuses it,
    or to re-apply it on top of newer rows from the server. A row whose stored version is not the one
    just before the mutation's means the changes were flushed too early; that is refused, because
    an undo to the wrong image would silently lose data.
    """
    conn = session.connection()
    before: list[list[Any]] = []
    seen: set[tuple[str, str]] = set()
    for change in changes.rows:
        key = (change.table, change.id)
        if key in seen:
            continue
        seen.add(key)
        if change.op == "insert":
            before.append([change.table, change.id, None])
            continue
        row = rows.read(conn, change.table, change.id)
        if row is None or row["version"] != change.version - 1:
            raise RuntimeError(f"{change.table} {change.id}: the mutation's changes reached the database before "
                               "its before-image was read (a mutation must not flush)")
        before.append([change.table, change.id, row])
    return before


def outbox_changes(changes: Changes, before: list[list[Any]]) -> dict[str, Any]:
    """What an outbox entry keeps about its effect here: the rows it accounts for and their before-images."""
    return {**changes.to_dict(), "before": before}


@dataclass(frozen=True)
class Outcome:
    """A mutation that was committed: its outbox sequence number, id, args as stored, and changes."""

    seq: int
    mutation_id: str
    name: str
    args: dict[str, Any]
    changes: Changes


def _record(session: Session, actor: Actor, name: str, args: dict[str, Any], changes: Changes,
            before: list[list[Any]], schema_version: str) -> Outcome:
    seq = session.execute(
        update(DeviceState).values(next_seq=DeviceState.next_seq + 1).returning(DeviceState.next_seq)
    ).scalar_one() - 1
    at = timeutil.from_text(args["at"])
    mutation_id = uuid7()
    session.add(OutboxEntry(
        seq=seq, device_id=actor.device_id, mutation_id=mutation_id, name=name, args=args,
        base_version=changes.base_version, schema_version=schema_version, client_time=at, actor_id=actor.id,
        changes=outbox_changes(changes, before), status="pending", result=None,
    ))
    detail: dict[str, Any] = {"outbox_seq": seq, "rows": changes.to_dict()["rows"]}
    if changes.diff:
        detail["diff"] = changes.diff
    audit.append(session, at=at, actor_id=actor.id, device_id=actor.device_id, action=name,
                 entity=changes.entity, entity_id=changes.entity_id, detail=detail)
    return Outcome(seq, mutation_id, name, args, changes)


def run_many(store: Any, actor_id: str, calls: Iterable[tuple[str, dict[str, Any]]]) -> list[Outcome]:
    """Run several mutations by one user in ONE transaction: all are committed, or none.

    Each still gets its own outbox row and audit entry. On a DomainError nothing is written and the
    error says which call failed (``detail["index"]``).
    """
    schema_version = store.schema_version
    device_id, _code = store.device()
    outcomes: list[Outcome] = []
    with store.writer("mutation") as session:
        actor = load_actor(session, actor_id, device_id)
        for index, (name, args) in enumerate(calls):
            try:
                outcomes.append(run_in(session, actor, name, args, schema_version))
            except DomainError as exc:
                exc.detail.setdefault("index", index)
                raise
    return outcomes


def run_in(session: Session, actor: Actor, name: str, args: dict[str, Any], schema_version: str) -> Outcome:
    """Run one mutation inside the caller's writing transaction: data, outbox row and audit entry."""
    full = prepare(name, args)
    spec = get(name)
    if spec.device_args is not None:
        full = spec.device_args(session, full)
    changes = execute(session, actor, name, copy.deepcopy(full))
    before = capture_before(session, changes)
    session.flush()
    return _record(session, actor, name, full, changes, before, schema_version)


def run(store: Any, actor_id: str, name: str, args: dict[str, Any]) -> Outcome:
    """Run one mutation on the device: data, outbox row and audit entry in one transaction."""
    return run_many(store, actor_id, [(name, args)])[0]


def pending(session: Session) -> int:
    """How many changes wait to be sent to the server."""
    from sqlalchemy import func

    return session.scalar(select(func.count()).select_from(OutboxEntry).where(OutboxEntry.status == "pending")) or 0
