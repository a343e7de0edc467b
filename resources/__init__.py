"""Bundled assets: fonts, demo vocabulary, translations, icons. Located with importlib.resources."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def path(*parts: str) -> Path:
    """Filesystem path of a bundled resource."""
    return Path(str(resources.files(__name__).joinpath(*parts)))


CJK_FONT = ("fonts", "wqy-microhei.ttc")
