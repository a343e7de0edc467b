"""A published exchange rate and the protocol every rate provider follows."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from desktop.errors import DomainError

SOURCES = ("cfets", "csv", "manual", "server")
# "USD/CNY": one unit of the first currency costs ``rate`` units of the second. CFETS also quotes
# "100JPY/CNY" (per 100 yen); the unit prefix is kept as published, never divided away.
_PAIR = re.compile(r"^(\d*)([A-Z]{3})/([A-Z]{3})$")
# Decimals CFETS publishes each pair's central parity with; 4 for any pair not listed.
PUBLISHED_DECIMALS = {"USD/CNY": 4, "EUR/CNY": 4, "100JPY/CNY": 4, "HKD/CNY": 5}


def normalise_pair(pair: str) -> str:
    """The pair in canonical form ("usd/cny " -> "USD/CNY"); refuses anything else."""
    text = pair.strip().upper() if isinstance(pair, str) else ""
    match = _PAIR.match(text)
    if match is None or match.group(2) == match.group(3):
        raise DomainError("invalid_pair", f"货币对“{pair}”无效，应写作“USD/CNY”这样的形式。",
                          f"Currency pair {pair!r} is not valid; write it like 'USD/CNY'.", "pair")
    return text


def published_decimals(pair: str) -> int:
    """How many decimals the central parity of ``pair`` is published with."""
    return PUBLISHED_DECIMALS.get(normalise_pair(pair), 4)


def rate_text(value: Decimal, pair: str = "USD/CNY") -> str:
    """A rate with at least the decimals its pair is published with (7.16 reads 7.1600); a rate
    recorded with more keeps them all, so no digit the drift was measured with is hidden."""
    places = published_decimals(pair)
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent < places:
        value = value.quantize(Decimal(1).scaleb(-places))
    return f"{value:f}"


@dataclass(frozen=True)
class Rate:
    """One published rate: ``rate`` units of the quote currency per unit of the base currency.

    ``rate`` keeps the precision it was published with (the USD/CNY central parity has four
    decimals: Decimal("7.1234"), never 7.12340 or a float). ``rate_date`` is the publication date;
    ``published_at`` the aware moment of publication when the source says it (09:15 Beijing time for
    the central parity), else None.
    """

    pair: str
    rate: Decimal
    rate_date: date
    source: str
    published_at: datetime | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.rate, Decimal) or not self.rate.is_finite() or self.rate <= 0:
            raise ValueError(f"rate must be a positive finite Decimal, not {self.rate!r}")
        if isinstance(self.rate_date, datetime) or not isinstance(self.rate_date, date):
            raise ValueError(f"rate_date must be a date, not {self.rate_date!r}")
        if self.source not in SOURCES:
            raise ValueError(f"unknown rate source {self.source!r}")
        if self.published_at is not None and self.published_at.tzinfo is None:
            raise ValueError("published_at must be timezone-aware")
        object.__setattr__(self, "pair", normalise_pair(self.pair))

    @property
    def decimals(self) -> int:
        """How many decimals the rate was published with."""
        exponent = self.rate.as_tuple().exponent
        return -exponent if isinstance(exponent, int) and exponent < 0 else 0


class RateProvider(Protocol):
    """Where rates come from: the CFETS publication, finance's CSV file, manual entry, the server."""

    def latest(self, pair: str, on: date) -> Rate | None:
        """The newest rate for ``pair`` published on or before ``on``, or None when there is none."""
        ...

    def history(self, pair: str, start: date, end: date) -> list[Rate]:
        """Every rate for ``pair`` published from ``start`` to ``end`` inclusive, oldest first."""
        ...


class StaticRates:
    """A provider over rates already in memory (a parsed file or response); satisfies RateProvider."""

    def __init__(self, rates: list[Rate]) -> None:
        self._rates = sorted(rates, key=lambda r: (r.pair, r.rate_date))

    def latest(self, pair: str, on: date) -> Rate | None:
        """The newest rate for ``pair`` dated on or before ``on``."""
        wanted = normalise_pair(pair)
        found = [r for r in self._rates if r.pair == wanted and r.rate_date <= on]
        return found[-1] if found else None

    def history(self, pair: str, start: date, end: date) -> list[Rate]:
        """The rates for ``pair`` dated from ``start`` to ``end``, oldest first."""
        wanted = normalise_pair(pair)
        return [r for r in self._rates if r.pair == wanted and start <= r.rate_date <= end]
