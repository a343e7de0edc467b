"""The server's rate feed: finance or an admin imports a rates file or fetches the CFETS central
parity here, and every desktop receives the rates on its next pull.

Each rate is recorded through ``rate.record``, the mutation a desktop would push, under the person
who asked (so the same rule decides who may record rates, and the audit trail names them), in one
serialised transaction with its change-log entries. The same pair, date and source again corrects
the stored rate; an unchanged rate writes nothing. With ``serve --fetch-rates-as USER`` the server
fetches by itself each morning after the 09:15 publication (:class:`DailyFetch`).
"""

from __future__ import annotations

import copy
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, func, select

from desktop import mutations, timeutil
from desktop.errors import DomainError
from desktop.fx import csv_rates
from desktop.fx.calendar import expected_rate_date
from desktop.fx.rates import Rate, published_decimals
from desktop.models import ExchangeRate, User
from desktop.mutations import rates as rate_mutations
from desktop.mutations.registry import load_actor
from sync.server import changes
from sync.server.db import reading, writing

SERVER_DEVICE = "server"  # the actor's device for changes the server makes at someone's request
MAX_DAYS = 366


@dataclass
class Recorded:
    """What an import or fetch did: rates new or corrected, rates already held, rows not read."""

    recorded: int = 0
    unchanged: int = 0
    problems: list[csv_rates.RowProblem] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"recorded": self.recorded, "unchanged": self.unchanged,
                "problems": [{"row": p.row, "column": p.column, "message_zh": p.message_zh,
                              "message_en": p.message_en} for p in self.problems]}


def record(engine: Engine, user_id: str, found: Iterable[Rate]) -> Recorded:
    """Record ``found`` as ``user_id``; refused as a whole (DomainError) when the user may not."""
    result = Recorded()
    with writing(engine) as session:
        actor = load_actor(session, user_id, SERVER_DEVICE)
        log: list[dict[str, Any]] = []
        for rate in found:
            args = mutations.prepare("rate.record", {
                "pair": rate.pair, "rate": str(rate.rate), "rate_date": rate.rate_date.isoformat(),
                "source": rate.source,
                **({"fetched_at": timeutil.to_text(rate.published_at)} if rate.published_at else {})})
            try:
                with session.begin_nested():
                    outcome = mutations.execute(session, actor, "rate.record", copy.deepcopy(args))
                    session.flush()
            except DomainError as exc:
                if exc.code != "no_change":
                    raise
                result.unchanged += 1
                continue
            log += changes.entries(session, "exchange_rates", [r.id for r in outcome.rows])
            result.recorded += 1
        changes.write(session, log)
    return result


def import_file(engine: Engine, user_id: str, data: bytes, on: date | None = None) -> Recorded:
    """Record the good rows of a rates file (desktop.fx.csv_rates); the bad ones come back as problems."""
    parsed = csv_rates.read_csv(data, on or today())
    result = record(engine, user_id, parsed.rates)
    result.problems = parsed.problems
    return result


def fetch(engine: Engine, user_id: str, days: int, fetcher: Callable[[str, date, date], list[Rate]],
          pair: str = "USD/CNY") -> Recorded:
    """Fetch the last ``days`` days of central parities with ``fetcher`` (sync.fx_fetch.fetch_history)
    and record them. The user is checked before the network is used."""
    if not 1 <= days <= MAX_DAYS:
        raise DomainError("invalid_value", f"天数应在 1 到 {MAX_DAYS} 之间。", f"Days must be from 1 to {MAX_DAYS}.",
                          "days")
    with reading(engine) as session:
        user = session.get(User, user_id)
        if user is None or not may_record(user):
            raise DomainError("forbidden", "您无权录入汇率。", "You may not record exchange rates.")
    last = today()
    return record(engine, user_id, fetcher(pair, last - timedelta(days=days - 1), last))


def may_record(user: User) -> bool:
    """The rule rate.record applies, for refusing early (before reading a file or the network)."""
    from desktop.permissions import FINANCE

    return user.role in FINANCE or user.role == "admin"


def today() -> date:
    """China's date now: what "today" means for rates."""
    return rate_mutations.business_date(timeutil.utcnow())


def history(engine: Engine, pair: str, start: date, end: date) -> list[dict[str, Any]]:
    """The rates held for ``pair`` dated ``start`` to ``end``, oldest first (the newest fetched of
    several sources for a date last)."""
    with reading(engine) as session:
        rows = session.scalars(select(ExchangeRate).where(
            ExchangeRate.pair == pair, ExchangeRate.rate_date >= start.isoformat(),
            ExchangeRate.rate_date <= end.isoformat())
            .order_by(ExchangeRate.rate_date, ExchangeRate.fetched_at, ExchangeRate.id))
        places = Decimal(1).scaleb(-published_decimals(pair))  # 7.0800 as published, not the stored 7.08
        return [{"pair": r.pair, "rate": str(r.rate.quantize(places)), "rate_date": r.rate_date, "source": r.source,
                 "fetched_at": timeutil.to_text(r.fetched_at)} for r in rows]


class DailyFetch:
    """Fetches the central parity by itself: whenever the newest rate held is older than the newest
    publication that can exist (desktop.fx.calendar - 09:15 Beijing on trading days), at most once
    every ``retry_s`` seconds, recorded under ``user_id`` (a finance user or an admin). Runs on a daemon
    thread beside the HTTP server; a failure is printed and tried again later, never raised."""

    def __init__(self, engine: Engine, user_id: str, fetcher: Callable[[str, date, date], list[Rate]], *,
                 pair: str = "USD/CNY", days: int = 10, check_s: float = 60.0, retry_s: float = 600.0) -> None:
        self.engine, self.user_id, self.fetcher, self.pair, self.days = engine, user_id, fetcher, pair, days
        self.check_s, self.retry_s = check_s, retry_s
        self._stop = threading.Event()
        self._last_try = float("-inf")
        self.thread = threading.Thread(target=self._run, name="rate-fetch", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self._stop.set()

    def due(self, now: datetime) -> bool:
        """Whether a publication newer than the newest rate held can exist now."""
        with reading(self.engine) as session:
            newest = session.scalar(select(func.max(ExchangeRate.rate_date)).where(ExchangeRate.pair == self.pair))
        return newest is None or date.fromisoformat(newest) < expected_rate_date(now)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if time.monotonic() - self._last_try >= self.retry_s and self.due(timeutil.utcnow()):
                    self._last_try = time.monotonic()
                    result = fetch(self.engine, self.user_id, self.days, self.fetcher, self.pair)
                    print(f"rates: fetched the central parity, {result.recorded} new, {result.unchanged} held",
                          file=sys.stderr, flush=True)
            except Exception as exc:  # noqa: BLE001 - a source down or a bad answer: try again later
                message = exc.message_en if isinstance(exc, DomainError) else repr(exc)
                print(f"rates: fetching the central parity failed: {message}", file=sys.stderr, flush=True)
            self._stop.wait(self.check_s)
