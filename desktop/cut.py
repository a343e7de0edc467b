"""Lists that show at most N rows say how many there are in all ("最近 500 条，共 2,456 条").

The total is counted only when the list came back full: a shorter list is complete, and its length
is the total. The count runs the list's own conditions without its order, and stops at ``CAP``: a
count must read every row it counts, and past ten thousand the exact number tells the reader no more
than "more than 10,000" does ("最近 500 条，共 10,000 多条"), while a team's half year is 500,000 rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")
CAP = 10_000


@dataclass(frozen=True)
class Cut(Generic[T]):
    """The rows shown and how many matched in all (``total`` > len(rows): the list was cut;
    ``more``: there are more than ``total``, which is then CAP)."""

    rows: list[T]
    total: int
    more: bool = False

    @property
    def is_cut(self) -> bool:
        return self.total > len(self.rows)


def cut(session: Session, rows: list[T], query: Select[Any], limit: int) -> Cut[T]:
    """``rows`` (read with ``limit``) and how many ``query`` matches in all, up to CAP.

    ``query`` is the list's query or a lighter one with the same conditions; its order and limit are
    dropped. It runs only when the list is full.
    """
    if len(rows) < limit:
        return Cut(rows, len(rows))
    counted = session.scalar(select(func.count()).select_from(
        query.order_by(None).limit(CAP + 1).subquery())) or 0
    return Cut(rows, min(counted, CAP), counted > CAP)
