"""What the exchange-rates page shows, read on the database thread: the rates cached for a pair, newest
first, with who recorded each, and where the latest stands against the central-parity calendar.

"Latest" is :func:`desktop.mutations.rates.latest` (the rate quotes lock) and its staleness is
:func:`desktop.fx.calendar.rate_status`, the same verdict the approvals inbox shows, so the page never
disagrees with what a quote is checked against.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop.fx import calendar
from desktop.fx.calendar import RateStatus
from desktop.models import ExchangeRate, User
from desktop.mutations.rates import latest
from desktop.permissions import FINANCE

HISTORY_LIMIT = 200


@dataclass(frozen=True)
class RateRow:
    """One cached rate as the history lists it; ``recorded_by`` is a display name ("" if unknown)."""

    id: str
    pair: str
    rate: Decimal
    rate_date: date
    source: str
    fetched_at: datetime
    recorded_by: str


@dataclass(frozen=True)
class PairStatus:
    """The rate to use for ``pair`` now and how stale it is; ``rate`` and ``status`` are None when none is
    cached. ``expected_date`` is the newest central parity that should exist at ``now``."""

    pair: str
    rate: RateRow | None
    status: RateStatus | None
    expected_date: date

    @property
    def state(self) -> str:
        """calendar.CURRENT, BEHIND, NEEDS_CONFIRMATION or AHEAD; "missing" without a rate."""
        return self.status.state if self.status is not None else "missing"


def can_record_rates(role: str | None) -> bool:
    """Whether a user of ``role`` may record rates (the rule rate.record applies: finance and admins)."""
    return role is not None and (role in FINANCE or role == "admin")


def _row(rate: ExchangeRate, name: str | None) -> RateRow:
    return RateRow(rate.id, rate.pair, rate.rate, date.fromisoformat(rate.rate_date), rate.source, rate.fetched_at,
                   name or "")


def rate_history(session: Session, pair: str, limit: int = HISTORY_LIMIT) -> list[RateRow]:
    """The rates cached for ``pair``, newest first (by date, then the newest fetched), at most ``limit``."""
    rows = session.execute(
        select(ExchangeRate, User.display_name).outerjoin(User, User.id == ExchangeRate.recorded_by)
        .where(ExchangeRate.pair == pair)
        .order_by(ExchangeRate.rate_date.desc(), ExchangeRate.fetched_at.desc(), ExchangeRate.id.desc())
        .limit(limit)).all()
    return [_row(rate, name) for rate, name in rows]


def rate_status(session: Session, pair: str, now: datetime) -> PairStatus:
    """The rate for ``pair`` on today's date in Beijing (an aware ``now``) and its staleness."""
    today = calendar.beijing_date(now)
    expected = calendar.expected_rate_date(now)
    found = latest(session, pair, today)
    if found is None:
        return PairStatus(pair, None, None, expected)
    user = session.get(User, found.recorded_by)
    row = _row(found, user.display_name if user is not None else None)
    return PairStatus(pair, row, calendar.rate_status(row.rate_date, now), expected)
