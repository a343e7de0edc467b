"""Stored sort keys that put names in the order Chinese users expect: by pinyin.

The key is plain text, compared code point by code point (SQLite's BINARY collation, an index on
the column), made of three parts separated by a space:

    张三  ->  "zhang!san 11 张三"
    ABB（中国）有限公司  ->  "abb!zhong!guo!you!xian!gong!si 0123411 ABB（中国）有限公司"

1. the words, separated by ``!``: each Chinese character its toneless pinyin, each run of Latin
   letters one word case-folded, each run of digits one word padded to 12 digits (so 2号 sorts
   before 10号); full-width forms are folded first (NFKC). Punctuation and spaces only separate words.
   Chinese and Latin therefore interleave by letter (阿里 next to Alibaba), digits come before
   letters, and a word in any other script (or a character pypinyin cannot read) after ``z``.
2. the tones, one digit per word (0 for a word that is not Chinese): 妈 before 马 when all else is equal.
3. the name itself, so different names never tie and equal names sort together.

``!`` (0x21) separates words and a space (0x20) ends the words, so a name that is a prefix of
another sorts first (李 before 李明). Company names are read with pypinyin's phrase dictionary (重庆
is chóng qìng); person names read their surname from desktop.surname_readings first (曾 zēng).
"""

from __future__ import annotations

import re
from functools import lru_cache

from pypinyin import Style, pinyin
from pypinyin.seg.simpleseg import seg

from desktop.surname_readings import COMPOUND, SINGLE
from desktop.text_rules import fold

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")
_WORD = re.compile(r"[a-z]+|[0-9]+|[^\W0-9_a-z]+")
_OTHER = "~"  # after z: words in other scripts
DIGITS = 12


@lru_cache(maxsize=65536)
def _han_reading(word: str) -> tuple[str, ...]:
    # One word of the segmenter at a time: company names share most of their words (有限公司, 科技),
    # so the cache answers most of them, and the phrase dictionary still sees whole words.
    return tuple(item[0] for item in pinyin(word, style=Style.TONE3, neutral_tone_with_five=True,
                                            errors=lambda chars: [_OTHER + c for c in chars]))


def _han(run: str) -> list[str]:
    out: list[str] = []
    for word in seg(run):
        out.extend(_han_reading(word))
    return out


def _syllable(reading: str) -> tuple[str, str]:
    if reading[-1:].isdigit():
        return reading[:-1], reading[-1]
    return reading, "0"


def _words(text: str, surname: bool) -> list[tuple[str, str]]:
    words: list[tuple[str, str]] = []
    pos = 0
    for match in _HAN.finditer(text):
        words += _plain(text[pos:match.start()])
        run = match.group()
        readings: list[str] = []
        if surname and not words:
            surname = False
            if run[:2] in COMPOUND:
                readings, run = list(COMPOUND[run[:2]]), run[2:]
            elif run[:1] in SINGLE:
                readings, run = [SINGLE[run[0]]], run[1:]
        words += [_syllable(r) for r in readings + (_han(run) if run else [])]
        pos = match.end()
    return words + _plain(text[pos:])


def _plain(text: str) -> list[tuple[str, str]]:
    out = []
    for word in _WORD.findall(text.casefold()):
        if word.isdigit():
            out.append((word.zfill(DIGITS), "0"))
        elif word.isascii():
            out.append((word, "0"))
        else:
            out.append((_OTHER + word, "0"))
    return out


def _key(name: str, person: bool) -> str:
    text = fold(name).strip()
    words = _words(text, person)
    return f"{'!'.join(w for w, _ in words)} {''.join(t for _, t in words)} {name}"


def company_key(name: str) -> str:
    """The sort key of a customer (company) name."""
    return _key(name, person=False)


def person_key(name: str) -> str:
    """The sort key of a person's name (contacts, users): the surname read as a surname."""
    return _key(name, person=True)
