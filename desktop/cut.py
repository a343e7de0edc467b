"""Lists that show at most N rows say how many there are in all ("最近 500 条，共 2,456 条").

The total is counted only when the list came back full: a shorter list is complete, and its length
is the total. The count runs the list's own query without its order and limit, so it uses the same
index and reads no row the list would not have matched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")


@dataclass(frozen=True)
class Cut(Generic[T]):
    """The rows shown and how many matched in all (``total`` > len(rows): the list was cut)."""

    rows: list[T]
    total: int

    @property
    def is_cut(self) -> bool:
        return self.total > len(self.rows)


def total(session: Session, query: Select[Any], shown: int, limit: int) -> int:
    """How many rows ``query`` (the list's query, limit and all) matches, counting only when ``shown``
    reached ``limit``."""
    if shown < limit:
        return shown
    return session.scalar(select(func.count()).select_from(query.order_by(None).limit(None).subquery())) or 0
