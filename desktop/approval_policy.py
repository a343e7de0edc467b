"""Which approvals a quote needs: an ordered policy of rules, kept as data, applied to a quote's facts.

A pure function of the policy, the quote and the rates; no database, no Qt. The rules, in the order
the finance director lists them (the default policy below is the issue's):

- ``always``: every quote needs this role's approval (finance);
- ``fx_drift``: a quote with a locked rate whose drift |today's rate - locked rate| / locked rate is
  strictly above ``threshold_pct`` percent (0.8) needs this role too (the finance director). The drift
  is an exact Decimal: 0.80% is not escalated, 0.8001% is;
- ``discount``: an effective discount (gross to net, desktop.quote_math) strictly above
  ``threshold_pct`` percent needs this role (a sales manager);
- ``total``: a total strictly above ``threshold`` in ``currency`` (CNY; a USD total is converted at the
  locked rate) needs this role (the finance director).

Each requirement carries its reason in Chinese and English, worded for the person asked to approve.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, NamedTuple

from desktop import errors
from desktop.fx.rates import rate_text

KINDS = ("always", "fx_drift", "discount", "total")
APPROVER_ROLES = ("finance", "finance_director", "sales_manager", "key_account_director")
ROLE_NAMES = {"finance": ("财务", "finance"), "finance_director": ("财务总监", "the finance director"),
              "sales_manager": ("销售经理", "a sales manager"),
              "key_account_director": ("大客户总监", "a key-account director")}
HUNDRED = Decimal(100)

DEFAULT_RULES: list[dict[str, Any]] = [
    {"key": "finance", "kind": "always", "role": "finance"},
    {"key": "fx_drift", "kind": "fx_drift", "role": "finance_director", "threshold_pct": "0.8"},
    {"key": "discount", "kind": "discount", "role": "sales_manager", "threshold_pct": "15"},
    {"key": "total", "kind": "total", "role": "finance_director", "threshold": "500000", "currency": "CNY"},
]


@dataclass(frozen=True)
class Rule:
    key: str
    kind: str
    role: str
    threshold: Decimal | None = None  # percent for fx_drift and discount, an amount for total
    currency: str = "CNY"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "kind": self.kind, "role": self.role}
        if self.kind in ("fx_drift", "discount"):
            out["threshold_pct"] = str(self.threshold)
        elif self.kind == "total":
            out["threshold"], out["currency"] = str(self.threshold), self.currency
        return out


class Facts(NamedTuple):
    """What the policy looks at: the quote's currency, total and effective discount (percent), and the
    rate it locked (USD quotes), all as Decimals. (A named tuple: an inbox holds thousands.)"""

    currency: str
    total: Decimal
    discount_pct: Decimal
    locked_rate: Decimal | None = None


@dataclass(frozen=True)
class Requirement:
    rule: str
    role: str
    reason_zh: str
    reason_en: str

    def to_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "role": self.role, "reason_zh": self.reason_zh, "reason_en": self.reason_en}


def _bad(index: int, zh: str, en: str) -> errors.DomainError:
    return errors.invalid_value("rules", f"第 {index + 1} 条规则：{zh}", f"Rule {index + 1}: {en}")


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount >= 0 else None


def parse(raw: Any) -> list[Rule]:
    """The rules of a policy from their stored (JSON) form; a DomainError on field ``rules`` names the
    first rule at fault and what is wrong with it."""
    if not isinstance(raw, list) or not raw:
        raise errors.invalid_value("rules", "审批规则应为非空列表。", "The approval rules must be a non-empty list.")
    rules: list[Rule] = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise _bad(index, "格式不正确。", "it is not a rule.")
        kind, role, key = item.get("kind"), item.get("role"), item.get("key") or item.get("kind")
        if kind not in KINDS:
            raise _bad(index, f"类型 {kind!r} 无效，可选：{', '.join(KINDS)}。",
                       f"kind {kind!r} is not valid; choose one of: {', '.join(KINDS)}.")
        if role not in APPROVER_ROLES:
            raise _bad(index, f"审批角色 {role!r} 无效，可选：{', '.join(APPROVER_ROLES)}。",
                       f"approver role {role!r} is not valid; choose one of: {', '.join(APPROVER_ROLES)}.")
        if not isinstance(key, str) or not key or len(key) > 32:
            raise _bad(index, "规则名称应为 1 到 32 个字符。", "the rule's key must be 1 to 32 characters.")
        if key in {r.key for r in rules}:
            raise _bad(index, f"规则名称“{key}”重复。", f"the key {key!r} is used twice.")
        allowed = {"key", "kind", "role"} | {"fx_drift": {"threshold_pct"}, "discount": {"threshold_pct"},
                                             "total": {"threshold", "currency"}, "always": set()}[kind]
        extra = sorted(set(item) - allowed)
        if extra:
            raise _bad(index, f"不认识的设置：{', '.join(extra)}。", f"unknown settings: {', '.join(extra)}.")
        threshold = None
        currency = "CNY"
        if kind in ("fx_drift", "discount"):
            threshold = _decimal(item.get("threshold_pct"))
            if threshold is None or threshold > HUNDRED:
                raise _bad(index, "阈值应为 0 到 100 之间的百分数（文本，如 \"0.8\"）。",
                           'the threshold must be a percentage from 0 to 100, as text (such as "0.8").')
        elif kind == "total":
            threshold = _decimal(item.get("threshold"))
            currency = item.get("currency", "CNY")
            if threshold is None:
                raise _bad(index, "金额阈值应为非负金额（文本，如 \"500000\"）。",
                           'the threshold must be an amount of 0 or more, as text (such as "500000").')
            if currency not in ("CNY", "USD"):
                raise _bad(index, "币种应为 CNY 或 USD。", "the currency must be CNY or USD.")
        rules.append(Rule(key, kind, role, threshold, currency))
    if not any(rule.kind == "always" for rule in rules):
        raise errors.invalid_value("rules", "审批规则中至少要有一条“每份报价都需审批”的规则。",
                                   "The policy needs at least one rule every quote must pass (kind always).")
    return rules


def drift_pct(locked: Decimal, today: Decimal) -> Decimal:
    """|today - locked| / locked, in percent, exact."""
    return abs(today - locked) * HUNDRED / locked


def _convert(amount: Decimal, from_currency: str, to_currency: str, usd_cny: Decimal | None) -> Decimal | None:
    if from_currency == to_currency:
        return amount
    if usd_cny is None:
        return None
    return amount * usd_cny if from_currency == "USD" else amount / usd_cny


def pct_text(value: Decimal, against: Decimal | None = None) -> str:
    """A percentage for people, without trailing zeros: three places, and as many more as it takes to
    differ from the threshold ``against`` it is compared with, so a drift of 0.80004% reads "0.80004",
    never the "0.8" it exceeds (half-up rounding to at least the threshold's places never crosses it)."""
    places = 3
    if against is not None and value != against:
        exponent = against.normalize().as_tuple().exponent
        places = max(places, -exponent if isinstance(exponent, int) else places)
    while True:
        shown = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        if against is None or value == against or shown != against or places >= 28:
            text = f"{shown.normalize():f}"
            return "0" if text in ("0", "-0") else text
        places += 1


def _amount_text(value: Decimal, against: Decimal) -> str:
    """A converted amount to the cent, with more places only where the cents would equal the threshold
    it exceeds (500000.004 CNY is not "500000.00 超过 500000")."""
    places = 2
    while True:
        shown = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        if shown != against or value == against or places >= 12:
            return f"{shown:,f}"
        places += 1


def _rate(value: Decimal) -> str:
    return rate_text(value, "USD/CNY")


def firing(rules: Sequence[Rule], facts: Facts, today_rate: Decimal | None) -> list[Rule]:
    """The rules that apply to a quote, in the policy's order: the decision alone, without the words
    (what a list of thousands of quotes needs; :func:`required` adds each one's reason).

    ``today_rate`` is today's USD/CNY rate as cached here (None when none is known).
    """
    out: list[Rule] = []
    for rule in rules:
        threshold = rule.threshold if rule.threshold is not None else Decimal(0)
        if rule.kind == "always":
            out.append(rule)
        elif rule.kind == "fx_drift" and facts.locked_rate is not None:
            if today_rate is None or drift_pct(facts.locked_rate, today_rate) > threshold:
                out.append(rule)
        elif rule.kind == "discount" and facts.discount_pct > threshold:
            out.append(rule)
        elif rule.kind == "total":
            amount = _convert(facts.total, facts.currency, rule.currency, facts.locked_rate or today_rate)
            if amount is None or amount > threshold:
                out.append(rule)
    return out


def required(rules: Sequence[Rule], facts: Facts, today_rate: Decimal | None) -> list[Requirement]:
    """The approvals a quote needs under ``rules`` (in their order), each with its reason.

    ``today_rate`` is today's USD/CNY rate as cached here (None when none is known).
    """
    return [_requirement(rule, facts, today_rate) for rule in firing(rules, facts, today_rate)]


def _requirement(rule: Rule, facts: Facts, today_rate: Decimal | None) -> Requirement:
    """A firing rule as a requirement, with its reason worded for the person asked to approve."""
    who_zh, who_en = ROLE_NAMES[rule.role]
    threshold = rule.threshold if rule.threshold is not None else Decimal(0)
    if rule.kind == "fx_drift" and facts.locked_rate is not None:
        if today_rate is None:
            return Requirement(rule.key, rule.role, f"没有今日汇率，无法核对锁定汇率，需{who_zh}确认。",
                               f"No rate is known for today to check the locked rate against; {who_en} must confirm.")
        drift = drift_pct(facts.locked_rate, today_rate)
        return Requirement(
            rule.key, rule.role,
            f"汇率偏离 {pct_text(drift, threshold)}%（锁定 {_rate(facts.locked_rate)}，今日 {_rate(today_rate)}），"
            f"超过 {pct_text(threshold)}%，需{who_zh}确认。",
            f"The exchange rate has moved {pct_text(drift, threshold)}% (locked {_rate(facts.locked_rate)}, "
            f"today {_rate(today_rate)}), more than {pct_text(threshold)}%; {who_en} must confirm.")
    if rule.kind == "discount":
        return Requirement(
            rule.key, rule.role,
            f"综合折扣 {pct_text(facts.discount_pct, threshold)}% 超过 {pct_text(threshold)}%，需{who_zh}审批。",
            f"The overall discount of {pct_text(facts.discount_pct, threshold)}% is above {pct_text(threshold)}%; "
            f"{who_en} must approve.")
    if rule.kind == "total":
        if _convert(facts.total, facts.currency, rule.currency, facts.locked_rate or today_rate) is None:
            return Requirement(rule.key, rule.role, f"没有汇率，无法换算总额，需{who_zh}审批。",
                               f"No rate is known to convert the total; {who_en} must approve.")
        shown_zh = shown_en = f"{facts.total:,f} {facts.currency}"
        if facts.currency != rule.currency:  # say what was compared: the total converted, and at which rate
            rate = facts.locked_rate or today_rate
            converted = _convert(facts.total, facts.currency, rule.currency, rate)
            assert converted is not None and rate is not None  # checked above
            amount = f"{_amount_text(converted, threshold)} {rule.currency}"
            shown_zh += f"（按 {_rate(rate)} 折合 {amount}）"
            shown_en += f" ({amount} at {_rate(rate)})"
        limit = f"{threshold.normalize():,f} {rule.currency}"
        gap = "" if shown_zh.endswith("）") else " "  # no space after a full-width bracket
        return Requirement(rule.key, rule.role, f"报价总额 {shown_zh}{gap}超过 {limit}，需{who_zh}审批。",
                           f"The total of {shown_en} is above {limit}; {who_en} must approve.")
    return Requirement(rule.key, rule.role, f"每份报价都需{who_zh}审批。", f"Every quote needs the approval of {who_en}.")


def stored(items: Iterable[Mapping[str, Any]]) -> list[Requirement]:
    """Requirements as a quote or an approval keeps them (Requirement.to_dict)."""
    return [Requirement(str(i["rule"]), str(i["role"]), str(i.get("reason_zh", "")), str(i.get("reason_en", "")))
            for i in items]


def in_force(live: Sequence[Requirement], fired: Iterable[Requirement]) -> list[Requirement]:
    """What a quote needs in its approval round: what the policy requires now (``live``, in its order),
    then every requirement that fired earlier in the round and does not fire now, with the reason it
    had then. A requirement never lapses within a round: an approval given while the finance director
    was needed cannot end up, the rate having moved back, the only one the quote waits for."""
    out = list(live)
    seen = {(r.rule, r.role) for r in out}
    for requirement in fired:
        if (requirement.rule, requirement.role) not in seen:
            seen.add((requirement.rule, requirement.role))
            out.append(requirement)
    return out


def roles(requirements: Iterable[Requirement | Rule]) -> dict[str, list[str]]:
    """The roles whose approval is needed, each with the rules it answers (in the policy's order);
    of requirements, or of the firing rules themselves."""
    out: dict[str, list[str]] = {}
    for item in requirements:
        out.setdefault(item.role, []).append(item.rule if isinstance(item, Requirement) else item.key)
    return out
