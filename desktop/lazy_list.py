"""A list whose items are made from raw rows when first read: a long list (an approvals inbox of ten
thousand quotes) is decided from the rows as the database returns them, and only the rows a window
shows, or a caller reads, become full items.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")


class LazyList(Sequence[T], Generic[T]):
    """The items ``make(row)`` for each of ``rows``, each made once, when first read."""

    __slots__ = ("_rows", "_make", "_made")

    def __init__(self, rows: Sequence[Any], make: Callable[[Any], T]) -> None:
        self._rows = rows
        self._make = make
        self._made: list[T | None] = [None] * len(rows)

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self._rows)))]
        item = self._made[index]
        if item is None:
            item = self._made[index] = self._make(self._rows[index])
        return item

    def __iter__(self) -> Iterator[T]:
        for index in range(len(self._rows)):
            yield self[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return len(other) == len(self) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  (mutable, as a list)

    def raw(self, index: int) -> Any:
        """The row an item is made from, without making it (to search a long list cheaply)."""
        return self._rows[index]

    def __repr__(self) -> str:
        return f"LazyList({len(self._rows)} rows)"
