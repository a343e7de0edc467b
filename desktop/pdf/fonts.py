"""The PDF's font chain: WenQuanYi Micro Hei first, then fallback fonts for what it lacks (emoji and
symbols from Symbola, CJK Extension A and B from Hanazono Mincho), chosen character by character.

Text is cut into runs, each in the first font of the chain that has every character of it; a
character that no font has is drawn as ``MARKER`` instead, and ``unprintable`` names it so whoever
prints can say which record holds it. Invisible formatting characters (variation selectors, joiners)
are left out of the drawing rather than marked: they have no glyph of their own in any font.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from functools import cache, lru_cache
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

import resources

__all__ = ["FONT_NAME", "CHAIN", "MARKER", "register_fonts", "font_for", "runs", "markup", "unprintable",
           "string_width", "draw_string", "needs_fallback"]

FONT_NAME = "WenQuanYiMicroHei"
# (reportlab name, file under resources/fonts, face index in a collection)
CHAIN: tuple[tuple[str, str, int], ...] = (
    (FONT_NAME, resources.CJK_FONT[1], 0),
    *((name, file, 0) for name, file in resources.FALLBACK_FONTS),
)
MARKER = "□"  # U+25A1 WHITE SQUARE, in the main font: a box where a character could not be printed


def _to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """reportlab's ToUnicode map, with characters beyond U+FFFF written as UTF-16 surrogate pairs.

    reportlab writes the code point itself ("<20000>"), which is not valid UTF-16, so a PDF reader
    extracts nothing (or NUL) for an Extension B name; the rest of the map is as reportlab makes it.
    """
    def utf16(code: int) -> str:
        return chr(code).encode("utf-16-be", "surrogatepass").hex().upper()

    return "\n".join([
        "/CIDInit /ProcSet findresource begin", "12 dict begin", "begincmap", "/CIDSystemInfo",
        f"<< /Registry ({fontname})", f"/Ordering ({fontname})", "/Supplement 0", ">> def",
        f"/CMapName /{fontname} def", "/CMapType 2 def", "1 begincodespacerange",
        f"<00> <{len(subset) - 1:02X}>", "endcodespacerange", f"{len(subset)} beginbfchar",
        *(f"<{i:02X}> <{utf16(v)}>" for i, v in enumerate(subset)),
        "endbfchar", "endcmap", "CMapName currentdict /CMap defineresource pop", "end", "end",
    ])


ttfonts.makeToUnicodeCMap = _to_unicode_cmap  # used when a subset is written into the PDF


@cache
def _covered(name: str) -> frozenset[int]:
    """Register one font of the chain with reportlab (once) and return the code points it has.

    Fonts are loaded when first needed: a quote in everyday Chinese never loads the fallbacks (the
    Extension B one alone takes a few hundred milliseconds to read)."""
    file, index = next((f, i) for n, f, i in CHAIN if n == name)
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, str(resources.path("fonts", file)), subfontIndex=index))
        # The faces have no bold or italic: map them to themselves so <b> in a paragraph cannot fail.
        pdfmetrics.registerFontFamily(name, normal=name, bold=name, italic=name, boldItalic=name)
    return frozenset(pdfmetrics.getFont(name).face.charToGlyph)


def register_fonts(main_only: bool = False) -> tuple[str, ...]:
    """Register the fonts of the chain with reportlab (each once); returns their names in chain order."""
    names = tuple(name for name, _file, _index in CHAIN)[:1 if main_only else None]
    for name in names:
        _covered(name)
    return names


def _invisible(char: str) -> bool:
    # Format characters (ZWJ, ZWNJ, BOM, direction marks) and variation selectors draw nothing.
    code = ord(char)
    return unicodedata.category(char) == "Cf" or 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF


@lru_cache(maxsize=4096)
def font_for(char: str) -> str | None:
    """The first font of the chain with a glyph for ``char``; None when none has one."""
    code = ord(char)
    for name, _file, _index in CHAIN:
        if code in _covered(name):
            return name
    return None


def needs_fallback(text: str) -> bool:
    """Whether any character of ``text`` is missing from the main font."""
    main = _covered(FONT_NAME)
    return any(ord(char) not in main for char in text if char not in "\n\r\t")


def runs(text: str) -> Iterator[tuple[str, str]]:
    """``text`` as (font name, text) runs; unprintable characters come out as MARKER in the main font."""
    current, buffer = FONT_NAME, []
    for char in text:
        font = font_for(char) if char not in "\n\r\t" else current
        if font is None:
            if _invisible(char):
                continue
            font, char = FONT_NAME, MARKER
        if font != current and buffer:
            yield current, "".join(buffer)
            buffer = []
        current = font
        buffer.append(char)
    if buffer:
        yield current, "".join(buffer)


def markup(text: str) -> str:
    """Paragraph markup for ``text``: escaped, line breaks kept, fallback runs in <font> tags."""
    def one(value: str) -> str:
        return escape(value).replace("\r\n", "\n").replace("\n", "<br/>")

    if not needs_fallback(text):
        return one(text)
    return "".join(one(part) if font == FONT_NAME else f'<font name="{font}">{one(part)}</font>'
                   for font, part in runs(text))


def unprintable(text: str) -> str:
    """The characters of ``text`` that no font of the chain can draw, each once, in order."""
    if not needs_fallback(text):
        return ""
    return "".join(dict.fromkeys(c for c in text if c not in "\n\r\t" and font_for(c) is None
                                 and not _invisible(c)))


def string_width(text: str, size: float) -> float:
    """The width of ``text`` at ``size`` points as drawn through the chain."""
    return sum(pdfmetrics.stringWidth(part, font, size) for font, part in runs(text))


def draw_string(canvas: Canvas, x: float, y: float, text: str, size: float, align: str = "left") -> None:
    """Draw one line of text on a canvas through the chain; ``align`` is left, centre or right of ``x``."""
    if align == "right":
        x -= string_width(text, size)
    elif align == "centre":
        x -= string_width(text, size) / 2
    for font, part in runs(text):
        canvas.setFont(font, size)
        canvas.drawString(x, y, part)
        x += pdfmetrics.stringWidth(part, font, size)
