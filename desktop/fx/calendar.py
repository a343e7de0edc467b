"""The RMB central-parity publication calendar, and how stale a rate is.

CFETS publishes the central parity at 09:15 Beijing time (UTC+8, no daylight saving) on every
trading day of the interbank FX market. Trading days here are:

* Monday to Friday, except the days of the State Council's holiday notice for the year; plus
* the weekend make-up working days (调休上班日) of that notice, when ``makeup_days_trade`` is on.

Whether the interbank market publishes on make-up weekend days is the one part of the rule public
sources do not settle clearly: QuantLib's China interbank calendar ("China::IB", added in 2014,
lballabio/quantlib-old pull requests #93 and #99) counts them as interbank business days, unlike the
stock-exchange calendar, which is closed on every weekend. We follow that (the default below), and
keep it a switch so a different finding is a one-line change; see docs/design-fx.md. Assuming a
publication that did not happen errs on the safe side: the rate shows as one publication behind
until Monday instead of wrongly showing as current.

Holidays and make-up days are data, one table per year. A year without a table falls back to
"weekdays only" and says so (``covers`` / ``RateStatus.calendar_known``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

BEIJING = timezone(timedelta(hours=8), "UTC+08:00")
PUBLICATION_TIME = time(9, 15)
# A rate older than this many calendar days (counted in Beijing dates) needs explicit confirmation.
CONFIRM_AFTER_DAYS = 5


def _span(first: date, last: date) -> tuple[date, ...]:
    return tuple(first + timedelta(days=i) for i in range((last - first).days + 1))


# ---- Data: the State Council holiday notices (国务院办公厅关于部分节假日安排的通知)

# 2025: 国办发明电〔2024〕12号, 12 November 2024 (Xinhua; e.g. https://m.gmw.cn/2024-11/12/content_1303894933.htm).
# 2026: notice of 4 November 2025 (Xinhua; e.g. https://politics.gmw.cn/2025-11/04/content_38391083.htm).
# Each holiday is the whole 放假调休 span as announced; weekend days inside it change nothing.
HOLIDAYS: dict[int, tuple[tuple[str, date, date], ...]] = {
    2025: (
        ("元旦 New Year's Day", date(2025, 1, 1), date(2025, 1, 1)),
        ("春节 Spring Festival", date(2025, 1, 28), date(2025, 2, 4)),
        ("清明节 Qingming", date(2025, 4, 4), date(2025, 4, 6)),
        ("劳动节 Labour Day", date(2025, 5, 1), date(2025, 5, 5)),
        ("端午节 Dragon Boat", date(2025, 5, 31), date(2025, 6, 2)),
        ("国庆节、中秋节 National Day, Mid-Autumn", date(2025, 10, 1), date(2025, 10, 8)),
    ),
    2026: (
        ("元旦 New Year's Day", date(2026, 1, 1), date(2026, 1, 3)),
        ("春节 Spring Festival", date(2026, 2, 15), date(2026, 2, 23)),
        ("清明节 Qingming", date(2026, 4, 4), date(2026, 4, 6)),
        ("劳动节 Labour Day", date(2026, 5, 1), date(2026, 5, 5)),
        ("端午节 Dragon Boat", date(2026, 6, 19), date(2026, 6, 21)),
        ("中秋节 Mid-Autumn", date(2026, 9, 25), date(2026, 9, 27)),
        ("国庆节 National Day", date(2026, 10, 1), date(2026, 10, 7)),
    ),
}

# The weekend days the same notices declare working days (“…上班”).
MAKEUP_DAYS: dict[int, tuple[date, ...]] = {
    2025: (date(2025, 1, 26), date(2025, 2, 8), date(2025, 4, 27), date(2025, 9, 28), date(2025, 10, 11)),
    2026: (date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9), date(2026, 9, 20),
           date(2026, 10, 10)),
}


@dataclass(frozen=True)
class PublicationCalendar:
    """Trading days of the interbank FX market, from per-year holiday and make-up-day tables."""

    holidays: dict[int, tuple[tuple[str, date, date], ...]] = field(default_factory=lambda: HOLIDAYS)
    makeup_days: dict[int, tuple[date, ...]] = field(default_factory=lambda: MAKEUP_DAYS)
    makeup_days_trade: bool = True

    def covers(self, year: int) -> bool:
        """Whether the holiday table for ``year`` is loaded."""
        return year in self.holidays

    def is_holiday(self, d: date) -> bool:
        """Whether ``d`` falls in a public-holiday span of its year's notice."""
        return any(first <= d <= last for _, first, last in self.holidays.get(d.year, ()))

    def is_trading_day(self, d: date) -> bool:
        """Whether a central parity is published on ``d`` (see the module docstring for the rule)."""
        if self.is_holiday(d):
            return False
        if d.weekday() >= 5:
            return self.makeup_days_trade and d in self.makeup_days.get(d.year, ())
        return True

    def previous_trading_day(self, d: date) -> date:
        """The last trading day strictly before ``d``."""
        day = d - timedelta(days=1)
        while not self.is_trading_day(day):
            day -= timedelta(days=1)
        return day

    def trading_days_between(self, after: date, upto: date) -> int:
        """How many trading days d satisfy after < d <= upto."""
        count, day = 0, after + timedelta(days=1)
        while day <= upto:
            count += self.is_trading_day(day)
            day += timedelta(days=1)
        return count

    def expected_rate_date(self, now: datetime) -> date:
        """The date of the newest central parity that should exist at ``now`` (an aware datetime)."""
        local = _beijing(now)
        today = local.date()
        if self.is_trading_day(today) and local.time() >= PUBLICATION_TIME:
            return today
        return self.previous_trading_day(today)


DEFAULT_CALENDAR = PublicationCalendar()


def _beijing(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    return now.astimezone(BEIJING)


def beijing_date(now: datetime) -> date:
    """The calendar date in Beijing at the aware moment ``now``."""
    return _beijing(now).date()


def is_trading_day(d: date, calendar: PublicationCalendar = DEFAULT_CALENDAR) -> bool:
    """Whether CFETS publishes a central parity on ``d``."""
    return calendar.is_trading_day(d)


def expected_rate_date(now: datetime, calendar: PublicationCalendar = DEFAULT_CALENDAR) -> date:
    """The date of the newest central parity that should exist at ``now``: today's from 09:15 Beijing
    time on a trading day, otherwise the previous trading day's."""
    return calendar.expected_rate_date(now)


# ---- Staleness

CURRENT = "current"
BEHIND = "behind"
NEEDS_CONFIRMATION = "needs_confirmation"
AHEAD = "ahead"


@dataclass(frozen=True)
class RateStatus:
    """How a rate of ``rate_date`` stands at a moment: current, behind, needing confirmation, or ahead.

    ``behind`` counts the publications after ``rate_date`` up to ``expected_date``. A rate more than
    CONFIRM_AFTER_DAYS calendar days old needs confirmation even when no newer one exists (a long
    holiday): the market moves while the fixing does not.
    """

    state: str
    rate_date: date
    expected_date: date
    behind: int
    age_days: int
    calendar_known: bool
    message_zh: str
    message_en: str

    @property
    def usable_without_confirmation(self) -> bool:
        """Whether the rate may be used as it is."""
        return self.state == CURRENT

    def message(self, language: str) -> str:
        """The message in the user's language ('zh…' gives Chinese, anything else English)."""
        return self.message_zh if language.lower().startswith("zh") else self.message_en


def rate_status(rate_date: date, now: datetime,
                calendar: PublicationCalendar = DEFAULT_CALENDAR) -> RateStatus:
    """Where a central parity of ``rate_date`` stands at the aware moment ``now``."""
    today = beijing_date(now)
    expected = calendar.expected_rate_date(now)
    age = (today - rate_date).days
    known = calendar.covers(today.year) and calendar.covers(rate_date.year)
    day = rate_date.isoformat()
    if rate_date > expected:
        return RateStatus(AHEAD, rate_date, expected, 0, age, known,
                          f"汇率日期 {day} 晚于此刻应有的最新中间价（{expected.isoformat()}），请检查本机日期和时间。",
                          f"The rate is dated {day}, after the newest central parity that can exist now "
                          f"({expected.isoformat()}); check this computer's date and time.")
    behind = calendar.trading_days_between(rate_date, expected)
    if age > CONFIRM_AFTER_DAYS:
        return RateStatus(NEEDS_CONFIRMATION, rate_date, expected, behind, age, known,
                          f"汇率为 {day} 的中间价，已超过 {CONFIRM_AFTER_DAYS} 天，需要确认",
                          f"The rate is the {day} central parity, more than {CONFIRM_AFTER_DAYS} days old; "
                          f"confirm it to use it")
    if behind == 0:
        return RateStatus(CURRENT, rate_date, expected, 0, age, known,
                          f"汇率为 {day} 的中间价，是最新发布的中间价",
                          f"The rate is the {day} central parity, the latest published")
    newer_en = "1 newer publication exists" if behind == 1 else f"{behind} newer publications exist"
    return RateStatus(BEHIND, rate_date, expected, behind, age, known,
                      f"汇率为 {day} 的中间价，之后已发布 {behind} 次中间价（最新为 {expected.isoformat()}）",
                      f"The rate is the {day} central parity; {newer_en} (the latest is {expected.isoformat()})")
