"""Column types: money as exact Decimal text, times as UTC text."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import String
from sqlalchemy.types import TypeDecorator

from desktop import timeutil

CENT = Decimal("0.01")


def money(value: Decimal | int | str) -> Decimal:
    """Quantise to cents with commercial rounding (half away from zero)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


class Money(TypeDecorator[Decimal]):
    """A Decimal amount stored as text, never as a float."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: object) -> str | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money must be Decimal, not float")
        return str(money(value))

    def process_result_value(self, value: str | None, dialect: object) -> Decimal | None:
        return None if value is None else Decimal(value)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as fixed-width UTC text (sorts correctly as a string)."""

    impl = String(27)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> str | None:
        return None if value is None else timeutil.to_text(value)

    def process_result_value(self, value: str | None, dialect: object) -> datetime | None:
        return None if value is None else timeutil.from_text(value)


class DecimalText(TypeDecorator[Decimal]):
    """An exact Decimal that is not an amount (a rate, a quantity, a percentage), stored as its text.

    Unlike :class:`Money` it is never rounded: a locked exchange rate of 7.1234 stays 7.1234.
    """

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: Decimal | int | str | None, dialect: object) -> str | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("exact decimals must be Decimal, not float")
        amount = Decimal(value)
        if not amount.is_finite():
            raise ValueError(f"not a finite number: {value!r}")
        text = format(amount.normalize(), "f")
        return "0" if text in ("-0", "0") else text

    def process_result_value(self, value: str | None, dialect: object) -> Decimal | None:
        return None if value is None else Decimal(value)
