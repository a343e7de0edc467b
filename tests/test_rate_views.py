"""What the exchange-rates page shows, without Qt: the history of a pair and where its latest rate stands
against the publication calendar, on fixed dates (a weekend, a make-up working Saturday, National Day)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from desktop.fx.calendar import AHEAD, BEHIND, BEIJING, CURRENT, NEEDS_CONFIRMATION
from desktop.fx.staleness_text import needs_attention, short_text
from desktop.rate_views import can_record_rates, rate_history, rate_status
from tests.conftest import Org, run


def bj(y: int, m: int, d: int, hh: int = 12, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=BEIJING)


def record(store, org: Org, rate: str, on: date, source: str = "manual", fetched_at: str | None = None,
           who: str = "finance") -> str:
    args = {"pair": "USD/CNY", "rate": rate, "rate_date": on.isoformat(), "source": source}
    if fetched_at is not None:
        args["fetched_at"] = fetched_at
    return run(store, org[who], "rate.record", **args).changes.entity_id


def status_at(store, now: datetime):
    with store.read() as session:
        return rate_status(session, "USD/CNY", now)


# ---- History

def test_history_is_newest_first_with_who_recorded_each(store, org):
    record(store, org, "7.1100", date(2026, 11, 19), fetched_at="2026-11-19T01:20:00Z")
    record(store, org, "7.1186", date(2026, 11, 20), source="cfets", fetched_at="2026-11-20T01:20:00Z", who="cfo")
    record(store, org, "7.1190", date(2026, 11, 20), source="csv", fetched_at="2026-11-20T03:00:00Z")
    with store.read() as session:
        rows = rate_history(session, "USD/CNY", 10)
        assert [(r.rate_date, r.rate, r.source, r.recorded_by) for r in rows] == [
            (date(2026, 11, 20), Decimal("7.1190"), "csv", "Finance"),
            (date(2026, 11, 20), Decimal("7.1186"), "cfets", "Cfo"),
            (date(2026, 11, 19), Decimal("7.1100"), "manual", "Finance"),
        ]
        assert rows[0].fetched_at == datetime(2026, 11, 20, 3, 0, tzinfo=rows[0].fetched_at.tzinfo)
        assert rows[0].fetched_at.utcoffset().total_seconds() == 0
        assert len(rate_history(session, "USD/CNY", 2)) == 2
        assert rate_history(session, "EUR/CNY", 10) == []


def test_the_same_date_and_source_again_corrects_the_row_shown(store, org):
    record(store, org, "7.1186", date(2026, 11, 20))
    record(store, org, "7.1168", date(2026, 11, 20))  # a typo corrected
    with store.read() as session:
        rows = rate_history(session, "USD/CNY", 10)
    assert [r.rate for r in rows] == [Decimal("7.1168")]


# ---- Status

def test_no_rate_yet(store, org):
    status = status_at(store, bj(2026, 11, 23, 10))
    assert status.rate is None and status.status is None and status.state == "missing"
    assert status.expected_date == date(2026, 11, 23)


def test_friday_rate_is_current_over_the_weekend_and_behind_after_monday_0915(store, org):
    record(store, org, "7.1186", date(2026, 11, 20))  # Friday
    for now in (bj(2026, 11, 20, 10), bj(2026, 11, 21, 12), bj(2026, 11, 22, 23), bj(2026, 11, 23, 9, 14)):
        status = status_at(store, now)
        assert status.state == CURRENT, now
        assert status.rate is not None and status.rate.rate == Decimal("7.1186")
        assert status.rate.recorded_by == "Finance"
    monday = status_at(store, bj(2026, 11, 23, 9, 15))
    assert (monday.state, monday.status.behind, monday.expected_date) == (BEHIND, 1, date(2026, 11, 23))
    wednesday = status_at(store, bj(2026, 11, 25, 12))  # 5 days old: still only behind
    assert (wednesday.state, wednesday.status.behind) == (BEHIND, 3)
    assert short_text(wednesday.status, "zh_CN") == "落后 3 次发布"
    assert short_text(wednesday.status, "en") == "3 publications behind"
    assert short_text(monday.status, "en") == "1 publication behind"


def test_a_make_up_saturday_is_a_publication_day(store, org):
    record(store, org, "7.1000", date(2026, 10, 9))  # Friday after National Day
    status = status_at(store, bj(2026, 10, 10, 10))  # Saturday declared a working day
    assert (status.state, status.status.behind, status.expected_date) == (BEHIND, 1, date(2026, 10, 10))


def test_over_a_long_holiday_the_rate_is_current_then_needs_confirmation(store, org):
    record(store, org, "7.1000", date(2026, 9, 30))  # the last publication before National Day
    status = status_at(store, bj(2026, 10, 5))
    assert status.state == CURRENT and status.status.age_days == 5 and status.expected_date == date(2026, 9, 30)
    assert short_text(status.status, "zh_CN") == "已是最新" and short_text(status.status, "en") == "current"
    assert not needs_attention(status.status)
    status = status_at(store, bj(2026, 10, 6))  # no newer publication, but six days old
    assert (status.state, status.status.behind) == (NEEDS_CONFIRMATION, 0)
    assert short_text(status.status, "zh_CN") == "超过 5 天，需要确认"
    assert short_text(status.status, "en") == "more than 5 days old, needs confirmation"
    assert needs_attention(status.status)


def test_the_latest_rate_is_the_one_quotes_use(store, org):
    record(store, org, "7.1100", date(2026, 11, 19))
    record(store, org, "7.1186", date(2026, 11, 20))
    # On the 19th (Beijing) the 20th's rate does not exist yet.
    status = status_at(store, bj(2026, 11, 19, 16))
    assert status.rate.rate == Decimal("7.1100") and status.state == CURRENT


def test_a_rate_dated_today_before_0915_is_ahead(store, org):
    record(store, org, "7.1186", date(2026, 11, 23))
    status = status_at(store, bj(2026, 11, 23, 9, 0))
    assert status.state == AHEAD
    assert "check the clock" in short_text(status.status, "en")


def test_a_year_without_a_holiday_table_says_so(store, org):
    record(store, org, "7.1186", date(2024, 11, 20))
    status = status_at(store, bj(2024, 11, 20, 12))
    assert status.state == CURRENT and not status.status.calendar_known
    assert short_text(status.status, "en") == "current (no holiday table for that year)"


@pytest.mark.parametrize(("role", "allowed"), [
    ("finance", True), ("finance_director", True), ("admin", True), ("field_rep", False),
    ("sales_manager", False), ("key_account_director", False), ("channel_manager", False),
    ("service_engineer", False), (None, False),
])
def test_who_may_record_rates(role, allowed):
    assert can_record_rates(role) is allowed
