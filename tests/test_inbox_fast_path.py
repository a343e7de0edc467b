"""The approvals inbox's quick listing (quote_decisions.awaiting: names read once, rows sorted in
Python, stored requirements searched as text before they are parsed) against the rule it stands for,
applied quote by quote through the ORM: a pending quote is in a user's inbox exactly when
quote_decisions.refusal - the person's conditions, and the roles quotes.in_force keeps in force minus
those that decided - has nothing against it, oldest submission first.

Generated quotes (USD and CNY, several sizes and discounts, two reps of two teams), rate moves,
policy edits whose rule keys may be a role's name (a text search for the role finds them: the list
must tell a key from a role), decisions and resubmissions; after every step, for every approver.
"""

from __future__ import annotations

import os
from decimal import Decimal as D

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import select

from desktop import approval_policy, quote_decisions, timeutil
from desktop.errors import DomainError
from desktop.ids import uuid7
from desktop.models import Customer, Quote, User
from desktop.mutations import quotes as quote_mutations
from desktop.permissions import can_see_customer
from tests.conftest import make_customer, run
from tests.test_approval_liveness import RATES, decide, record_rate, set_policy

EXAMPLES = int(os.environ.get("FIELDMARK_APPROVAL_EXAMPLES", "10"))
DERANDOMIZE = "FIELDMARK_APPROVAL_EXAMPLES" not in os.environ
APPROVERS = ("finance", "cfo", "manager", "othermanager", "kad")
ROLES = ("finance", "finance_director", "sales_manager", "key_account_director")
# Rule keys: plain ones, and role names given to rules of another role.
KEYS = ("fx", "disc", "big", "finance_director", "sales_manager", "finance")


def slow_inbox(session, user: User, now) -> list[str]:
    """The quotes ``user`` may decide, by the definition: every pending quote asked refusal()."""
    out = []
    quotes = session.scalars(select(Quote).where(Quote.status == "awaiting_approval")
                             .order_by(Quote.submitted_at, Quote.number))
    for quote in quotes:
        customer = session.scalars(select(Customer).where(Customer.id == quote.customer_id)).one()
        visible = customer.deleted_at is None and can_see_customer(session, user, customer)
        done = quote_mutations.round_approvals(session, quote)
        by_role = approval_policy.roles(quote_mutations.in_force(session, quote, now, done))
        if quote_decisions.refusal(user, quote, visible=visible, by_role=by_role,
                                   decided_roles=[a.role for a in done]) is None:
            out.append(quote.id)
    return out


def check_same(store, org) -> None:
    now = timeutil.utcnow()
    with store.read() as s:
        for name in APPROVERS:
            user = s.get(User, org[name])
            fast = [p.quote.id for p in quote_decisions.awaiting(s, user, now).pending]
            assert fast == slow_inbox(s, user, now), name


rule_spec = st.tuples(st.sampled_from(("fx_drift", "discount", "total")), st.sampled_from(KEYS),
                      st.sampled_from(ROLES), st.integers(0, 2))
THRESHOLDS = {"fx_drift": ("0.5", "0.8", "1.5"), "discount": ("5", "15", "30"), "total": ("1000", "500000", "5000000")}


class FastPath(RuleBasedStateMachine):
    store = None
    org = None

    @initialize(specs=st.lists(st.tuples(st.sampled_from(("rep", "otherrep")), st.sampled_from(("USD", "CNY")),
                                         st.sampled_from(("1000.00", "90000.00", "700000.00")),
                                         st.sampled_from(("0", "10", "20"))), min_size=2, max_size=5))
    def start(self, specs) -> None:
        store, org = self.store, self.org
        set_policy(store, org["cfo"], approval_policy.DEFAULT_RULES)
        record_rate(store, org["finance"], "7.1034")
        customers = {rep: make_customer(store, org[rep], f"客户{uuid7()[-6:]}", region="江苏" if rep == "rep"
                                        else "浙江") for rep in ("rep", "otherrep")}
        self.quotes: list[tuple[str, str]] = []
        for rep, currency, price, discount in specs:
            q = run(store, org[rep], "quote.create", customer_id=customers[rep], currency=currency,
                    discount_pct=discount).changes.entity_id
            run(store, org[rep], "quote.line_set", quote_id=q, description="数控车床", quantity="1", unit_price=price)
            run(store, org[rep], "quote.submit", id=q)
            self.quotes.append((rep, q))

    @rule(value=st.sampled_from(RATES))
    def rate_moves(self, value: str) -> None:
        record_rate(self.store, self.org["finance"], value)

    @rule(extra=st.lists(rule_spec, max_size=3))
    def policy_changes(self, extra) -> None:
        rules = [{"key": "always", "kind": "always", "role": "finance"}]
        used = {"always"}
        for kind, key, role, level in extra:
            threshold = THRESHOLDS[kind][level]
            if key in used:
                continue
            used.add(key)
            if kind == "total":
                rules.append({"key": key, "kind": kind, "role": role, "threshold": threshold, "currency": "CNY"})
            else:
                rules.append({"key": key, "kind": kind, "role": role, "threshold_pct": threshold})
        set_policy(self.store, self.org["cfo"], rules)

    @rule(index=st.integers(0, 4), who=st.sampled_from(APPROVERS),
          decision=st.sampled_from(["approve", "approve", "reject"]))
    def someone_decides(self, index: int, who: str, decision: str) -> None:
        _rep, q = self.quotes[index % len(self.quotes)]
        try:
            decide(self.store, self.org[who], q, decision)
        except DomainError as refused:  # not theirs to decide now: the listing says the same (invariant)
            assert refused.code in ("forbidden", "conflict", "wrong_state"), refused.code

    @rule(index=st.integers(0, 4))
    def rep_resubmits(self, index: int) -> None:
        rep, q = self.quotes[index % len(self.quotes)]
        with self.store.read() as s:
            status = s.get(Quote, q).status
        if status in ("awaiting_approval", "rejected"):
            run(self.store, self.org[rep], "quote.withdraw", id=q)
            run(self.store, self.org[rep], "quote.submit", id=q)

    @invariant()
    def fast_path_is_the_definition(self) -> None:
        if getattr(self, "quotes", None):
            check_same(self.store, self.org)


def test_the_quick_inbox_lists_exactly_what_the_rule_allows_in_its_order(store, org):
    FastPath.store, FastPath.org = store, org
    run_state_machine_as_test(FastPath, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=12, deadline=None, derandomize=DERANDOMIZE, database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: each example replays mutations (slow)
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))


def test_a_rule_keyed_with_a_role_name_does_not_list_the_quote_for_that_role(store, org):
    """A sales manager's rule keyed "finance_director": its stored requirement holds the text
    "finance_director", yet the finance director is not asked for it."""
    set_policy(store, org["cfo"], [{"key": "always", "kind": "always", "role": "finance"},
                                   {"key": "finance_director", "kind": "discount", "role": "sales_manager",
                                    "threshold_pct": "5"}])
    q = run(store, org["rep"], "quote.create", customer_id=make_customer(store, org["rep"]),
            discount_pct="10").changes.entity_id
    run(store, org["rep"], "quote.line_set", quote_id=q, description="数控车床", quantity="1", unit_price="1000.00")
    run(store, org["rep"], "quote.submit", id=q)
    now = timeutil.utcnow()
    with store.read() as s:
        assert '"finance_director"' in s.connection().exec_driver_sql(
            "SELECT required FROM quotes WHERE id = ?", (q,)).scalar_one()
        listed = {name: [p.quote.id for p in quote_decisions.awaiting(s, s.get(User, org[name]), now).pending]
                  for name in ("cfo", "manager", "finance")}
    assert listed == {"cfo": [], "manager": [q], "finance": [q]}


def test_the_listing_makes_a_quote_when_it_is_read_and_finds_one_without_making_them(store, org):
    quotes = []
    customer = make_customer(store, org["rep"])
    for price in ("1000.00", "2000.00", "3000.00"):
        q = run(store, org["rep"], "quote.create", customer_id=customer).changes.entity_id
        run(store, org["rep"], "quote.line_set", quote_id=q, description="数控车床", quantity="1", unit_price=price)
        run(store, org["rep"], "quote.submit", id=q)
        quotes.append(q)
    with store.read() as s:
        inbox = quote_decisions.awaiting(s, s.get(User, org["finance"]), timeutil.utcnow())
    assert len(inbox.pending) == 3 and repr(inbox.pending) == "LazyList(3 rows)"
    assert inbox.position(quotes[2]) == 2 and inbox.position("not-a-quote") is None
    assert inbox.pending[2] is inbox.pending[2]  # made once
    assert [p.quote.total for p in inbox.pending] == [D("1130.00"), D("2260.00"), D("3390.00")]  # with 13% VAT
    assert inbox.pending[1:] == [inbox.pending[1], inbox.pending[2]] and inbox.pending != []
