"""The app's log file, in the data folder: where an unexpected error's details go instead of the window."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

LOG_NAME = "fieldmark.log"
_handler: logging.Handler | None = None


def install(data_dir: Path) -> Path:
    """Log warnings and errors of the whole app to ``data_dir/fieldmark.log`` (kept to about 5 MB)."""
    global _handler
    path = data_dir / LOG_NAME
    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
        _handler.close()
    _handler = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=4, encoding="utf-8")
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    _handler.setLevel(logging.WARNING)
    root.addHandler(_handler)
    if root.level > logging.WARNING or root.level == logging.NOTSET:
        root.setLevel(logging.WARNING)
    return path
