"""Helpers shared by the mutation modules."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import event, select, union_all
from sqlalchemy.orm import Session

from desktop import errors
from desktop.errors import DomainError, Label
from desktop.models import (
    Approval,
    ApprovalPolicy,
    Attachment,
    Base,
    Contact,
    Customer,
    ExchangeRate,
    Product,
    Quote,
    QuoteLine,
    Touchpoint,
    User,
)
from desktop.mutations.registry import Changes

T = TypeVar("T", bound=Base)

CUSTOMER = Label("客户", "Customer")

# session.info keys of a batch session (see hold_rows)
HELD = "fieldmark.held_rows"  # {(model, id): row} for every row the session holds
ABSENT = "fieldmark.absent_ids"  # ids found in none of NEW_ROW_MODELS when the batch began
NEW_ROW_MODELS: tuple[type[Base], ...] = (User, Customer, Contact, Touchpoint, Attachment, Product, ExchangeRate,
                                          ApprovalPolicy, Quote, QuoteLine, Approval)


def by_id(session: Session, model: type[T], row_id: str) -> T | None:
    """The row of ``model`` whose ``id`` is row_id, or None.

    ``id`` is not the primary key of every table (searched tables have ``rid``), so ``Session.get``
    cannot serve. A batch session (:func:`hold_rows`) answers from the rows it holds and the ids known
    to be new without asking the database; any other session asks it every time.
    """
    held = session.info.get(HELD)
    if held is not None:
        row = held.get((model, row_id))
        if row is not None and row in session:
            return row  # type: ignore[no-any-return]
        absent = session.info.get(ABSENT)
        if absent is not None and model in NEW_ROW_MODELS and row_id in absent:
            return None
    return session.scalars(select(model).where(model.id == row_id)).first()  # type: ignore[attr-defined]


def hold_rows(session: Session) -> None:
    """Make ``session`` keep every row it loads or writes, indexed by id, until it closes.

    For a session that runs a batch of mutations (the server's push): a row looked up by one mutation
    is found in memory by the next. The rows are the session's own objects, so they always show the
    batch's latest changes; a savepoint rolled back expires what it changed (re-read on next access)
    and takes the rows it created out of the session, and so out of the index.
    """
    held: dict[tuple[type, str], Any] = {}
    session.info[HELD] = held

    def keep(_session: Session, row: Any) -> None:
        row_id = vars(row).get("id")
        if row_id is not None:
            held[(type(row), row_id)] = row

    def drop(_session: Session, row: Any) -> None:
        row_id = vars(row).get("id")
        keys = [(type(row), row_id)] if row_id is not None else [k for k, v in held.items() if v is row]
        for key in keys:  # (the id of an expired row is no longer in its __dict__)
            if held.get(key) is row:
                del held[key]

    for name in ("pending_to_persistent", "loaded_as_persistent", "detached_to_persistent", "deleted_to_persistent"):
        event.listen(session, name, keep)
    for name in ("persistent_to_transient", "persistent_to_deleted", "persistent_to_detached"):
        event.listen(session, name, drop)


def note_new_ids(session: Session, ids: Iterable[str]) -> None:
    """For a batch session (:func:`hold_rows`): find in one query which of ``ids`` (the new ids the
    batch's mutations carry) exist in no table yet, so that ensure_new need not ask for each of them.

    A row the batch then creates is held by the session, which :func:`by_id` consults first; call
    :func:`not_new` for any row a mutation wrote without the session.
    """
    wanted = {i for i in ids if isinstance(i, str)}
    found: set[str] = set()
    if wanted:
        found = set(session.scalars(union_all(*(select(m.id).where(m.id.in_(wanted))  # type: ignore[attr-defined]
                                                for m in NEW_ROW_MODELS))))
    session.info[ABSENT] = wanted - found


def not_new(session: Session, ids: Iterable[str]) -> None:
    """These ids exist now: by_id must not answer None for them from the batch's list of new ids."""
    absent = session.info.get(ABSENT)
    if absent:
        absent.difference_update(ids)


def get_customer(session: Session, customer_id: str, field: str = "customer_id") -> Customer:
    customer = by_id(session, Customer, customer_id)
    if customer is None or customer.deleted_at is not None:
        raise errors.not_found(field, CUSTOMER, customer_id, customer.name if customer is not None else None)
    return customer


def ensure_new(session: Session, model: type[T], row_id: str, label: Label) -> None:
    """Refuse an id that already exists (a replayed create must not make a twin)."""
    if by_id(session, model, row_id) is not None:
        raise errors.conflict("id", f"这条{label.zh}已经存在（同一修改不会做两次）。",
                              f"This {label.en.lower()} exists already (the same change is never made twice).")


def inserted(session: Session, entity: str, row: Any) -> Changes:
    """Add a new row (at version 1) and the Changes that say so."""
    session.add(row)
    changes = Changes(entity, row.id)
    changes.touch(row.__tablename__, row.id, "insert", 1)
    return changes


def updated(entity: str, row: Any, values: dict[str, Any], names: tuple[str, ...], at: Any) -> Changes:
    """Set the given fields on row, recording [before, after] for each that really changes.

    Bumps the row's version once if anything changed; refuses an edit that changes nothing.
    """
    changes = Changes(entity, row.id, base_version=row.version)
    for name in names:
        if name in values and getattr(row, name) != values[name]:
            before = getattr(row, name)
            changes.diff[name] = [_jsonable(before), _jsonable(values[name])]
            setattr(row, name, values[name])
    if not changes.diff:
        raise DomainError("no_change", "没有需要保存的修改。", "Nothing was changed.")
    row.updated_at = at
    row.version += 1
    changes.touch(row.__tablename__, row.id, "update", row.version)
    return changes


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if hasattr(value, "isoformat"):
        from desktop.timeutil import to_text

        return to_text(value)
    return str(value)
