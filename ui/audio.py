"""The recording player shared by the visit dialog and the visit review."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject


def make_player(parent: QObject) -> Any:
    """A QMediaPlayer owned by ``parent``, or None when Qt Multimedia is not available here.

    With no audio output device (a desk without sound, a test machine) the player gets no audio
    output and keeps time silently: an output made for a missing device could hang ``stop()`` inside
    the FFmpeg backend, holding the GIL (it did, in tests).
    """
    try:
        from PySide6.QtMultimedia import QAudioOutput, QMediaDevices, QMediaPlayer
    except ImportError:
        return None
    player = QMediaPlayer(parent)
    if QMediaDevices.audioOutputs():
        output = QAudioOutput(player)
        player.setAudioOutput(output)
    return player
