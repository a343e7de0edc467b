"""What counts as valid text, and the folded forms used to compare, search and de-duplicate it.

One module for desktop and server alike: the mutations store the derived forms (desktop.sort_keys
for the pinyin sort key), so both sides compute them with the same code (docs/design-core.md,
"Chinese text").
"""

from __future__ import annotations

import re
import unicodedata

# Lone surrogates cannot be encoded as UTF-8 (SQLite, PostgreSQL and every file refuse them);
# noncharacters are reserved "never interchange" code points (U+FDD0-U+FDEF and U+xxFFFE/U+xxFFFF).
_INVALID = re.compile("[\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
                      + "".join(f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}"
                                for plane in range(1, 17)) + "]")
# Invisible characters that copy-paste from web pages and Excel leaves in names: zero-width space,
# non-joiner, joiner, word joiner and the byte-order mark.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_SPACE = re.compile(r"\s+")
_NOT_PHONE = re.compile(r"[^0-9+]")


def has_invalid_code_points(value: str) -> bool:
    """True if value holds a lone surrogate or a noncharacter: text that cannot be stored or sent."""
    return _INVALID.search(value) is not None


def printable(value: str) -> str:
    """value with every invalid code point replaced by U+FFFD, safe to echo in a message or store."""
    return _INVALID.sub("\ufffd", value)


def fold(value: str) -> str:
    """NFKC: full-width letters, digits and brackets become their ordinary forms (ＡＢＣ１２３ -> ABC123)."""
    return unicodedata.normalize("NFKC", value)


def clean_name(value: str) -> str:
    """A name as stored: the invisible characters removed and runs of whitespace made one space.

    Width and brackets stay as typed (a company's registered name may use full-width brackets).
    """
    return _SPACE.sub(" ", _INVISIBLE.sub("", value)).strip()


def name_key(value: str) -> str:
    """The form two customer names are compared in for the duplicate check.

    NFKC (full-width and half-width the same, （）-> ()), invisible characters and every space
    removed (``苏州 恒通`` is ``苏州恒通``), Latin case-folded.
    """
    return _SPACE.sub("", fold(_INVISIBLE.sub("", value))).casefold()


def phone_digits(value: str) -> str:
    """A phone number as its digits alone, without China's country code: ``+86 138-0013-8000`` -> ``13800138000``.

    Extensions and anything else typed stay as digits; a number written ``0086`` or ``+86`` loses it.
    """
    compact = _NOT_PHONE.sub("", fold(value))  # digits and "+": "(0086) 138…" starts with 0086
    digits = compact.replace("+", "")
    if compact.startswith("+86"):
        return digits[2:]
    if compact.startswith("0086"):  # no area code in China begins 008
        return digits[4:]
    return digits
