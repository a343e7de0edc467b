"""Bundled assets: fonts, demo vocabulary, translations, icons. Located with importlib.resources."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def path(*parts: str) -> Path:
    """Filesystem path of a bundled resource."""
    return Path(str(resources.files(__name__).joinpath(*parts)))


CJK_FONT = ("fonts", "wqy-microhei.ttc")
# Behind the CJK font, in the order they are tried: (family name, file under fonts/).
FALLBACK_FONTS = (
    ("FieldmarkSymbola", "fallback-symbola.ttf"),
    ("FieldmarkHanaMinA", "fallback-hanamin-a.ttf"),
    ("FieldmarkHanaMinB", "fallback-hanamin-b.ttf"),
)
