"""Helpers shared by the mutation modules."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop import errors
from desktop.errors import DomainError, Label
from desktop.models import Base, Customer
from desktop.mutations.registry import Changes

T = TypeVar("T", bound=Base)

CUSTOMER = Label("客户", "Customer")


def get_customer(session: Session, customer_id: str, field: str = "customer_id") -> Customer:
    customer = session.scalars(select(Customer).where(Customer.id == customer_id)).first()
    if customer is None or customer.deleted_at is not None:
        raise errors.not_found(field, CUSTOMER, customer_id)
    return customer


def ensure_new(session: Session, model: type[T], row_id: str, label: Label) -> None:
    """Refuse an id that already exists (a replayed create must not make a twin)."""
    if session.scalars(select(model).where(model.id == row_id)).first() is not None:  # type: ignore[attr-defined]
        raise errors.conflict("id", f"{label.zh}（{row_id}）已存在。", f"{label.en} {row_id} already exists.")


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
