"""Two revisions of a quote side by side: which terms, lines and totals changed between them.

A revision starts as a copy of the one it supersedes, then its owner edits it; what a reviewer (or the
customer asking "what changed since version 2?") wants is that edit. :func:`compare` matches the
lines of the two revisions - a line with the same product and description, in order, else the same
product at the same position (its description edited) - and reports each as added, removed, changed (with each field before and
after) or unchanged; the terms and the totals field by field. Amounts are compared as Decimals and
shown as the quote screens show them (two places for money).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop import errors
from desktop.errors import Label
from desktop.models import Quote, QuoteLine

TERMS: tuple[tuple[str, Label], ...] = (
    ("currency", Label("币种", "Currency")),
    ("vat_pct", Label("增值税（%）", "VAT (%)")),
    ("discount_pct", Label("整单折扣（%）", "Overall discount (%)")),
    ("valid_until", Label("有效期至", "Valid until")),
    ("terms", Label("条款", "Terms")),
    ("drawing_version", Label("客户图纸版本", "Customer drawing version")),
    ("locked_rate", Label("锁定汇率", "Locked exchange rate")),
    ("locked_rate_date", Label("汇率日期", "Rate date")),
)
LINE_FIELDS: tuple[tuple[str, Label], ...] = (
    ("description", Label("描述", "Description")),
    ("unit", Label("单位", "Unit")),
    ("quantity", Label("数量", "Quantity")),
    ("unit_price", Label("单价", "Unit price")),
    ("discount_pct", Label("行折扣（%）", "Line discount (%)")),
    ("net", Label("金额", "Net")),
)
TOTALS: tuple[tuple[str, Label], ...] = (
    ("gross_amount", Label("折前金额", "Gross")),
    ("subtotal", Label("小计", "Subtotal")),
    ("discount_amount", Label("整单折扣额", "Overall discount")),
    ("vat_amount", Label("增值税", "VAT")),
    ("total", Label("合计", "Total")),
)
MONEY = frozenset({"net", "gross_amount", "subtotal", "discount_amount", "vat_amount", "total"})
ADDED, REMOVED, CHANGED, SAME = "added", "removed", "changed", "same"


@dataclass(frozen=True)
class Change:
    """One field that differs: its name, label and the two values as text."""

    field: str
    label: Label
    before: str
    after: str


@dataclass(frozen=True)
class LineChange:
    """A line of either revision: ``kind`` is added, removed, changed or same; ``position`` is the
    line's number in the newer revision (the older one's for a removed line)."""

    kind: str
    position: int
    description: str
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class Comparison:
    number: str
    older: int  # revision numbers
    newer: int
    terms: tuple[Change, ...]
    lines: tuple[LineChange, ...]
    totals: tuple[Change, ...]

    @property
    def unchanged(self) -> bool:
        return not self.terms and not self.totals and all(line.kind == SAME for line in self.lines)


def revisions(session: Session, quote_id: str) -> list[tuple[str, int, str]]:
    """Every revision of the quote's number held here: (id, revision, status), oldest first."""
    quote = session.get(Quote, quote_id)
    if quote is None:
        return []
    return [(r.id, r.revision, r.status) for r in session.execute(
        select(Quote.id, Quote.revision, Quote.status).where(Quote.number == quote.number).order_by(Quote.revision))]


def compare(session: Session, older_id: str, newer_id: str) -> Comparison:
    """What changed from one revision of a quote to another (DomainError when they are not two
    revisions of one quote held here)."""
    older, newer = session.get(Quote, older_id), session.get(Quote, newer_id)
    if older is None or newer is None:
        raise errors.not_found("id", Label("报价单", "Quote"), older_id if older is None else newer_id)
    if older.number != newer.number:
        raise errors.invalid_value("id", f"{older.number} 与 {newer.number} 不是同一张报价单的版本。",
                                   f"{older.number} and {newer.number} are not revisions of one quote.")
    return Comparison(older.number, older.revision, newer.revision,
                      _changes(TERMS, older, newer), _lines(_rows(session, older.id), _rows(session, newer.id)),
                      _changes(TOTALS, older, newer))


def _rows(session: Session, quote_id: str) -> list[QuoteLine]:
    return list(session.scalars(select(QuoteLine).where(QuoteLine.quote_id == quote_id).order_by(QuoteLine.position)))


def _text(field: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:,.2f}" if field in MONEY else format(value.normalize(), "f")
    return str(value)


def _changes(fields: Sequence[tuple[str, Label]], before: Any, after: Any) -> tuple[Change, ...]:
    out = []
    for name, label in fields:
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            out.append(Change(name, label, _text(name, old), _text(name, new)))
    return tuple(out)


def _lines(before: list[QuoteLine], after: list[QuoteLine]) -> tuple[LineChange, ...]:
    """Pair the lines: the same product and description first (in order), then the same product at the
    same position. A free-text line whose text changed reads as one removed and one added."""
    pairs: dict[int, QuoteLine] = {}  # index in ``after`` -> its line in ``before``
    unmatched = list(before)
    for index, line in enumerate(after):
        match = next((old for old in unmatched
                      if old.product_id == line.product_id and old.description == line.description), None)
        if match is not None:
            pairs[index] = match
            unmatched.remove(match)
    for index, line in enumerate(after):  # the same product at the same place, its description edited
        if index not in pairs and line.product_id is not None:
            match = next((old for old in unmatched
                          if old.position == line.position and old.product_id == line.product_id), None)
            if match is not None:
                pairs[index] = match
                unmatched.remove(match)
    out = []
    for index, line in enumerate(after, 1):
        old = pairs.get(index - 1)
        if old is None:
            out.append(LineChange(ADDED, index, line.description, ()))
            continue
        changes = _changes(LINE_FIELDS, old, line)
        out.append(LineChange(CHANGED if changes else SAME, index, line.description, changes))
    for old in unmatched:
        out.append(LineChange(REMOVED, old.position, old.description, ()))
    return tuple(out)
