"""Declared mutation inputs, checked before anything is written.

Args arrive as JSON-ready values (they are stored in the outbox and replayed on the server), so a
field parses text into the domain type: times from ISO text, money from decimal text.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from desktop import errors, timeutil, types
from desktop.errors import Label
from desktop.ids import is_uuid
from desktop.text_rules import has_invalid_code_points

# What an integer column holds on every database (PostgreSQL's INTEGER is 32 bits): an "int" field's
# default bounds, so that a value the column cannot hold is the user's error, not the database's.
INT_RANGE = (-(2**31), 2**31 - 1)
# Tabs and line breaks are text; NUL and other control characters are not (they break exports and PDFs).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Field:
    """One input of a mutation. ``kind`` is text, id, time, choice, money, bool, int (within ``low``..``high``, by
    default INT_RANGE), number (a finite float, within ``low``..``high`` when given), decimal (exact, from text, within ``low``..``high``
    and with at most ``places`` decimal places), date (``YYYY-MM-DD`` text), choices (a list of
    distinct ``choices``) or objects (a list of JSON objects, checked by the mutation)."""

    label: Label
    kind: str = "text"
    required: bool = False
    max_len: int | None = None
    choices: tuple[str, ...] = ()
    nullable: bool = False  # may be given as None to clear it
    low: float | Decimal | None = None
    high: float | Decimal | None = None
    places: int | None = None

    def parse(self, name: str, value: Any) -> Any:
        if value is None:
            if self.required:
                raise errors.missing_field(name, self.label)
            if self.nullable or self.kind not in ("text", "bool"):
                return None
            raise errors.wrong_type(name, self.label, "文本", "text")
        parser = getattr(self, f"_parse_{self.kind}")
        return parser(name, value)

    # ---- Private API

    def _parse_text(self, name: str, value: Any) -> str:
        if not isinstance(value, str):
            raise errors.wrong_type(name, self.label, "文本", "text")
        if has_invalid_code_points(value):
            # A lone surrogate (broken UTF-16 from a paste or a file) or a noncharacter: neither the
            # database nor JSON over HTTP can carry it, so it is refused here, as the user's error.
            raise self._invalid_text(name)
        value = value.strip()
        if self.required and not value:
            raise errors.missing_field(name, self.label)
        if self.max_len is not None and len(value) > self.max_len:
            raise errors.too_long(name, self.label, self.max_len, len(value))
        if _CONTROL.search(value):
            raise errors.invalid_value(name, f"“{self.label.zh}”含有不可见的控制字符，请删除后重试。",
                                       f"{self.label.en} contains invisible control characters; remove them.")
        return value

    def _invalid_text(self, name: str) -> errors.DomainError:
        return errors.invalid_value(name, f"“{self.label.zh}”含有无效字符（可能是复制时损坏的文字），请删除后重新输入。",
                                    f"{self.label.en} contains invalid characters (text damaged in copying); "
                                    "delete them and type it again.")

    def _parse_id(self, name: str, value: Any) -> str:
        if not is_uuid(value):
            raise errors.wrong_type(name, self.label, "有效的编号（UUID）", "a valid id (UUID)")
        return value

    def _parse_time(self, name: str, value: Any) -> datetime:
        if isinstance(value, str):
            try:
                return timeutil.from_text(value)
            except (ValueError, OverflowError):  # OverflowError: the offset takes it past year 1 or 9999
                pass
        raise errors.wrong_type(name, self.label, "带时区的时间（ISO 8601）", "a time with a zone (ISO 8601)")

    def _parse_choice(self, name: str, value: Any) -> str:
        if not isinstance(value, str) or value not in self.choices:
            raise errors.invalid_choice(name, self.label, value, list(self.choices))
        return value

    def _parse_money(self, name: str, value: Any) -> Decimal:
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            try:
                amount = Decimal(value)
            except InvalidOperation:
                amount = None
            if amount is not None and amount.is_finite():
                if amount < 0:
                    raise errors.invalid_value(name, f"“{self.label.zh}”不能为负数。",
                                               f"{self.label.en} cannot be negative.")
                try:
                    types.money(amount)  # what the Money column will store; too many digits fail here
                except InvalidOperation:
                    raise errors.invalid_value(name, f"“{self.label.zh}”金额过大。",
                                               f"{self.label.en} is too large.") from None
                return amount
        raise errors.wrong_type(name, self.label, "金额（如 \"12000.00\"）", 'an amount (such as "12000.00")')

    def _parse_decimal(self, name: str, value: Any) -> Decimal:
        amount = None
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            try:
                amount = Decimal(value.strip() if isinstance(value, str) else value)
            except InvalidOperation:
                amount = None
        if amount is None or not amount.is_finite():
            raise errors.wrong_type(name, self.label, "数字（如 \"12.5\"）", 'a number (such as "12.5")')
        if (self.low is not None and amount < Decimal(str(self.low))) or \
                (self.high is not None and amount > Decimal(str(self.high))):
            raise errors.invalid_value(name, f"“{self.label.zh}”应在 {self.low:g} 到 {self.high:g} 之间。",
                                       f"{self.label.en} must be between {self.low:g} and {self.high:g}.")
        exponent = amount.normalize().as_tuple().exponent
        if self.places is not None and isinstance(exponent, int) and -exponent > self.places:
            raise errors.invalid_value(name, f"“{self.label.zh}”最多 {self.places} 位小数。",
                                       f"{self.label.en} has at most {self.places} decimal places.")
        return amount

    def _parse_date(self, name: str, value: Any) -> str:
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            try:
                return date.fromisoformat(value.strip()).isoformat()
            except ValueError:
                pass
        raise errors.wrong_type(name, self.label, "日期（如 2026-12-31）", "a date (such as 2026-12-31)")

    def _parse_objects(self, name: str, value: Any) -> list[dict[str, Any]]:
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise errors.wrong_type(name, self.label, "对象列表", "a list of objects")
        if _any_invalid_text(value):  # the mutation checks the objects' meaning; no text in them may be broken
            raise self._invalid_text(name)
        return [dict(item) for item in value]

    def _parse_bool(self, name: str, value: Any) -> bool:
        if not isinstance(value, bool):
            raise errors.wrong_type(name, self.label, "是或否", "true or false")
        return value

    def _parse_int(self, name: str, value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise errors.wrong_type(name, self.label, "整数", "a whole number")
        low = INT_RANGE[0] if self.low is None else self.low
        high = INT_RANGE[1] if self.high is None else self.high
        if not low <= value <= high:
            raise errors.invalid_value(name, f"“{self.label.zh}”应在 {low} 到 {high} 之间。",
                                       f"{self.label.en} must be between {low} and {high}.")
        return value

    def _parse_number(self, name: str, value: Any) -> float:
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            raise errors.wrong_type(name, self.label, "数字", "a number")
        if (self.low is not None and value < self.low) or (self.high is not None and value > self.high):
            raise errors.invalid_value(name, f"“{self.label.zh}”应在 {self.low:g} 到 {self.high:g} 之间。",
                                       f"{self.label.en} must be between {self.low:g} and {self.high:g}.")
        return float(value)

    def _parse_choices(self, name: str, value: Any) -> list[str]:
        if not isinstance(value, list):
            raise errors.wrong_type(name, self.label, "选项列表", "a list of choices")
        for item in value:
            if not isinstance(item, str) or item not in self.choices:
                raise errors.invalid_choice(name, self.label, item, list(self.choices))
        return list(dict.fromkeys(value))


def _any_invalid_text(value: Any) -> bool:
    if isinstance(value, str):
        return has_invalid_code_points(value)
    if isinstance(value, dict):
        return any(_any_invalid_text(k) or _any_invalid_text(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_any_invalid_text(item) for item in value)
    return False


def validate(fields: dict[str, Field], args: Any) -> dict[str, Any]:
    """Parse args against fields: unknown names, missing required ones and bad values raise DomainError.

    Only the fields present in args are returned (absent optional fields mean "leave as is").
    """
    if not isinstance(args, dict):
        raise errors.invalid_value(None, "请求内容格式不正确。", "The request must be a set of named fields.")
    for name in args:
        if name not in fields:
            raise errors.unknown_field(name)
    parsed: dict[str, Any] = {}
    for name, field in fields.items():
        if name in args:
            parsed[name] = field.parse(name, args[name])
        elif field.required:
            raise errors.missing_field(name, field.label)
    return parsed


def optional(fields: dict[str, Field]) -> dict[str, Field]:
    """The same fields for an update: none required, and None reaches the mutation, which can then
    say that a required value may not be cleared."""
    return {name: replace(f, required=False, nullable=f.nullable or f.required) for name, f in fields.items()}
