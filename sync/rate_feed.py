"""The central server's rate feed as a rate provider (desktop.fx.rates.RateProvider).

Rates the server holds also reach every desktop's cache with the pull; this provider asks the
server directly, for a desktop that wants the server's view now (and to keep the providers behind
one interface: CFETS, a CSV file, manual entry and the server).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from desktop.fx.rates import SOURCES, Rate, normalise_pair
from sync.client import SyncClient

LOOK_BACK = timedelta(days=30)  # "latest" looks this far back: longer than any holiday without a parity


class ServerRates:
    """Rates from the server's feed; satisfies RateProvider. Network errors are the client's
    (sync.client.SyncError with messages in both languages)."""

    def __init__(self, client: SyncClient) -> None:
        self.client = client

    def history(self, pair: str, start: date, end: date) -> list[Rate]:
        """The server's rates for ``pair`` from ``start`` to ``end``, oldest first, one per date (the
        newest fetched when several sources give a date)."""
        wanted = normalise_pair(pair)
        by_date: dict[date, Rate] = {}
        for row in self.client.rate_feed(wanted, start, end):
            rate = _rate(row)
            if rate is not None and rate.pair == wanted:
                by_date[rate.rate_date] = rate  # the feed is ordered by date, then fetch time
        return [by_date[d] for d in sorted(by_date)]

    def latest(self, pair: str, on: date) -> Rate | None:
        """The server's newest rate for ``pair`` dated on or before ``on``."""
        found = self.history(pair, on - LOOK_BACK, on)
        return found[-1] if found else None


def _rate(row: Any) -> Rate | None:
    """A feed row as a Rate; a malformed row is skipped rather than trusted."""
    if not isinstance(row, dict):
        return None
    try:
        source = row.get("source")
        return Rate(str(row["pair"]), Decimal(str(row["rate"])), date.fromisoformat(str(row["rate_date"])),
                    source if source in SOURCES else "server")
    except (KeyError, ValueError, InvalidOperation, TypeError):
        return None
