"""A quote's money: line nets, subtotal, overall discount, VAT and total, in the quote's currency.

Pure Decimal arithmetic, no floats anywhere. Amounts are rounded half-up (half away from zero, the
commercial rule, not Python's banker's rounding) to 0.01 at exactly these points, and nowhere else:

1. each line's net = quantity x unit price x (1 - line discount %/100), rounded - the PDF shows each
   line, and the lines shown must add up to the subtotal shown;
2. subtotal = the sum of the rounded line nets (exact);
3. overall discount amount = subtotal x overall discount %/100, rounded;
4. net = subtotal - overall discount amount (exact);
5. VAT = net x VAT %/100, rounded;
6. total = net + VAT (exact).

``gross_amount`` (quantity x unit price summed, before any discount, rounded once) is what the effective
discount the approval policy looks at is measured against.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal("0.00")
# The largest line net, gross amount or total a quote may reach: what the PDF's amount cells print at
# its font size (and well inside the 10^16 the capital-amount wording goes to).
MAX_AMOUNT = Decimal("999999999999.99")


def round_money(amount: Decimal) -> Decimal:
    """Round to cents, half away from zero."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Line:
    quantity: Decimal
    unit_price: Decimal
    discount_pct: Decimal = Decimal(0)


@dataclass(frozen=True)
class Totals:
    line_nets: tuple[Decimal, ...]
    gross_amount: Decimal  # the lines at their unit prices, before any discount (rounded)
    subtotal: Decimal
    discount_amount: Decimal
    net_amount: Decimal
    vat_amount: Decimal
    total: Decimal

    @property
    def effective_discount_pct(self) -> Decimal:
        """How far below gross the net is, in percent (exact; 0 for an empty quote)."""
        if self.gross_amount == 0:
            return Decimal(0)
        return (self.gross_amount - self.net_amount) * HUNDRED / self.gross_amount


def line_net(line: Line) -> Decimal:
    """Rounding point 1."""
    return round_money(line.quantity * line.unit_price * (1 - line.discount_pct / HUNDRED))


def totals(lines: Iterable[Line], discount_pct: Decimal, vat_pct: Decimal) -> Totals:
    """Every amount of a quote from its lines and terms (see the module docstring for the rounding)."""
    lines = list(lines)
    nets = tuple(line_net(line) for line in lines)
    gross = round_money(sum((line.quantity * line.unit_price for line in lines), Decimal(0)))
    subtotal = sum(nets, ZERO)
    discount_amount = round_money(subtotal * discount_pct / HUNDRED)
    net_amount = subtotal - discount_amount
    vat_amount = round_money(net_amount * vat_pct / HUNDRED)
    return Totals(nets, gross, subtotal, discount_amount, net_amount, vat_amount, net_amount + vat_amount)
