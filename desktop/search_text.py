"""Search text for Chinese (and any other script), indexed by SQLite FTS5's unicode61 tokenizer.

FTS5's trigram tokenizer cannot answer queries shorter than three characters, and Chinese has no
spaces between words, so a two-character word such as ``铭牌`` is invisible to both stock
tokenizers. We index every field as its overlapping character bigrams plus its last character:

    设备铭牌照片  ->  设备 备铭 铭牌 牌照 照片 片

Fields are joined by a line break, so the bigram that spans two fields ends up as the first
field's last character alone. unicode61 then lower-cases the bigrams and drops punctuation and
spaces (``况，`` becomes ``况``).

- a term of two or more characters becomes the phrase of its bigrams (``铭牌照`` -> ``"铭牌 牌照"``),
  which matches exactly where those characters are contiguous in the text: substring search, for
  Chinese and Latin alike (``aser`` finds ``Laser``);
- a single character becomes a prefix query (``铭*``), which the trailing character makes complete.

Text and query are both NFKC-folded first (desktop.text_rules.fold): full-width ＡＢＣ１２３ typed
with a Chinese input method finds ABC123, and the reverse.

Every query is answered from the index; none scans the table. Changing this expansion changes what
is indexed, so it needs a migration that rebuilds the search tables (0002, then 0007 for the folding).
"""

from __future__ import annotations

import operator

from desktop.text_rules import fold


def _bigrams(text: str) -> str:
    # Each character joined to the next: the same as re.findall(r"(?=(..))", text, re.DOTALL), a
    # third faster (a first pull makes the texts of a million touchpoints).
    return " ".join(map(operator.add, text, text[1:]))


def index_text(*parts: str | None) -> str:
    """The text to put in the search index for the given field values."""
    text = fold("\n".join([part for part in parts if part]))
    return _bigrams(text) + " " + text[-1] if text else ""


def _trim(word: str) -> str:
    start, end = 0, len(word)
    while start < end and not word[start].isalnum():
        start += 1
    while end > start and not word[end - 1].isalnum():
        end -= 1
    return word[start:end]


def _quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def match_expression(query: str) -> str | None:
    """An FTS5 MATCH expression for what the user typed, or None when there is nothing to search.

    Whitespace-separated terms must all match (AND); within a term, characters must be contiguous.
    Punctuation around a term is dropped (``“铭牌”``, ``(铭牌)`` and ``铭牌，`` search for ``铭牌``): kept,
    its bigrams would ask for the term to be followed or preceded by punctuation in the text.
    """
    clauses = []
    for word in fold(query).split():
        term = _trim(word)
        if not term:
            continue  # punctuation alone is not indexed
        clauses.append(_quote(term) + "*" if len(term) == 1 else _quote(_bigrams(term)))
    return " AND ".join(clauses) if clauses else None
