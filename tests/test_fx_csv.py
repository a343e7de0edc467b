"""Finance's rate file and manual rate entry."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from desktop.errors import DomainError
from desktop.fx.csv_rates import check_rate, manual_rate, parse_rate_date, read_csv, read_csv_file
from desktop.fx.rates import Rate

TODAY = date(2026, 11, 27)


def test_a_good_file_gives_rates_with_the_published_precision():
    text = ("date,pair,rate,source\n"
            "2026-11-20,USD/CNY,7.0812,cfets\n"
            "2026/11/19,usd/cny,7.08,\n"
            "2026-11-19,HKD/CNY,0.89080,csv\n")
    result = read_csv(text.encode(), TODAY)
    assert result.ok and result.problems == []
    assert result.rates == [
        Rate("HKD/CNY", Decimal("0.89080"), date(2026, 11, 19), "csv"),
        Rate("USD/CNY", Decimal("7.0800"), date(2026, 11, 19), "csv"),
        Rate("USD/CNY", Decimal("7.0812"), date(2026, 11, 20), "cfets"),
    ]
    assert str(result.rates[1].rate) == "7.0800"


def test_chinese_headers_bom_and_gbk_files_are_read():
    text = "日期,货币对,中间价\n2026-11-20,USD/CNY,7.0812\n"
    for data in (b"\xef\xbb\xbf" + text.encode(), text.encode("gbk")):
        result = read_csv(data, TODAY)
        assert result.ok and [r.rate for r in result.rates] == [Decimal("7.0812")]
        assert result.rates[0].source == "csv"


def test_bad_rows_are_reported_with_their_row_number_and_column():
    text = ("日期,货币对,汇率,来源\n"          # row 1
            "2026-11-20,USD/CNY,7.0812,\n"      # row 2: fine
            "2026-11-19,USD/CNY,70.812,\n"      # row 3: out of band
            ",,,\n"                             # row 4: blank, skipped
            "19/11/2026,USD/CNY,7.0800,\n"      # row 5: date
            "2026-11-28,USD/CNY,7.0800,\n"      # row 6: future
            "2026-11-20,USD/CNY,7.0813,\n"      # row 7: contradicts row 2
            "2026-11-18,USD/CNY,7.08123,\n"     # row 8: too many decimals
            "2026-11-17,USDCNY,7.0800,\n"       # row 9: pair
            "2026-11-16,USD/CNY,7.0800,bank\n"  # row 10: source
            "2026-11-20,USD/CNY,7.0812,\n")     # row 11: same as row 2, ignored
    result = read_csv(text.encode(), TODAY)
    assert [r.rate_date for r in result.rates] == [date(2026, 11, 20)]
    found = [(p.row, p.column) for p in result.problems]
    assert found == [(3, "汇率"), (5, "日期"), (6, "日期"), (7, "汇率"), (8, "汇率"), (9, "货币对"), (10, "来源")]
    by_row = {p.row: p for p in result.problems}
    assert by_row[3].text("zh") == "第 3 行：USD/CNY 汇率 70.8120 不在合理范围 5.0000–9.0000 内，请检查是否输错。"
    assert by_row[3].text("en") == "Row 3: USD/CNY rate 70.8120 is outside the sane range 5.0000–9.0000; check for a typo."
    assert "第 2 行" in by_row[7].message_zh and "row 2" in by_row[7].message_en
    assert by_row[6].message("en") == "Rate date 2026-11-28 is after today (2026-11-27)."
    assert not result.ok


def test_a_file_without_the_required_columns_is_refused():
    with pytest.raises(DomainError) as caught:
        read_csv("日期,汇率\n2026-11-20,7.0812\n".encode(), TODAY)
    assert caught.value.code == "missing_columns" and "pair" in caught.value.message_zh
    with pytest.raises(DomainError):
        read_csv(b"", TODAY)
    with pytest.raises(DomainError) as undecodable:
        read_csv(b"date,pair,rate\n\xff\xfe\xfa\x80", TODAY)
    assert undecodable.value.code == "invalid_file"


def test_read_from_disk(tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text("date,pair,rate\n2026-11-20,USD/CNY,7.0812\n", encoding="utf-8")
    assert read_csv_file(path, TODAY).rates[0].rate == Decimal("7.0812")


# ---- Manual entry

def test_a_manual_rate():
    rate = manual_rate("usd/cny", "7.1234", date(2026, 11, 27), TODAY)
    assert rate == Rate("USD/CNY", Decimal("7.1234"), date(2026, 11, 27), "manual")
    assert rate.published_at is None
    assert manual_rate("USD/CNY", Decimal("7.1"), date(2026, 11, 20), TODAY).rate.as_tuple().exponent == -4


@pytest.mark.parametrize(("rate", "day", "code", "field"), [
    ("7.12345", date(2026, 11, 20), "rate_precision", "rate"),
    ("4.9999", date(2026, 11, 20), "rate_out_of_band", "rate"),
    ("9.0001", date(2026, 11, 20), "rate_out_of_band", "rate"),
    ("0", date(2026, 11, 20), "invalid_rate", "rate"),
    ("-7.1", date(2026, 11, 20), "invalid_rate", "rate"),
    ("seven", date(2026, 11, 20), "invalid_rate", "rate"),
    ("NaN", date(2026, 11, 20), "invalid_rate", "rate"),
    ("7.1234", date(2026, 11, 28), "rate_date_future", "rate_date"),
])
def test_manual_rates_are_checked(rate, day, code, field):
    with pytest.raises(DomainError) as caught:
        manual_rate("USD/CNY", rate, day, TODAY)
    assert (caught.value.code, caught.value.field) == (code, field)
    assert caught.value.message_zh and caught.value.message_en


def test_band_edges_are_allowed_and_floats_are_not():
    assert check_rate("USD/CNY", "5.0000", TODAY, TODAY) == Decimal("5.0000")
    assert check_rate("USD/CNY", "9", TODAY, TODAY) == Decimal("9.0000")
    assert check_rate("GBP/CNY", "9.5000", TODAY, TODAY) == Decimal("9.5000")  # no band known: positive is enough
    with pytest.raises(TypeError):
        check_rate("USD/CNY", 7.1234, TODAY, TODAY)  # type: ignore[arg-type]
    with pytest.raises(DomainError) as caught:
        manual_rate("USD/USD", "1", TODAY, TODAY)
    assert caught.value.code == "invalid_pair"


def test_rate_dates():
    assert parse_rate_date(" 2026/1/5 ") == date(2026, 1, 5)
    assert parse_rate_date("2026.11.20") == date(2026, 11, 20)
    for bad in ("2026-02-30", "20261120", "11/20/2026", ""):
        with pytest.raises(DomainError):
            parse_rate_date(bad)
