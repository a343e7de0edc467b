"""The server's rate feed: finance or an admin imports a rates file or fetches the CFETS central
parity here, and every desktop receives the rates on its next pull.

Each rate is recorded through ``rate.record``, the mutation a desktop would push, under the person
who asked (so the same rule decides who may record rates, and the audit trail names them), in one
serialised transaction with its change-log entries. The same pair, date and source again corrects
the stored rate; an unchanged rate writes nothing.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine, select

from desktop import mutations, timeutil
from desktop.errors import DomainError
from desktop.fx import csv_rates
from desktop.fx.rates import Rate
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
        return [{"pair": r.pair, "rate": str(r.rate), "rate_date": r.rate_date, "source": r.source,
                 "fetched_at": timeutil.to_text(r.fetched_at)} for r in rows]
