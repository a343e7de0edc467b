"""The CFETS central-parity adapter: parsing recorded responses, and fetching from a local server."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from desktop.errors import DomainError
from desktop.fx import cfets
from desktop.fx.calendar import BEIJING, is_trading_day
from desktop.fx.rates import Rate, StaticRates
from sync import fx_fetch
from sync.fx_fetch import FxFetchError
from tests.cfets_site import Handler, cfets_site, recorded

# ---- Parsing

def test_history_gives_four_decimal_rates_published_at_0915_beijing():
    rates = cfets.parse_history(recorded("ccpr_his_usd.json"), "USD/CNY")
    assert [r.rate_date for r in rates] == [date(2026, 11, d) for d in (16, 17, 18, 19, 20)]
    last = rates[-1]
    assert last == Rate("USD/CNY", Decimal("7.0812"), date(2026, 11, 20), "cfets",
                        datetime(2026, 11, 20, 9, 15, tzinfo=BEIJING))
    assert str(rates[2].rate) == "7.0800"  # trailing zeros kept: the published precision
    assert all(r.decimals == 4 and r.source == "cfets" for r in rates)
    assert last.published_at is not None and last.published_at.utcoffset() == timedelta(hours=8)
    assert last.published_at.isoformat() == "2026-11-20T09:15:00+08:00"


def test_history_lines_values_up_with_the_pair_list():
    everything = cfets.parse_history(recorded("ccpr_his_multi.json"))
    pairs = {(r.pair, r.rate_date): r.rate for r in everything}
    assert pairs[("USD/CNY", date(2026, 2, 6))] == Decimal("6.9590")
    assert pairs[("EUR/CNY", date(2026, 2, 6))] == Decimal("8.1923")
    assert ("EUR/CNY", date(2026, 2, 5)) not in pairs  # "---": not published that day
    assert str(pairs[("HKD/CNY", date(2026, 2, 6))]) == "0.89080"
    assert pairs[("100JPY/CNY", date(2026, 2, 5))] == Decimal("4.4328")  # per 100 yen, as published
    usd = cfets.parse_history(recorded("ccpr_his_multi.json"), "usd/cny")
    assert [(r.rate_date, r.rate) for r in usd] == [(date(2026, 2, 5), Decimal("6.9570")),
                                                    (date(2026, 2, 6), Decimal("6.9590"))]


def test_the_all_pairs_answer_agrees_with_the_publication_calendar():
    # currency left blank: every pair, 25 columns; 2026-06-19 (Dragon Boat Festival) has no record.
    everything = cfets.parse_history(recorded("ccpr_his_all_pairs.json"))
    assert len({r.pair for r in everything}) == 25
    assert len(everything) == 25 * 4 - 1  # one "---"
    krw = [r for r in everything if r.pair == "CNY/KRW"]  # oldest first
    assert str(krw[-1].rate) == "224.50"  # CNY-per-foreign pairs keep their own precision
    usd_days = [r.rate_date for r in cfets.parse_history(recorded("ccpr_his_all_pairs.json"), "USD/CNY")]
    span = [date(2026, 6, 17) + timedelta(days=i) for i in range(7)]
    assert usd_days == [d for d in span if is_trading_day(d)]
    assert date(2026, 6, 19) not in usd_days


def test_latest_document():
    usd = cfets.parse_latest(recorded("ccpr_latest.json"), "USD/CNY")
    assert usd == [Rate("USD/CNY", Decimal("7.0788"), date(2026, 11, 27), "cfets",
                        datetime(2026, 11, 27, 9, 15, tzinfo=BEIJING))]
    assert {r.pair for r in cfets.parse_latest(recorded("ccpr_latest.json"))} == {"USD/CNY", "EUR/CNY", "100JPY/CNY"}


def test_a_span_without_publications_is_empty_not_an_error():
    assert cfets.parse_history(recorded("ccpr_his_holiday.json"), "USD/CNY") == []


def _broken(records: object = None, **data: object) -> str:
    return json.dumps({"head": {"rep_code": "200"}, "data": {"searchlist": ["USD/CNY"], **data},
                       "records": records if records is not None else []})


@pytest.mark.parametrize(("payload", "zh", "en"), [
    (b"", "内容为空", "empty"),
    ("   ", "内容为空", "empty"),
    (recorded("maintenance.html"), "不是 JSON", "not JSON"),
    (recorded("ccpr_error.json"), "接口报错 400", "error 400"),
    (recorded("ccpr_his_refused.json"), "只提供一年历史数据查询及下载", "refused"),
    ("[1, 2]", "不是 JSON 对象", "not a JSON object"),
    ('{"head": {"rep_code": "200"}, "data": {}}', "records", "records"),
    ('{"head": {"rep_code": "200"}, "records": []}', "data", "data"),
    (_broken([{"date": "2026-11-20", "values": ["7.0812", "8.1"]}]), "个数", "do not match"),
    (_broken([{"date": "20/11/2026", "values": ["7.0812"]}]), "日期", "date"),
    (_broken([{"date": "2026-11-20", "values": ["abc"]}]), "不是数字", "not a number"),
    (_broken([{"date": "2026-11-20", "values": ["-7.0812"]}]), "不是正数", "not positive"),
    (_broken([{"date": "2026-11-20", "values": ["7.08"]}]), "4 位小数", "4 decimals"),
    (_broken([{"date": "2026-11-20", "values": ["7.0812"]}], searchlist=[]), "币对列表", "pair list"),
])
def test_malformed_history_is_a_clear_error(payload, zh, en):
    with pytest.raises(DomainError) as caught:
        cfets.parse_history(payload, "USD/CNY")
    assert caught.value.code == "fx_response_invalid"
    assert caught.value.message_zh.startswith("中国外汇交易中心返回的中间价数据无法识别")
    assert zh in caught.value.message_zh
    assert en in caught.value.message_en


def test_a_pair_missing_from_the_answer_is_an_error():
    with pytest.raises(DomainError, match="GBP/CNY is not in the response"):
        cfets.parse_history(recorded("ccpr_his_usd.json"), "GBP/CNY")
    with pytest.raises(DomainError, match="GBP/CNY is not in the response"):
        cfets.parse_latest(recorded("ccpr_latest.json"), "GBP/CNY")
    with pytest.raises(DomainError, match="publication date"):
        cfets.parse_latest('{"head": {}, "data": {"lastDate": "yesterday"}, "records": []}')


def test_parsed_rates_serve_as_a_provider():
    provider = StaticRates(cfets.parse_history(recorded("ccpr_his_usd.json")))
    sunday = provider.latest("USD/CNY", date(2026, 11, 22))
    assert sunday is not None and sunday.rate_date == date(2026, 11, 20)
    assert provider.latest("USD/CNY", date(2026, 11, 1)) is None
    assert [r.rate_date.day for r in provider.history("USD/CNY", date(2026, 11, 17), date(2026, 11, 19))] \
        == [17, 18, 19]


def test_history_form_keeps_within_what_the_service_answers():
    form = cfets.history_form("usd/cny", date(2026, 11, 1), date(2026, 11, 20), 2)
    assert form == {"startDate": "2026-11-01", "endDate": "2026-11-20", "currency": "USD/CNY",
                    "pageNum": "2", "pageSize": "50"}
    with pytest.raises(ValueError):
        cfets.history_form("USD/CNY", date(2025, 11, 1), date(2026, 11, 20))
    with pytest.raises(ValueError):
        cfets.history_form("USD/CNY", date(2026, 11, 20), date(2026, 11, 1))


# ---- Fetching, from a local server that serves the recorded files

@pytest.fixture
def server() -> Iterator[str]:
    with cfets_site() as url:
        yield url


def test_fetch_history_posts_the_form_and_parses_the_answer(server):
    rates = fx_fetch.fetch_history("USD/CNY", date(2026, 11, 14), date(2026, 11, 20), base_url=server)
    assert [r.rate for r in rates][-1] == Decimal("7.0812") and len(rates) == 5
    assert Handler.posted == [{"startDate": "2026-11-14", "endDate": "2026-11-20", "currency": "USD/CNY",
                                "pageNum": "1", "pageSize": "50"}]


def test_fetch_history_follows_pages(server):
    rates = fx_fetch.fetch_history("USD/CNY", date(2026, 11, 10), date(2026, 11, 20), base_url=server + "/paged")
    assert [r.rate_date.day for r in rates] == [13, 16, 17, 18, 19, 20]
    assert [f["pageNum"] for f in Handler.posted] == ["1", "2"]


def test_fetch_latest(server):
    rate = fx_fetch.fetch_latest("USD/CNY", base_url=server)
    assert (rate.rate, rate.rate_date) == (Decimal("7.0788"), date(2026, 11, 27))


def test_a_server_error_and_a_wrong_page_are_clear(server):
    with pytest.raises(FxFetchError) as caught:
        fx_fetch.fetch_history("USD/CNY", date(2026, 11, 14), date(2026, 11, 20), base_url=server + "/nowhere")
    assert caught.value.code == "fx_source_error" and "HTTP 500" in caught.value.message_zh
    with pytest.raises(DomainError) as caught_html:
        fx_fetch.fetch_history("USD/CNY", date(2026, 11, 14), date(2026, 11, 20), base_url=server + "/maintenance")
    assert caught_html.value.code == "fx_response_invalid"


def test_a_slow_server_times_out_with_the_bilingual_error(server):
    with pytest.raises(FxFetchError) as caught:
        fx_fetch.fetch_history("USD/CNY", date(2026, 11, 14), date(2026, 11, 20), base_url=server + "/slow",
                               timeout=(1.0, 0.3))
    assert caught.value.code == "fx_source_unreachable"


def test_an_unreachable_host_gives_the_bilingual_error():
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    with pytest.raises(FxFetchError) as caught:
        fx_fetch.fetch_history("USD/CNY", date(2026, 11, 14), date(2026, 11, 20), base_url=base, timeout=(1.0, 1.0))
    error = caught.value
    assert error.code == "fx_source_unreachable"
    assert error.message_zh.startswith(f"无法连接中国外汇交易中心（{base}）获取人民币汇率中间价")
    assert error.message_en.startswith(f"Could not reach CFETS ({base}) for the RMB central parity")
    assert error.to_dict()["detail"]["error"] == "ConnectionError"
    with pytest.raises(FxFetchError):
        fx_fetch.fetch_latest(base_url=base, timeout=(1.0, 1.0))
