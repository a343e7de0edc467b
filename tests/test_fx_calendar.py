"""The central-parity publication calendar: trading days, the 09:15 Beijing cut-over, staleness."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from desktop.fx import calendar as cal
from desktop.fx.calendar import (
    AHEAD,
    BEHIND,
    BEIJING,
    CURRENT,
    NEEDS_CONFIRMATION,
    PublicationCalendar,
    beijing_date,
    expected_rate_date,
    is_trading_day,
    rate_status,
)


def bj(y: int, m: int, d: int, hh: int = 12, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=BEIJING)


# ---- Trading days

@pytest.mark.parametrize(("day", "trading"), [
    (date(2026, 11, 20), True),    # Friday
    (date(2026, 11, 21), False),   # Saturday
    (date(2026, 11, 22), False),   # Sunday
    (date(2026, 11, 23), True),    # Monday
    (date(2026, 1, 1), False),     # New Year's Day (Thursday)
    (date(2026, 1, 2), False),     # New Year holiday span (Friday)
    (date(2026, 2, 16), False),    # Spring Festival (Monday)
    (date(2026, 2, 23), False),    # last day of the Spring Festival span (Monday)
    (date(2026, 2, 24), True),
    (date(2026, 9, 25), False),    # Mid-Autumn (Friday)
    (date(2026, 10, 1), False),    # National Day (Thursday)
    (date(2026, 10, 7), False),    # last day of National Day (Wednesday)
    (date(2026, 10, 8), True),
    (date(2025, 10, 8), False),    # 2025: National Day and Mid-Autumn together, to 8 October
    (date(2025, 1, 27), True),     # the Monday before the 2025 Spring Festival span
    (date(2025, 1, 28), False),
])
def test_weekdays_trade_and_weekends_and_holidays_do_not(day, trading):
    assert is_trading_day(day) is trading


def test_make_up_weekend_days_follow_the_switch():
    assert is_trading_day(date(2026, 10, 10))  # Saturday declared a working day
    assert is_trading_day(date(2026, 2, 14))
    assert is_trading_day(date(2025, 1, 26))   # Sunday
    closed = PublicationCalendar(makeup_days_trade=False)
    assert not closed.is_trading_day(date(2026, 10, 10))
    assert not closed.is_trading_day(date(2025, 1, 26))
    assert closed.is_trading_day(date(2026, 10, 9))


def test_the_tables_are_consistent():
    for year, days in cal.MAKEUP_DAYS.items():
        assert year in cal.HOLIDAYS
        for d in days:
            assert d.year == year and d.weekday() >= 5, d
            assert not PublicationCalendar().is_holiday(d), d
    for year, spans in cal.HOLIDAYS.items():
        for _, first, last in spans:
            assert first.year == year and first <= last
    assert len(cal.MAKEUP_DAYS[2025]) == 5 and len(cal.MAKEUP_DAYS[2026]) == 6


def test_a_year_without_a_table_falls_back_to_weekdays_and_says_so():
    assert not cal.DEFAULT_CALENDAR.covers(2027)
    assert is_trading_day(date(2027, 1, 4))        # a Monday
    assert not is_trading_day(date(2027, 1, 2))    # a Saturday
    status = rate_status(date(2027, 1, 4), bj(2027, 1, 4, 10))
    assert status.state == CURRENT and not status.calendar_known
    assert rate_status(date(2026, 11, 20), bj(2026, 11, 20, 10)).calendar_known


# ---- The rate that should exist now

def test_today_rate_exists_from_0915_beijing_time():
    assert expected_rate_date(bj(2026, 11, 20, 9, 14, 59)) == date(2026, 11, 19)
    assert expected_rate_date(bj(2026, 11, 20, 9, 15)) == date(2026, 11, 20)
    assert expected_rate_date(bj(2026, 11, 20, 23, 59)) == date(2026, 11, 20)


def test_weekend_and_holiday_expect_the_previous_trading_day():
    assert expected_rate_date(bj(2026, 11, 21, 10)) == date(2026, 11, 20)  # Saturday
    assert expected_rate_date(bj(2026, 11, 23, 9, 0)) == date(2026, 11, 20)  # Monday before 09:15
    assert expected_rate_date(bj(2026, 10, 5, 10)) == date(2026, 9, 30)  # National Day week
    assert expected_rate_date(bj(2026, 10, 8, 9, 14)) == date(2026, 9, 30)
    assert expected_rate_date(bj(2026, 10, 8, 9, 15)) == date(2026, 10, 8)
    assert expected_rate_date(bj(2026, 10, 10, 10)) == date(2026, 10, 10)  # make-up Saturday
    assert PublicationCalendar(makeup_days_trade=False).expected_rate_date(bj(2026, 10, 10, 10)) \
        == date(2026, 10, 9)


def test_the_cut_over_is_0915_beijing_whatever_zone_now_is_in():
    # 01:15 UTC is 09:15 in Beijing.
    assert expected_rate_date(datetime(2026, 11, 20, 1, 14, tzinfo=UTC)) == date(2026, 11, 19)
    assert expected_rate_date(datetime(2026, 11, 20, 1, 15, tzinfo=UTC)) == date(2026, 11, 20)
    # Thursday 20:30 in New York is Friday 09:30 in Beijing: Friday's rate exists.
    new_york = datetime(2026, 11, 19, 20, 30, tzinfo=ZoneInfo("America/New_York"))
    assert beijing_date(new_york) == date(2026, 11, 20)
    assert expected_rate_date(new_york) == date(2026, 11, 20)
    # Sunday 23:30 UTC is Monday 07:30 in Beijing: still Friday's rate.
    sunday_utc = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
    assert beijing_date(sunday_utc) == date(2026, 11, 23)
    assert expected_rate_date(sunday_utc) == date(2026, 11, 20)
    # Friday 18:00 UTC is already Saturday in Beijing.
    assert expected_rate_date(datetime(2026, 11, 20, 18, 0, tzinfo=timezone(timedelta(0)))) == date(2026, 11, 20)


def test_now_must_be_aware():
    with pytest.raises(ValueError):
        expected_rate_date(datetime(2026, 11, 20, 10, 0))
    with pytest.raises(ValueError):
        rate_status(date(2026, 11, 20), datetime(2026, 11, 20, 10, 0))


# ---- Staleness

def test_a_friday_rate_is_current_all_weekend_and_until_monday_0915():
    friday = date(2026, 11, 20)
    for now in (bj(2026, 11, 21, 0, 1), bj(2026, 11, 21, 18), bj(2026, 11, 22, 23, 59), bj(2026, 11, 23, 9, 14)):
        status = rate_status(friday, now)
        assert status.state == CURRENT, now
        assert status.usable_without_confirmation
    monday = rate_status(friday, bj(2026, 11, 23, 9, 15))
    assert (monday.state, monday.behind, monday.expected_date) == (BEHIND, 1, date(2026, 11, 23))
    assert not monday.usable_without_confirmation


def test_behind_counts_publications_not_days():
    status = rate_status(date(2026, 11, 19), bj(2026, 11, 23, 10))
    assert (status.state, status.behind) == (BEHIND, 2)  # Friday and Monday, not the weekend
    assert status.message_en == ("The rate is the 2026-11-19 central parity; 2 newer publications exist "
                                 "(the latest is 2026-11-23)")
    assert status.message("zh_CN") == "汇率为 2026-11-19 的中间价，之后已发布 2 次中间价（最新为 2026-11-23）"
    one = rate_status(date(2026, 11, 19), bj(2026, 11, 20, 10))
    assert one.message_en.endswith("1 newer publication exists (the latest is 2026-11-20)")


def test_five_calendar_days_is_the_limit_and_six_needs_confirmation():
    friday = date(2026, 11, 20)
    five = rate_status(friday, bj(2026, 11, 25, 23, 59))  # Wednesday: 5 days old
    assert (five.state, five.age_days, five.behind) == (BEHIND, 5, 3)
    six = rate_status(friday, bj(2026, 11, 26, 0, 0))  # Thursday: 6 days old
    assert (six.state, six.age_days) == (NEEDS_CONFIRMATION, 6)
    assert six.message_zh == "汇率为 2026-11-20 的中间价，已超过 5 天，需要确认"
    assert six.message_en == "The rate is the 2026-11-20 central parity, more than 5 days old; confirm it to use it"
    assert six.message("en") == six.message_en and six.message("zh") == six.message_zh


def test_the_five_day_rule_counts_beijing_dates():
    # 16:30 UTC on the 25th is 00:30 on the 26th in Beijing: six days after the 20th there.
    status = rate_status(date(2026, 11, 20), datetime(2026, 11, 25, 16, 30, tzinfo=UTC))
    assert status.state == NEEDS_CONFIRMATION and status.age_days == 6
    earlier = rate_status(date(2026, 11, 20), datetime(2026, 11, 25, 15, 59, tzinfo=UTC))
    assert earlier.state == BEHIND and earlier.age_days == 5


def test_a_long_holiday_keeps_the_rate_current_until_the_five_day_rule():
    last = date(2026, 9, 30)  # the last publication before National Day
    assert rate_status(last, bj(2026, 10, 3, 10)).state == CURRENT
    assert rate_status(last, bj(2026, 10, 5, 23)).state == CURRENT  # 5 days
    held = rate_status(last, bj(2026, 10, 6, 10))  # 6 days, still no newer rate
    assert (held.state, held.behind) == (NEEDS_CONFIRMATION, 0)
    after = rate_status(last, bj(2026, 10, 8, 10))
    assert (after.state, after.behind) == (NEEDS_CONFIRMATION, 1)


def test_a_rate_dated_after_the_expected_one_points_at_the_clock():
    status = rate_status(date(2026, 11, 20), bj(2026, 11, 20, 9, 0))
    assert status.state == AHEAD
    assert "check this computer's date and time" in status.message_en
    assert "请检查本机日期和时间" in status.message_zh
