"""Parsing the CFETS (中国外汇交易中心, chinamoney.com.cn) RMB central-parity publication.

Two JSON documents behind the "人民币汇率中间价" pages; sync.fx_fetch downloads them, this module
only reads them. Their shape, as public clients of the site document it (e.g. the recorded
examples in tests/data/cfets/ and the sources named in docs/design-fx.md):

History, ``POST /ags/ms/cm-u-bk-ccpr/CcprHisNew`` (form: startDate, endDate, currency, pageNum,
pageSize)::

    {"head": {"version": "2.0", "provider": "CWAP", "rep_code": "200", "rep_message": ""},
     "data": {"head": ["USD/CNY", "EUR/CNY", "100JPY/CNY"], "searchlist": [...same...],
              "pageTotal": 1, "pageNum": 1, "total": 2, "startDate": "...", "endDate": "..."},
     "records": [{"date": "2026-02-06", "values": ["6.9590", "8.1923", "4.4367"]}, ...]}

``values`` line up with ``data.searchlist`` (or ``data.head``); a missing value is "---". A refused
query (a span of a year or more) comes back with empty records and ``data.flagMessage`` set.

Latest, ``/r/cms/www/chinamoney/data/fx/ccpr.json``::

    {"head": {...}, "data": {"lastDate": "2026-02-06 9:15", "lastDateEn": "06/02/2026 9:15"},
     "records": [{"vrtEName": "USD/CNY", "vrtName": "美元/人民币", "price": "6.9590", "bp": "20.00"}, ...]}

Rates keep the precision they are published with (strings, never floats).
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from desktop.errors import DomainError
from desktop.fx.calendar import BEIJING, PUBLICATION_TIME
from desktop.fx.rates import PUBLISHED_DECIMALS, Rate, normalise_pair

HISTORY_PATH = "/ags/ms/cm-u-bk-ccpr/CcprHisNew"
LATEST_PATH = "/r/cms/www/chinamoney/data/fx/ccpr.json"
BASE_URL = "https://www.chinamoney.com.cn"
REFERER = "https://www.chinamoney.com.cn/chinese/bkccpr/"
# The endpoint refuses spans of a year or more; stay well inside.
MAX_SPAN_DAYS = 360
PAGE_SIZE = 50
_MISSING = {"", "-", "--", "---"}
_LAST_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\s+(\d{1,2}):(\d{2}))?$")


def _invalid(reason_zh: str, reason_en: str) -> DomainError:
    return DomainError("fx_response_invalid", f"中国外汇交易中心返回的中间价数据无法识别：{reason_zh}",
                       f"The CFETS central-parity response could not be read: {reason_en}")


def _load(payload: str | bytes | dict[str, Any]) -> dict[str, Any]:
    if isinstance(payload, (str, bytes)):
        if not payload.strip():
            raise _invalid("内容为空", "the response is empty")
        try:
            payload = json.loads(payload)
        except (ValueError, UnicodeDecodeError):
            raise _invalid("不是 JSON（可能是维护页或验证页）",
                           "it is not JSON (perhaps a maintenance or challenge page)") from None
    if not isinstance(payload, dict):
        raise _invalid("不是 JSON 对象", "it is not a JSON object")
    head = payload.get("head")
    if isinstance(head, dict) and str(head.get("rep_code", "200")) != "200":
        code, text = head.get("rep_code"), head.get("rep_message") or ""
        raise _invalid(f"接口报错 {code} {text}".strip(), f"the service answered error {code} {text}".strip())
    if not isinstance(payload.get("records"), list):
        raise _invalid("缺少 records 列表", "there is no 'records' list")
    data = payload.get("data")
    if not isinstance(data, dict):
        raise _invalid("缺少 data 对象", "there is no 'data' object")
    return payload


def _rate_value(pair: str, text: object, where: str) -> Decimal | None:
    value = str(text).strip() if text is not None else ""
    if value in _MISSING:
        return None
    try:
        rate = Decimal(value.replace(",", ""))
    except InvalidOperation:
        raise _invalid(f"{where} 的 {pair} 值“{value}”不是数字",
                       f"the {pair} value {value!r} on {where} is not a number") from None
    if not rate.is_finite() or rate <= 0:
        raise _invalid(f"{where} 的 {pair} 值“{value}”不是正数",
                       f"the {pair} value {value!r} on {where} is not positive")
    # A different count of decimals means we are not reading what we think we are.
    expected = PUBLISHED_DECIMALS.get(pair)
    exponent = rate.as_tuple().exponent
    if expected is not None and isinstance(exponent, int) and -exponent != expected:
        raise _invalid(f"{where} 的 {pair} 值“{value}”不是 {expected} 位小数",
                       f"the {pair} value {value!r} on {where} does not have {expected} decimals")
    return rate


def _date(text: object, where: str) -> date:
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise _invalid(f"{where}的日期“{text}”无法识别", f"the date {text!r} in {where} is not valid") from None


def _published(d: date, at: time = PUBLICATION_TIME) -> datetime:
    return datetime.combine(d, at, tzinfo=BEIJING)


def parse_history(payload: str | bytes | dict[str, Any], pair: str | None = None) -> list[Rate]:
    """Rates from a CcprHisNew response, oldest first; only ``pair`` when given.

    An empty ``records`` list is a valid answer (no publication in the span, e.g. a holiday) unless
    the service says why it refused the query.
    """
    doc = _load(payload)
    data, records = doc["data"], doc["records"]
    if not records:
        flag = str(data.get("flagMessage") or "").strip()
        if flag:
            raise _invalid(f"查询被拒绝：{flag}", f"the query was refused: {flag}")
        return []
    columns = data.get("searchlist") or data.get("head")
    if not isinstance(columns, list) or not columns:
        raise _invalid("缺少币对列表（data.searchlist）", "the pair list (data.searchlist) is missing")
    pairs = [normalise_pair(str(c)) for c in columns]
    wanted = normalise_pair(pair) if pair is not None else None
    if wanted is not None and wanted not in pairs:
        raise _invalid(f"响应中没有 {wanted}", f"{wanted} is not in the response")
    rates: list[Rate] = []
    for index, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise _invalid(f"第 {index} 条记录格式错误", f"record {index} is not an object")
        day = _date(record.get("date"), f"第 {index} 条记录")
        values = record.get("values")
        if not isinstance(values, list) or len(values) != len(pairs):
            raise _invalid(f"{day} 的数值个数与币对个数不符", f"the values on {day} do not match the pair list")
        for name, text in zip(pairs, values, strict=True):
            if wanted is not None and name != wanted:
                continue
            value = _rate_value(name, text, day.isoformat())
            if value is not None:
                rates.append(Rate(name, value, day, "cfets", _published(day)))
    return sorted(rates, key=lambda r: (r.pair, r.rate_date))


def parse_latest(payload: str | bytes | dict[str, Any], pair: str | None = None) -> list[Rate]:
    """Rates from the ccpr.json "latest central parity" document; only ``pair`` when given."""
    doc = _load(payload)
    match = _LAST_DATE.match(str(doc["data"].get("lastDate") or "").strip())
    if match is None:
        raise _invalid(f"发布日期“{doc['data'].get('lastDate')}”无法识别",
                       f"the publication date {doc['data'].get('lastDate')!r} is not valid")
    day = _date(match.group(1), "lastDate")
    at = time(int(match.group(2)), int(match.group(3))) if match.group(2) else PUBLICATION_TIME
    wanted = normalise_pair(pair) if pair is not None else None
    rates: list[Rate] = []
    for index, record in enumerate(doc["records"], start=1):
        if not isinstance(record, dict) or not record.get("vrtEName"):
            raise _invalid(f"第 {index} 条记录缺少币对", f"record {index} has no pair")
        name = normalise_pair(str(record["vrtEName"]))
        if wanted is not None and name != wanted:
            continue
        value = _rate_value(name, record.get("price"), day.isoformat())
        if value is not None:
            rates.append(Rate(name, value, day, "cfets", _published(day, at)))
    if wanted is not None and not rates:
        raise _invalid(f"响应中没有 {wanted}", f"{wanted} is not in the response")
    return rates


def page_total(payload: str | bytes | dict[str, Any]) -> int:
    """How many pages a CcprHisNew answer says there are (1 when it does not say)."""
    try:
        return max(1, int(_load(payload)["data"].get("pageTotal") or 1))
    except (TypeError, ValueError):
        return 1


def history_form(pair: str, start: date, end: date, page: int = 1) -> dict[str, str]:
    """The form CcprHisNew expects for ``pair`` from ``start`` to ``end``."""
    if end < start:
        raise ValueError("end is before start")
    if (end - start).days > MAX_SPAN_DAYS:
        raise ValueError(f"CFETS answers at most {MAX_SPAN_DAYS} days per query")
    return {"startDate": start.isoformat(), "endDate": end.isoformat(), "currency": normalise_pair(pair),
            "pageNum": str(page), "pageSize": str(PAGE_SIZE)}
