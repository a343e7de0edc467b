"""Who may decide on which quote: one rule for ``approval.decide`` (desktop and server) and the inbox.

A user may approve or reject a quote awaiting approval when it is not theirs, they may see its
customer, the policy requires their role now (the current policy, today's cached rate against the
locked one) and their role has not decided in this approval round yet. :func:`refusal` says why not
for one quote, worded for the person; :func:`awaiting` lists every quote a user may decide, reading
the rows in bulk (a finance desk with 10,000 pending quotes opens its inbox in one pass) and asking
:func:`refusal` about each, so the list and the mutation cannot disagree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop import approval_policy, quote_math
from desktop.errors import DomainError
from desktop.models import Approval, Customer, ExchangeRate, Quote, QuoteLine, User
from desktop.mutations import policy as policies
from desktop.mutations import rates
from desktop.permissions import visible_customers

RATE_PAIR = "USD/CNY"
CHUNK = 500  # ids per IN (...), well under SQLite's variable limit


@dataclass(frozen=True)
class Pending:
    """A quote the user may decide now: what the policy requires of whom, and what is still missing."""

    quote: Quote
    needed: tuple[approval_policy.Requirement, ...]
    waiting_for: dict[str, list[str]]  # role -> its rules, for the roles that have not approved yet


def facts(quote: Quote, gross: Decimal) -> approval_policy.Facts:
    """What the policy looks at, from the quote's stored totals (every mutation recomputes them from
    the lines) and its lines' gross amount."""
    discount = (gross - quote.net_amount) * quote_math.HUNDRED / gross if gross else Decimal(0)
    return approval_policy.Facts(currency=quote.currency, total=quote.total, discount_pct=discount,
                                 locked_rate=quote.locked_rate)


def refusal(user: User, quote: Quote, *, visible: bool, needed: Iterable[approval_policy.Requirement],
            decided_roles: Iterable[str]) -> DomainError | None:
    """Why ``user`` may not decide on ``quote``, a quote awaiting approval, or None when they may.

    ``visible``: whether the user may see the quote's customer; ``needed``: the approvals the policy
    requires now; ``decided_roles``: the roles that approved or rejected in the current round.
    """
    return person_refusal(user, quote, visible=visible) or role_refusal(user, needed, decided_roles)


def person_refusal(user: User, quote: Quote, *, visible: bool) -> DomainError | None:
    """The part that does not depend on the policy: the customer must be visible, the quote not theirs."""
    if not visible:
        return DomainError("forbidden", "您无权审批这位客户的报价。", "You may not decide on this customer's quotes.",
                           "quote_id")
    if quote.owner_id == user.id:
        return DomainError("forbidden", "不能审批自己的报价单。", "Nobody may approve or reject their own quote.",
                           "quote_id")
    return None


def role_refusal(user: User, needed: Iterable[approval_policy.Requirement],
                 decided_roles: Iterable[str]) -> DomainError | None:
    """The part the policy decides: the user's role is required now and has not decided this round."""
    by_role = approval_policy.roles(needed)
    if user.role not in by_role:
        wanted_zh = "、".join(approval_policy.ROLE_NAMES[role][0] for role in by_role)
        wanted_en = ", ".join(approval_policy.ROLE_NAMES[role][1] for role in by_role)
        return DomainError("forbidden", f"这张报价单不需要您的角色审批（需要：{wanted_zh}）。",
                           f"This quote does not need your role's decision (it needs: {wanted_en}).", "decision")
    if user.role in set(decided_roles):
        return DomainError("conflict", "这一轮中您的角色已经审批过这张报价单。",
                           "Your role has already decided on this submission of the quote.", "decision")
    return None


def today_rate(session: Session, at: datetime) -> ExchangeRate | None:
    """Today's USD/CNY rate as cached here: the newest dated on or before China's date at ``at``."""
    return rates.latest(session, RATE_PAIR, rates.business_date(at))


def awaiting(session: Session, user: User, at: datetime) -> list[Pending]:
    """Every quote ``user`` may decide at ``at``, oldest submission first."""
    _row, rules = policies.current(session)
    today = today_rate(session, at)
    quotes = list(session.scalars(
        select(Quote).join(Customer, Customer.id == Quote.customer_id)
        .where(Quote.status == "awaiting_approval", Quote.owner_id != user.id, Customer.deleted_at.is_(None),
               visible_customers(user))
        .order_by(Quote.submitted_at, Quote.number)))
    gross: dict[str, Decimal] = defaultdict(Decimal)
    decided: dict[str, set[str]] = defaultdict(set)
    approved: dict[str, set[str]] = defaultdict(set)
    rounds = {q.id: q.approval_round for q in quotes}
    ids = list(rounds)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        for quote_id, quantity, unit_price in session.execute(
                select(QuoteLine.quote_id, QuoteLine.quantity, QuoteLine.unit_price)
                .where(QuoteLine.quote_id.in_(chunk))):
            gross[quote_id] += quantity * unit_price
        for quote_id, round_, role, decision in session.execute(
                select(Approval.quote_id, Approval.round, Approval.role, Approval.decision)
                .where(Approval.quote_id.in_(chunk))):
            if round_ == rounds[quote_id]:
                decided[quote_id].add(role)
                if decision == "approve":
                    approved[quote_id].add(role)
    out = []
    rate = today.rate if today is not None else None
    for quote in quotes:
        needed = approval_policy.required(rules, facts(quote, quote_math.round_money(gross[quote.id])), rate)
        if refusal(user, quote, visible=True, needed=needed, decided_roles=decided[quote.id]) is None:
            waiting = {role: keys for role, keys in approval_policy.roles(needed).items()
                       if role not in approved[quote.id]}
            out.append(Pending(quote, tuple(needed), waiting))
    return out
