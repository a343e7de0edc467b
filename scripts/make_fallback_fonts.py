"""Rebuild resources/fonts/fallback-*.ttf: the characters WenQuanYi Micro Hei lacks, cut from Debian's
Symbola (emoji, symbols) and Hanazono Mincho A and B (CJK Extensions A and B, compatibility ideographs).

Each file holds only what no font before it in the chain has, so the bundle stays small. Both licences
allow modified copies to be redistributed (see resources/fonts/README.md). Needs fonttools and the
Debian packages fonts-hanazono and fonts-symbola:

    python scripts/make_fallback_fonts.py
"""

from __future__ import annotations

from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

# Hanazono B also has Extensions C to E; Extension B (and the compatibility supplement) is what names
# and addresses use, and the rest would triple the file.
EXT_B = set(range(0x20000, 0x2A6E0)) | set(range(0x2F800, 0x2FA20))
FONTS = Path(__file__).resolve().parent.parent / "resources" / "fonts"
SOURCES = [
    # Symbola first: Hanazono A has a few emoji too, and one style for all of them reads better.
    ("fallback-symbola.ttf", "/usr/share/fonts/truetype/ancient-scripts/Symbola_hint.ttf", None),
    ("fallback-hanamin-a.ttf", "/usr/share/fonts/truetype/hanazono/HanaMinA.ttf", None),
    ("fallback-hanamin-b.ttf", "/usr/share/fonts/truetype/hanazono/HanaMinB.ttf", EXT_B),
]
# The cut fonts get family names of their own: they are not the originals, and the window must find
# the bundled copy, never an installed full font of the same name.
FAMILIES = {"fallback-symbola.ttf": "Fieldmark Symbola", "fallback-hanamin-a.ttf": "Fieldmark HanaMin A",
            "fallback-hanamin-b.ttf": "Fieldmark HanaMin B"}


def rename(font: TTFont, family: str) -> None:
    """Give ``font`` the family ``family`` (a regular face) in every name record that names it."""
    names = font["name"]
    for record in list(names.names):
        if record.nameID in (16, 17, 21, 22):  # typographic names: the plain ones below say it all
            names.removeNames(nameID=record.nameID)
    for name_id, value in ((1, family), (2, "Regular"), (3, f"{family};Regular"), (4, family),
                           (6, family.replace(" ", "") + "-Regular")):
        names.setName(value, name_id, 3, 1, 0x409)
        names.setName(value, name_id, 1, 0, 0)


def main() -> None:
    """Write the fallback fonts, each with the code points not covered before it."""
    covered = set(TTCollection(str(FONTS / "wqy-microhei.ttc")).fonts[0].getBestCmap())
    for name, source, only in SOURCES:
        font = TTFont(source)
        wanted = sorted((set(font.getBestCmap()) - covered) & (only if only is not None else set(range(0x110000))))
        options = subset.Options()
        options.hinting = False  # the PDF and the screen draw these at text sizes; hints only add bytes
        options.layout_features = []
        options.name_IDs = ["*"]  # keep the copyright and licence records
        options.notdef_outline = True
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=wanted)
        subsetter.subset(font)
        rename(font, FAMILIES[name])
        font.save(str(FONTS / name))
        covered |= set(wanted)
        print(f"{name}: {len(wanted)} code points, {(FONTS / name).stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
