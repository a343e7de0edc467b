"""Qt signal helpers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QObject


@contextmanager
def blocked(obj: QObject) -> Iterator[None]:
    """Block obj's signals inside the block, then restore the previous state.

    Use this instead of QSignalBlocker: in PySide6 6.12 every QSignalBlocker (as a context manager
    or with unblock()) drops a reference to None it never took, and after a few thousand uses the
    interpreter aborts with "none_dealloc: deallocating None" (or, at exit, "bool_dealloc").
    """
    previous = obj.blockSignals(True)
    try:
        yield
    finally:
        obj.blockSignals(previous)
