"""rate.record: cache an exchange rate with its date and source; and reading "today's rate".

Who may record a rate: finance, the finance director and admins, whatever the source (a bank's
board, the central parity typed in, a file). Not reps or managers, not even "just on this desktop": a
rate decides whether a quote's FX drift needs the finance director, so the person whose quote it is
must not be able to supply it. Rates fetched by the server arrive as rows the server already holds.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop import errors
from desktop.errors import Label
from desktop.fx.rates import published_decimals
from desktop.models import ExchangeRate
from desktop.mutations.common import ensure_new, inserted, updated
from desktop.mutations.fields import Field
from desktop.mutations.registry import Actor, Changes, mutation
from desktop.permissions import FINANCE

RATE = Label("汇率", "Exchange rate")
PAIRS = ("USD/CNY",)
CHINA = timezone(timedelta(hours=8))  # business dates are China's, the same on every machine


def business_date(at: datetime) -> date:
    """The date in China at ``at``: what "today" means for rates and validity."""
    return at.astimezone(CHINA).date()


def latest(session: Session, pair: str, on: date) -> ExchangeRate | None:
    """The rate to use on a date: the newest cached for ``pair`` dated on or before it (the newest
    fetched when several sources give that date)."""
    return session.scalars(
        select(ExchangeRate).where(ExchangeRate.pair == pair, ExchangeRate.rate_date <= on.isoformat())
        .order_by(ExchangeRate.rate_date.desc(), ExchangeRate.fetched_at.desc(), ExchangeRate.id.desc())).first()


@mutation("rate.record", {
    "id": Field(Label("编号", "Id"), "id", required=True),
    "pair": Field(Label("货币对", "Currency pair"), "choice", required=True, choices=PAIRS),
    # At most the pair's published decimals (4 for USD/CNY), checked below: the dialog and the CSV import
    # say so first; the mutation holds the rule for every path, the server's too.
    "rate": Field(RATE, "decimal", required=True, low=0.0001, high=100000, places=6),
    "rate_date": Field(Label("汇率日期", "Rate date"), "date", required=True),
    "source": Field(Label("来源", "Source"), required=True, max_len=64),
    "fetched_at": Field(Label("获取时间", "Fetched at"), "time"),
}, id_fields=("id",))
def record_rate(session: Session, actor: Actor, args: dict[str, Any]) -> Changes:
    """Cache a rate; the same pair, date and source again corrects the rate kept for them."""
    if actor.role not in FINANCE and actor.role != "admin":
        raise errors.forbidden("录入汇率", "record exchange rates")
    decimals = published_decimals(args["pair"])
    exponent = args["rate"].normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > decimals:
        raise errors.invalid_value("rate", f"“{RATE.zh}”最多 {decimals} 位小数（{args['pair']} 中间价的精度）。",
                                   f"{RATE.en} has at most {decimals} decimal places (the {args['pair']} central "
                                   "parity's precision).")
    today = business_date(args["at"])
    if date.fromisoformat(args["rate_date"]) > today:  # no rate is published for a day that has not begun in China
        raise errors.invalid_value("rate_date", f"汇率日期 {args['rate_date']} 晚于今天（北京时间 {today.isoformat()}），请检查。",
                                   f"The rate date {args['rate_date']} is after today ({today.isoformat()} in China); "
                                   "check it.")
    fetched_at = args.get("fetched_at") or args["at"]
    existing = session.scalars(select(ExchangeRate).where(
        ExchangeRate.pair == args["pair"], ExchangeRate.rate_date == args["rate_date"],
        ExchangeRate.source == args["source"])).first()
    rate: Decimal = args["rate"]
    if existing is not None:
        return updated("exchange_rate", existing, {"rate": rate, "fetched_at": fetched_at, "recorded_by": actor.id},
                       ("rate", "fetched_at", "recorded_by") if existing.rate != rate else ("rate",), args["at"])
    ensure_new(session, ExchangeRate, args["id"], RATE)
    row = ExchangeRate(id=args["id"], pair=args["pair"], rate=rate, rate_date=args["rate_date"],
                       source=args["source"], fetched_at=fetched_at, recorded_by=actor.id, created_at=args["at"],
                       updated_at=args["at"], version=1)
    return inserted(session, "exchange_rate", row)
