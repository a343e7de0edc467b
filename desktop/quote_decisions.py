"""Who may decide on which quote: one rule for ``approval.decide`` (desktop and server) and the inbox.

A user may approve or reject a quote awaiting approval when it is not theirs, they may see its
customer, the policy requires their role now (the current policy, today's cached rate against the
locked one) and their role has not decided in this approval round yet. :func:`refusal` says why not,
worded for the person; ``approval.decide`` asks it about one quote, and :func:`awaiting` lists the
quotes a user may decide with the same two parts (the person's and the policy's, for each quote)
- reading only the columns a list needs and deciding with the policy's rules alone (no reasons
worded), so a finance desk with 10,000 pending quotes opens its inbox in one quick pass.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop import approval_policy, quote_math
from desktop.errors import DomainError
from desktop.lazy_list import LazyList
from desktop.models import Approval, Customer, ExchangeRate, Quote, User
from desktop.mutations import policy as policies
from desktop.mutations import rates
from desktop.permissions import visible_customers

RATE_PAIR = "USD/CNY"
_ZERO = Decimal(0)


class Candidate(NamedTuple):
    """A quote awaiting approval, with what a list of them shows. (Named tuples rather than objects:
    an inbox lists thousands, and tuples of plain values cost the garbage collector nothing.)"""

    id: str
    version: int
    number: str
    revision: int
    customer_id: str
    customer: str
    owner_id: str
    owner: str
    currency: str
    total: Decimal
    gross_amount: Decimal
    net_amount: Decimal
    locked_rate: Decimal | None
    locked_rate_date: str | None
    approval_round: int
    # What fired at submission, as stored (JSON text, read when asked; a string, not a container the
    # garbage collector would track for each of thousands of rows). What fired at the round's
    # decisions is in Inbox.decisions_fired.
    required: str = "[]"


class Pending(NamedTuple):
    """A quote the user may decide now, with the facts the policy looks at."""

    quote: Candidate
    facts: approval_policy.Facts


@dataclass
class Inbox:
    """The quotes a user may decide, oldest submission first, and what they were decided with."""

    pending: Sequence[Pending]  # a LazyList from awaiting
    rules: tuple[approval_policy.Rule, ...]
    today_rate: Decimal | None
    decisions_fired: dict[str, list[str]] = field(default_factory=dict)  # quote id -> approvals' ``required``
    decided: dict[str, tuple[str, ...]] = field(default_factory=dict)  # quote id -> roles that decided this round

    def roles_needed(self, facts: approval_policy.Facts, quote_id: str = "", required: str = "[]") -> tuple[str, ...]:
        """Every role the quote's round requires: the policy's now for these facts (in its order), then
        those that fired earlier in the round (at submission, ``required`` - Candidate.required - and at
        its decisions). For display: worked out when asked, for the rows on screen, not for all of them
        when listing."""
        now = (r.role for r in approval_policy.firing(self.rules, facts, self.today_rate))
        earlier = fired_roles([required, *self.decisions_fired.get(quote_id, ())])
        return tuple(dict.fromkeys([*now, *earlier]))


    def position(self, quote_id: str) -> int | None:
        """Where a quote is in :attr:`pending`, or None (found without making the items)."""
        pending = self.pending
        raw = pending.raw if isinstance(pending, LazyList) else lambda i: (pending[i].quote.id,)
        return next((i for i in range(len(pending)) if raw(i)[0] == quote_id), None)

    def still_needed(self, facts: approval_policy.Facts, quote_id: str = "",
                     required: str = "[]") -> tuple[tuple[str, ...], tuple[str, ...]]:
        """What the inbox shows of a quote's round: the roles it still waits for (:meth:`roles_needed`
        minus the roles that decided in it), and the roles that decided, in the order they did (in a
        round still awaiting approval every decision was an approval: a rejection ends the round)."""
        done = self.decided.get(quote_id, ())
        return tuple(r for r in self.roles_needed(facts, quote_id, required) if r not in done), done

def fired_roles(texts: Iterable[str]) -> list[str]:
    """The roles named by stored requirements (a quote's or an approval's ``required``, as JSON text)."""
    return [str(item["role"]) for text in texts for item in (json.loads(text) if text else ())]


def _names_role(role: str, text: str) -> bool:
    """Whether stored requirements (a ``required`` as JSON text) name ``role``, exactly.

    Most texts settle it without parsing: the quoted role absent, it is not named (a JSON string
    holding it would be that very token; a quote inside a reason is escaped); ``"role": "<role>"`` as
    json.dumps writes it present, it is (only a key is followed by a colon). Any other layout - a text
    written by another serializer, a rule whose key is a role's name - is parsed.
    """
    if not text or f'"{role}"' not in text:
        return False
    return f'"role": "{role}"' in text or role in fired_roles([text])


def _row_facts(row: Any) -> approval_policy.Facts:
    """:func:`facts` of a listing row (awaiting's columns), without making its Candidate."""
    gross, net, locked = Decimal(row[8]), Decimal(row[9]), row[10]
    discount = (gross - net) * quote_math.HUNDRED / gross if gross else _ZERO
    return approval_policy.Facts(row[6], Decimal(row[7]), discount, Decimal(locked) if locked is not None else None)


def facts(quote: Quote | Candidate) -> approval_policy.Facts:
    """What the policy looks at, from the quote's stored totals (every mutation recomputes them from
    the lines; quote_math.Totals.effective_discount_pct is the same sum)."""
    gross = quote.gross_amount
    discount = (gross - quote.net_amount) * quote_math.HUNDRED / gross if gross else Decimal(0)
    return approval_policy.Facts(currency=quote.currency, total=quote.total, discount_pct=discount,
                                 locked_rate=quote.locked_rate)


def refusal(user: User, quote: Quote | Candidate, *, visible: bool, by_role: Mapping[str, list[str]],
            decided_roles: Iterable[str]) -> DomainError | None:
    """Why ``user`` may not decide on ``quote``, a quote awaiting approval, or None when they may.

    ``visible``: whether the user may see the quote's customer; ``by_role``: the roles the round
    requires (approval_policy.roles of quotes.in_force); ``decided_roles``: the roles that approved or rejected in
    the current round.
    """
    return person_refusal(user, quote, visible=visible) or role_refusal(user, by_role, decided_roles)


def person_refusal(user: User, quote: Quote | Candidate, *, visible: bool) -> DomainError | None:
    """The part that does not depend on the policy: the customer must be visible, the quote not theirs."""
    if not visible:
        return DomainError("forbidden", "您无权审批这位客户的报价。", "You may not decide on this customer's quotes.",
                           "quote_id")
    if quote.owner_id == user.id:
        return DomainError("forbidden", "不能审批自己的报价单。", "Nobody may approve or reject their own quote.",
                           "quote_id")
    return None


def role_refusal(user: User, by_role: Mapping[str, list[str]], decided_roles: Iterable[str]) -> DomainError | None:
    """The part the policy decides: the round requires the user's role (what the policy requires now,
    or what fired earlier in the round) and that role has not decided in it yet."""
    decided = set(decided_roles)
    if user.role not in by_role:
        # Name whom it still waits for (never empty while it awaits approval: quotes.in_force).
        waiting = [role for role in by_role if role not in decided] or list(by_role)
        wanted_zh = "、".join(approval_policy.ROLE_NAMES[role][0] for role in waiting)
        wanted_en = ", ".join(approval_policy.ROLE_NAMES[role][1] for role in waiting)
        return DomainError("forbidden", f"这张报价单不需要您的角色审批（需要：{wanted_zh}）。",
                           f"This quote does not need your role's decision (it needs: {wanted_en}).", "decision")
    if user.role in decided:
        return DomainError("conflict", "这一轮中您的角色已经审批过这张报价单。",
                           "Your role has already decided on this submission of the quote.", "decision")
    return None


def today_rate(session: Session, at: datetime) -> ExchangeRate | None:
    """Today's USD/CNY rate as cached here: the newest dated on or before China's date at ``at``."""
    return rates.latest(session, RATE_PAIR, rates.business_date(at))


def awaiting(session: Session, user: User, at: datetime) -> Inbox:
    """Every quote ``user`` may decide at ``at``, oldest submission first.

    The SQL keeps the quotes awaiting approval that are not the user's; a quote whose customer the
    user may not see is left out against the customers read once (person_refusal's two conditions, as
    permissions.visible_customers states the second). Then each is asked :func:`role_refusal`: the
    role decided already in the round, or else required - earlier in the round (the quote's and the
    round's approvals' stored ``required``, which quotes.in_force keeps in force) or now by a rule
    naming the role (whether the policy requires the others does not change whether it requires this
    one). Rows are read from the database cursor and decided as read; each becomes a Candidate when
    :attr:`Inbox.pending` is read (the rows on screen), so ten thousand pending quotes list in one
    quick pass.
    """
    _row, all_rules = policies.current(session)
    today = today_rate(session, at)
    rate = today.rate if today is not None else None
    mine = [rule for rule in all_rules if rule.role == user.role]
    inbox = Inbox([], tuple(all_rules), rate)
    fired_at = inbox.decisions_fired
    if user.role not in approval_policy.APPROVER_ROLES:
        return inbox  # no rule can name it, now or earlier in a round
    connection = session.connection()
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    # The customers the user may see, with their names, and the people's names, each read once: joining
    # them to ten thousand quotes in SQL costs a lookup per quote, a third of the listing.
    customers = dict(_raw(cursor, connection, select(Customer.id, Customer.name)
                          .where(Customer.deleted_at.is_(None), visible_customers(user))))
    people = dict(_raw(cursor, connection, select(User.id, User.display_name)))
    # Unsorted in SQL, sorted here on the same stored text: SQLite would sort every row with its
    # ``required`` text through a temporary B-tree (a quarter of the listing); Python sorts the tuples.
    listing = (
        select(Quote.id, Quote.version, Quote.number, Quote.revision, Quote.customer_id, Quote.owner_id,
               Quote.currency, Quote.total, Quote.gross_amount, Quote.net_amount, Quote.locked_rate,
               Quote.locked_rate_date, Quote.approval_round, Quote.required,
               func.coalesce(Quote.submitted_at, ""))
        .where(Quote.status == "awaiting_approval", Quote.owner_id != user.id))
    decisions = (select(Approval.quote_id, Approval.role, Approval.required)
                 .join(Quote, (Quote.id == Approval.quote_id) & (Quote.approval_round == Approval.round))
                 .where(Quote.status == "awaiting_approval"))
    decided: dict[str, dict[str, None]] = defaultdict(dict)  # in the order the roles decided
    named_earlier: set[str] = set()  # quotes whose round's decisions required the role (sticky)
    role = user.role
    for quote_id, decided_role, required in _raw(cursor, connection, decisions.order_by(Approval.decided_at)):
        decided[quote_id][decided_role] = None
        fired_at.setdefault(quote_id, []).append(required)
        if _names_role(role, required):
            named_earlier.add(quote_id)
    inbox.decided = {quote_id: tuple(roles) for quote_id, roles in decided.items()}
    rows = _raw(cursor, connection, listing).fetchall()
    rows.sort(key=itemgetter(14, 2))  # submitted_at, number: the order approvers work in
    always = any(rule.kind == "always" for rule in mine)  # fires whatever the facts: no need to work them out
    listed = []
    for row in rows:
        quote_id = row[0]
        if quote_id in decided and role in decided[quote_id]:
            continue  # role_refusal's second condition
        if row[4] not in customers:
            continue  # person_refusal's first condition (or the customer was deleted)
        # role_refusal's first: required now by a rule naming the role, or earlier in the round
        # (sticky: the stored requirements, searched as text before any is parsed). The cheap tests
        # first: for the finance director almost every listed quote fired at submission, and a text
        # search costs less than the Decimal arithmetic of the drift and the conversion.
        if (always or quote_id in named_earlier or _names_role(role, row[13])
                or approval_policy.firing(mine, _row_facts(row), rate)):
            listed.append(row)

    def pending(row: Any) -> Pending:
        quote = Candidate(row[0], row[1], row[2], row[3], row[4], customers[row[4]], row[5], people.get(row[5], ""),
                          row[6], Decimal(row[7]), Decimal(row[8]), Decimal(row[9]),
                          Decimal(row[10]) if row[10] is not None else None, row[11], row[12], row[13])
        return Pending(quote, facts(quote))

    # Decided from the rows as read; a quote becomes a Candidate when it is read (the rows on screen).
    inbox.pending = LazyList(listed, pending)
    return inbox


def _raw(cursor: Any, connection: Any, statement: Any) -> Any:
    """Run a select on the DB-API cursor: rows as the database holds them, no per-value processing."""
    compiled = statement.compile(dialect=connection.dialect)
    params = compiled.construct_params()
    if compiled.positiontup is not None:
        return cursor.execute(str(compiled), [params[name] for name in compiled.positiontup])
    return cursor.execute(str(compiled), params)
