"""Guards against a broken Qt binding: the app emits a signal for every database op."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    sig = Signal(object)


def test_emitting_signals_does_not_leak_or_steal_references(qapp):
    """PySide6 6.12.0 dropped a reference to True on every emit and aborted after a few thousand
    (pyproject.toml excludes it); a release with the same fault fails here instead of in the app."""
    emitter = _Emitter()
    received = []
    emitter.sig.connect(received.append)
    before = sys.getrefcount(True), sys.getrefcount(None)
    for i in range(20_000):
        emitter.sig.emit(i)
    after = sys.getrefcount(True), sys.getrefcount(None)
    assert len(received) == 20_000
    assert abs(after[0] - before[0]) < 100 and abs(after[1] - before[1]) < 100
