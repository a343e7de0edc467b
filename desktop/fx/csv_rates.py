"""Rates from finance's CSV file, and checks for a rate typed in by hand.

The file (docs/design-fx.md) has a header row and these columns, in any order:

=========  =====================================  ========================================
column     also accepted as                       value
=========  =====================================  ========================================
date       日期, rate_date                        publication date, 2026-11-20 or 2026/11/20
pair       货币对, currency                        USD/CNY (one unit of the first in the second)
rate       汇率, 中间价                            7.1234 - at most 4 decimals (HKD/CNY: 5)
source     来源 (optional)                         cfets, csv or manual; empty means csv
=========  =====================================  ========================================

Every row is checked like a manual entry (see :func:`check_rate`): a positive number with at most
the pair's published decimals (four; five for HKD/CNY), inside the pair's sane band when one is known, dated no later than today in Beijing.
Bad rows come back as :class:`RowProblem` (row number as a spreadsheet shows it, the header being
row 1) with messages in Chinese and English; good rows as :class:`Rate`.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from desktop.errors import DomainError
from desktop.fx.rates import SOURCES, Rate, normalise_pair, published_decimals

# A rate outside its band is a typo (7.1234 typed as 71.234 or 0.71234), not a market move.
SANE_BANDS: dict[str, tuple[Decimal, Decimal]] = {
    "USD/CNY": (Decimal("5.0000"), Decimal("9.0000")),
    "EUR/CNY": (Decimal("5.0000"), Decimal("11.0000")),
    "HKD/CNY": (Decimal("0.6000"), Decimal("1.2000")),
    "100JPY/CNY": (Decimal("3.0000"), Decimal("9.0000")),
}
MAX_BYTES = 5 * 1024 * 1024

_COLUMNS: dict[str, tuple[str, ...]] = {
    "date": ("date", "ratedate", "日期", "发布日期"),
    "pair": ("pair", "currency", "currencypair", "货币对", "币种"),
    "rate": ("rate", "汇率", "中间价"),
    "source": ("source", "来源"),
}
_REQUIRED = ("date", "pair", "rate")
_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")


@dataclass(frozen=True)
class RowProblem:
    """Why a row was not read: spreadsheet row number (the header is row 1), column, message."""

    row: int
    column: str
    message_zh: str
    message_en: str

    def message(self, language: str) -> str:
        """The message in the user's language ('zh…' gives Chinese, anything else English)."""
        return self.message_zh if language.lower().startswith("zh") else self.message_en

    def text(self, language: str) -> str:
        """The message with its row: 第 3 行：… / Row 3: …"""
        if language.lower().startswith("zh"):
            return f"第 {self.row} 行：{self.message_zh}"
        return f"Row {self.row}: {self.message_en}"


@dataclass
class CsvRates:
    """What a file held: the rates read and the rows that could not be."""

    rates: list[Rate] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether every row was read."""
        return not self.problems


# ---- One value at a time (shared with manual entry)

def parse_rate_date(text: str) -> date:
    """A date written 2026-11-20, 2026/11/20 or 2026.11.20."""
    match = _DATE.match(text.strip())
    try:
        if match is None:
            raise ValueError
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise DomainError("invalid_date", f"日期“{text}”无效，应写作 2026-11-20。",
                          f"Date {text!r} is not valid; write it like 2026-11-20.", "rate_date") from None


def check_rate(pair: str, rate: Decimal | str, rate_date: date, today: date) -> Decimal:
    """The rate with its pair's published decimals (4 for USD/CNY), or a DomainError naming the field at fault.

    ``today`` is the current date in Beijing (desktop.fx.calendar.beijing_date); a rate cannot be
    dated after it.
    """
    name = normalise_pair(pair)
    if isinstance(rate, float):
        raise TypeError("rates must be Decimal or text, not float")
    text = str(rate).strip().replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise DomainError("invalid_rate", f"汇率“{rate}”不是数字。", f"Rate {str(rate)!r} is not a number.",
                          "rate") from None
    if not value.is_finite() or value <= 0:
        raise DomainError("invalid_rate", f"汇率“{rate}”应为正数。", f"Rate {str(rate)!r} must be positive.", "rate")
    decimals = published_decimals(name)
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > decimals:
        raise DomainError("rate_precision", f"汇率“{rate}”最多 {decimals} 位小数（中间价的精度）。",
                          f"Rate {str(rate)!r} has more than {decimals} decimals (the central parity's precision).",
                          "rate", {"decimals": decimals})
    # 7.12 means 7.1200: the stored value carries the publication's precision.
    value = value.quantize(Decimal(1).scaleb(-decimals))
    band = SANE_BANDS.get(name)
    if band is not None and not band[0] <= value <= band[1]:
        low, high = band
        raise DomainError("rate_out_of_band", f"{name} 汇率 {value} 不在合理范围 {low}–{high} 内，请检查是否输错。",
                          f"{name} rate {value} is outside the sane range {low}–{high}; check for a typo.",
                          "rate", {"low": str(low), "high": str(high)})
    if rate_date > today:
        raise DomainError("rate_date_future", f"汇率日期 {rate_date.isoformat()} 晚于今天（{today.isoformat()}）。",
                          f"Rate date {rate_date.isoformat()} is after today ({today.isoformat()}).", "rate_date")
    return value


def manual_rate(pair: str, rate: Decimal | str, rate_date: date, today: date) -> Rate:
    """A rate typed in by hand, checked; source "manual", no publication time."""
    return Rate(normalise_pair(pair), check_rate(pair, rate, rate_date, today), rate_date, "manual")


# ---- The file

def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise DomainError("invalid_file", "无法识别文件的编码：请另存为“CSV UTF-8（逗号分隔）”后重试。",
                          "The file's encoding is not recognised; save it as \"CSV UTF-8 (comma delimited)\" "
                          "and try again.") from None


def _key(header: str) -> str:
    return re.sub(r"[\s_\-]", "", header.strip().lower())


def read_csv(data: bytes, today: date) -> CsvRates:
    """Read a rates file; refuses (DomainError) a file without the required columns."""
    if len(data) > MAX_BYTES:
        raise DomainError("invalid_file", f"文件超过 {MAX_BYTES // 1024 // 1024} MB。",
                          f"The file is larger than {MAX_BYTES // 1024 // 1024} MB.")
    rows = list(csv.reader(io.StringIO(_decode(data))))
    if not rows:
        raise DomainError("invalid_file", "文件是空的。", "The file is empty.")
    header = rows[0]
    where: dict[str, int] = {}
    for index, title in enumerate(header):
        for key, aliases in _COLUMNS.items():
            if _key(title) in aliases and key not in where:
                where[key] = index
    missing = [k for k in _REQUIRED if k not in where]
    if missing:
        names = ", ".join(missing)
        raise DomainError("missing_columns", f"文件缺少列：{names}（需要 date, pair, rate 三列）。",
                          f"The file has no column {names} (date, pair and rate are required).",
                          detail={"missing": missing})
    result = CsvRates()
    seen: dict[tuple[str, date], tuple[int, Decimal]] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue

        def cell(key: str, row: list[str] = row) -> str:
            index = where.get(key)
            return row[index].strip() if index is not None and index < len(row) else ""

        column = "date"
        try:
            rate_date = parse_rate_date(cell("date"))
            column = "pair"
            pair = normalise_pair(cell("pair"))
            column = "rate"
            value = check_rate(pair, cell("rate"), rate_date, today)
            column = "source"
            source = (cell("source") or "csv").lower()
            if source not in SOURCES or source == "server":
                raise DomainError("invalid_choice", f"来源“{cell('source')}”无效，可选：cfets, csv, manual。",
                                  f"Source {cell('source')!r} is not valid; choose one of: cfets, csv, manual.",
                                  "source")
        except DomainError as exc:
            column = {"rate_date": "date", "pair": "pair", "rate": "rate", "source": "source"}.get(
                exc.field or "", column)
            title = header[where[column]] if column in where else column
            result.problems.append(RowProblem(number, title, exc.message_zh, exc.message_en))
            continue
        earlier = seen.get((pair, rate_date))
        if earlier is not None:
            if earlier[1] != value:
                result.problems.append(RowProblem(
                    number, header[where["rate"]],
                    f"{pair} 在 {rate_date.isoformat()} 已有汇率 {earlier[1]}（第 {earlier[0]} 行），与本行 {value} 不一致。",
                    f"{pair} on {rate_date.isoformat()} already has rate {earlier[1]} (row {earlier[0]}), "
                    f"which differs from {value} on this row."))
            continue
        seen[(pair, rate_date)] = (number, value)
        result.rates.append(Rate(pair, value, rate_date, source))
    result.rates.sort(key=lambda r: (r.pair, r.rate_date))
    return result


def read_csv_file(path: str | Path, today: date) -> CsvRates:
    """Read a rates file from disk (see :func:`read_csv`)."""
    return read_csv(Path(path).read_bytes(), today)
