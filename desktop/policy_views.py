"""What the approval policy screen shows, without Qt: the policy in force as ordered rows, each rule in
plain words (Chinese and English), who changed it last, and the checks a threshold typed as text must
pass before the editor accepts it.

The words describe the rule the way desktop.approval_policy.required applies it (strictly above the
threshold), so the page and the reasons an approver later reads never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop import approval_policy, errors
from desktop.approval_policy import HUNDRED, ROLE_NAMES, Rule
from desktop.models import User
from desktop.mutations.policy import DEFAULT_NAME, current

PERCENT_KINDS = ("fx_drift", "discount")


@dataclass(frozen=True)
class PolicyRow:
    """One rule as the policy page lists it; ``order`` counts from 1."""

    order: int
    key: str
    kind: str
    role: str
    threshold_text: str  # "0.8%", "500,000 CNY"; "" for a rule every quote passes through
    description_zh: str
    description_en: str

    def description(self, language: str) -> str:
        return self.description_zh if language.lower().startswith("zh") else self.description_en


@dataclass(frozen=True)
class PolicyView:
    """The policy quotes are checked against now. ``stored`` is False while the built-in default rules
    apply (no one has set a policy yet): then there is no id, version 0 and no last change."""

    id: str
    name: str
    rules: tuple[Rule, ...]
    version: int
    updated_by: str  # a display name
    updated_at: datetime | None
    stored: bool

    @property
    def rows(self) -> list[PolicyRow]:
        return rows(self.rules)


def policy_view(session: Session) -> PolicyView:
    """The policy in force, with the name of whoever changed it last."""
    row, rules = current(session)
    if row is None:
        return PolicyView("", DEFAULT_NAME, tuple(rules), 0, "", None, stored=False)
    name = session.scalars(select(User.display_name).where(User.id == row.updated_by)).first() or ""
    return PolicyView(row.id, row.name, tuple(rules), row.version, name, row.updated_at, stored=True)


def rows(rules: Iterable[Rule]) -> list[PolicyRow]:
    """The rules in their order, with their thresholds and descriptions as people read them."""
    return [PolicyRow(n, rule.key, rule.kind, rule.role, threshold_text(rule), *describe(rule))
            for n, rule in enumerate(rules, start=1)]


def threshold_text(rule: Rule) -> str:
    """The rule's threshold as the page shows it: "0.8%", "500,000 CNY", "" for an ``always`` rule."""
    if rule.threshold is None or rule.kind == "always":
        return ""
    if rule.kind in PERCENT_KINDS:
        return f"{number_text(rule.threshold)}%"
    return f"{amount_text(rule.threshold)} {rule.currency}"


def describe(rule: Rule) -> tuple[str, str]:
    """The rule in plain words: (Chinese, English)."""
    who_zh, who_en = ROLE_NAMES[rule.role]
    limit = rule.threshold if rule.threshold is not None else Decimal(0)
    if rule.kind == "fx_drift":
        pct = number_text(limit)
        return (f"汇率偏离超过 {pct}% 时需{who_zh}确认（锁定汇率的报价，按今日汇率核对）。",
                f"When a quote's locked exchange rate is more than {pct}% away from today's rate, "
                f"{who_en} must confirm it.")
    if rule.kind == "discount":
        pct = number_text(limit)
        return (f"综合折扣超过 {pct}% 时需{who_zh}审批。",
                f"When the overall discount is above {pct}%, {who_en} must approve.")
    if rule.kind == "total":
        amount = f"{amount_text(limit)} {rule.currency}"
        other = "USD" if rule.currency == "CNY" else "CNY"
        return (f"报价总额超过 {amount} 时需{who_zh}审批（{other} 报价按锁定汇率换算）。",
                f"When the total is above {amount}, {who_en} must approve ({other} quotes are converted "
                f"at their locked rate).")
    return f"每张报价都需要{who_zh}审批。", f"Every quote needs {_possessive(who_en)} approval."


def parse_threshold(kind: str, text: str) -> Decimal:
    """A threshold typed as text: a percentage from 0 to 100 (fx_drift, discount; a trailing % is
    allowed) or an amount of 0 or more (total; thousands separators allowed). A DomainError on field
    ``threshold`` says what is wrong."""
    cleaned = text.strip().replace(" ", "")
    if kind in PERCENT_KINDS:
        cleaned = cleaned.rstrip("%％")
    else:
        cleaned = cleaned.replace(",", "").replace("，", "")
    if not cleaned:
        raise errors.invalid_value("threshold", "请填写阈值。", "The threshold is required.")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        value = None
    if kind in PERCENT_KINDS:
        if value is None or not value.is_finite() or not 0 <= value <= HUNDRED:
            raise errors.invalid_value("threshold", f"阈值应为 0 到 100 之间的百分数（如 0.8），而不是“{text.strip()}”。",
                                       f"The threshold must be a percentage from 0 to 100 (such as 0.8), "
                                       f"not {text.strip()!r}.")
    elif value is None or not value.is_finite() or value < 0:
        raise errors.invalid_value("threshold", f"金额阈值应为 0 或以上的金额（如 500000），而不是“{text.strip()}”。",
                                   f"The threshold must be an amount of 0 or more (such as 500000), "
                                   f"not {text.strip()!r}.")
    return value


def new_key(kind: str, taken: Iterable[str]) -> str:
    """A key for a rule added to the policy: its kind, numbered when the kind is already there."""
    used = set(taken)
    if kind not in used:
        return kind
    n = 2
    while f"{kind}_{n}" in used:
        n += 1
    return f"{kind}_{n}"


def default_rules() -> list[Rule]:
    """The built-in policy, as rules."""
    return approval_policy.parse(approval_policy.DEFAULT_RULES)


def as_data(rules: Sequence[Rule]) -> list[dict[str, str]]:
    """The rules in the stored form policy.set takes."""
    return [rule.to_dict() for rule in rules]


def number_text(value: Decimal) -> str:
    """A percentage without trailing zeros ("0.8", "15", "100")."""
    return f"{value.normalize():f}"


def amount_text(value: Decimal) -> str:
    """An amount with thousands separators and without trailing zeros ("500,000", "1,250.5")."""
    return f"{value.normalize():,f}"


def _possessive(who: str) -> str:
    return f"{who}'" if who.endswith("s") else f"{who}'s"
