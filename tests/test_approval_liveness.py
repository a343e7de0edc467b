"""No dead state in approvals: whatever the rate and the policy do after a quote is submitted, a quote
awaiting approval is always waiting for at least one role, every such role sees it in its inbox, and
a decision by that role is accepted.

The invariant, checked after every step of random rate paths, policy edits and decision orders: for
every quote awaiting approval, the roles the round requires (quotes.in_force: what the policy and
today's rate require now, and every requirement that fired at submission or at an earlier decision
of the round) minus the roles that decided in the round is non-empty; and for each approver of the
organisation, "the quote is in my inbox" (quote_decisions.awaiting) == "approval.decide by me is
accepted" == "my role is among those still required".
"""

from __future__ import annotations

import os
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import select

from desktop import approval_policy, quote_decisions, quote_export, timeutil
from desktop.errors import DomainError
from desktop.fx.rates import rate_text
from desktop.ids import uuid7
from desktop.models import Approval, Quote, User
from desktop.mutations import execute, prepare, rates
from desktop.mutations import quotes as quote_mutations
from desktop.mutations.registry import load_actor
from tests.conftest import make_customer, run

TODAY = rates.business_date(timeutil.utcnow())
SOURCE = "中国外汇交易中心"
D = Decimal
# FIELDMARK_APPROVAL_EXAMPLES=300 searches longer, with new examples each run; the suite draws fixed ones.
EXAMPLES = int(os.environ.get("FIELDMARK_APPROVAL_EXAMPLES", "12"))
DERANDOMIZE = "FIELDMARK_APPROVAL_EXAMPLES" not in os.environ
APPROVERS = ("finance", "cfo", "manager")  # finance, finance_director, the rep's team's sales manager
# Around the 7.1034 a quote locks: inside and beyond ±0.8% (7.0466 / 7.1602 are the edges), no rate.
RATES = ("7.1034", "7.1200", "7.1603", "7.1602", "7.0400", "7.0466", "7.2000", "7.1568")


class _RollBack(Exception):
    pass


def record_rate(store, finance: str, value: str) -> None:
    """Today's rate from now on (the same date and source again corrects it)."""
    try:
        run(store, finance, "rate.record", pair="USD/CNY", rate=value, rate_date=TODAY.isoformat(), source=SOURCE)
    except DomainError as same:  # today's rate already
        assert same.code == "no_change"


def decide(store, actor: str, quote_id: str, decision: str = "approve"):
    with store.read() as s:
        version = s.get(Quote, quote_id).version
    return run(store, actor, "approval.decide", quote_id=quote_id, quote_version=version, decision=decision,
               comment="理由：价格需复核" if decision == "reject" else "同意")


def accepted(store, user_id: str, quote_id: str) -> bool:
    """Whether approval.decide by the user would be accepted now (run, then rolled back)."""
    try:
        with store.writer("mutation") as s:
            args = prepare("approval.decide", {"quote_id": quote_id, "decision": "approve", "comment": "同意",
                                               "quote_version": s.get(Quote, quote_id).version})
            try:
                execute(s, load_actor(s, user_id, "probe"), "approval.decide", args)
                result = True
            except DomainError:
                result = False
            raise _RollBack
    except _RollBack:
        return result


def still_required(store, quote_id: str) -> set[str]:
    """The roles the quote's round still waits for: in force now, minus those that decided."""
    with store.read() as s:
        quote = s.get(Quote, quote_id)
        done = quote_mutations.round_approvals(s, quote)
        needed = quote_mutations.in_force(s, quote, timeutil.utcnow(), done)
        return set(approval_policy.roles(needed)) - {a.role for a in done}


def check_no_dead_state(store, org, quote_ids, *, probe: bool = True) -> None:
    """The invariant of this module's docstring, for the given quotes (``probe``: whether to try each
    approver's decision too; the property tries real ones instead, see Approvals.decides)."""
    now = timeutil.utcnow()
    with store.read() as s:
        pending = [q for q in quote_ids if s.get(Quote, q).status == "awaiting_approval"]
        inboxes = {name: {p.quote.id for p in quote_decisions.awaiting(s, s.get(User, org[name]), now).pending}
                   for name in APPROVERS}
        roles = {name: s.get(User, org[name]).role for name in APPROVERS}
    for quote_id in pending:
        waiting = still_required(store, quote_id)
        assert waiting, f"quote {quote_id} awaits approval from no role"
        for name in APPROVERS:
            listed = quote_id in inboxes[name]
            assert listed == (roles[name] in waiting), (name, waiting)
            if probe:
                assert accepted(store, org[name], quote_id) == listed, (name, waiting)


def set_policy(store, cfo: str, rules) -> None:
    try:
        run(store, cfo, "policy.set", id=uuid7(), rules=rules)
    except DomainError as same:  # the rules in force already
        assert same.code == "no_change"


def policy(drift: str | None, discount: str | None, total: str | None, drift_role: str = "finance_director"):
    rules = [{"key": "finance", "kind": "always", "role": "finance"}]
    if drift is not None:
        rules.append({"key": "fx_drift", "kind": "fx_drift", "role": drift_role, "threshold_pct": drift})
    if discount is not None:
        rules.append({"key": "discount", "kind": "discount", "role": "sales_manager", "threshold_pct": discount})
    if total is not None:
        rules.append({"key": "total", "kind": "total", "role": "finance_director", "threshold": total,
                      "currency": "CNY"})
    return rules


# ---------------------------------------------------------------------------------------------- the path


def test_the_director_stays_required_after_the_rate_moves_back(store, org):
    rep, finance, cfo = org["rep"], org["finance"], org["cfo"]
    record_rate(store, finance, "7.1034")
    q = run(store, rep, "quote.create", customer_id=make_customer(store, rep), currency="USD").changes.entity_id
    run(store, rep, "quote.line_set", quote_id=q, description="数控车床", quantity="1", unit_price="1000.00")
    run(store, rep, "quote.submit", id=q)
    record_rate(store, finance, "7.1603")  # 0.801% above the locked rate: the finance director is needed
    decide(store, finance, q)
    record_rate(store, finance, "7.1200")  # back within 0.8%
    assert still_required(store, q) == {"finance_director"}
    with store.read() as s:
        listed = quote_decisions.awaiting(s, s.get(User, cfo), timeutil.utcnow())
        assert [p.quote.id for p in listed.pending] == [q]
        assert listed.roles_needed(listed.pending[0].facts, q, listed.pending[0].quote.required) == (
            "finance", "finance_director")
        (approval,) = s.scalars(select(Approval).where(Approval.quote_id == q))
        reasons = {r["rule"]: r for r in approval.required}
    # The reason the director reads is the one that held when the rule fired, and reads true.
    assert reasons["fx_drift"]["reason_zh"] == (
        "汇率偏离 0.801%（锁定 7.1034，今日 7.1603），超过 0.8%，需财务总监确认。")
    assert "moved 0.801% (locked 7.1034, today 7.1603), more than 0.8%" in reasons["fx_drift"]["reason_en"]
    with pytest.raises(DomainError) as twice:
        decide(store, finance, q)
    assert twice.value.code == "conflict"
    with pytest.raises(DomainError) as not_needed:  # the sales manager is told whom it waits for
        decide(store, org["manager"], q)
    assert not_needed.value.message_en == "This quote does not need your role's decision (it needs: the finance director)."
    check_no_dead_state(store, org, [q])
    with store.read() as s:  # the quote's PDF says whom it waits for
        assert quote_export.approval_text(s, s.get(Quote, q)).endswith(
            "待 Waiting for 财务总监 Finance director。报价人 Prepared by Rep")
    decide(store, cfo, q)
    with store.read() as s:
        assert s.get(Quote, q).status == "approved"


def test_a_rule_removed_mid_round_still_binds_the_round_it_fired_in_and_not_the_next(store, org):
    rep, finance, cfo, manager = org["rep"], org["finance"], org["cfo"], org["manager"]
    q = run(store, rep, "quote.create", customer_id=make_customer(store, rep), discount_pct="20").changes.entity_id
    run(store, rep, "quote.line_set", quote_id=q, description="数控车床", quantity="10", unit_price="1000.00")
    run(store, rep, "quote.submit", id=q)  # finance and the sales manager (a 20% discount)
    decide(store, finance, q)
    run(store, cfo, "policy.set", id=uuid7(), rules=policy("0.8", None, "500000"))  # the discount rule goes
    assert still_required(store, q) == {"sales_manager"}
    check_no_dead_state(store, org, [q])
    run(store, rep, "quote.withdraw", id=q)
    run(store, rep, "quote.submit", id=q)  # a new round: the policy of now
    assert still_required(store, q) == {"finance"}
    check_no_dead_state(store, org, [q])
    with pytest.raises(DomainError) as not_needed:
        decide(store, manager, q)
    assert not_needed.value.code == "forbidden"
    assert not_needed.value.message_zh == "这张报价单不需要您的角色审批（需要：财务）。"
    decide(store, finance, q)
    with store.read() as s:
        assert s.get(Quote, q).status == "approved"


def test_percentages_read_true_against_their_threshold_and_rates_keep_four_decimals():
    pct = approval_policy.pct_text
    assert pct(D("0.80103"), D("0.8")) == "0.801"
    assert pct(D("0.80004"), D("0.8")) == "0.80004"  # never "0.8% 超过 0.8%"
    assert pct(D("0.8049"), D("0.8")) == "0.805"
    assert pct(D("15.0001"), D("15")) == "15.0001"
    assert pct(D("0.8"), D("0.8")) == "0.8"
    assert pct(D("1") / D("3"), D("0.3333")) == "0.33333"  # at least the threshold's places, then more
    assert pct(D("0.33334"), D("0.3333")) == "0.33334"
    assert (rate_text(D("7.16")), rate_text(D("7.1")), rate_text(D("7.15751"))) == ("7.1600", "7.1000", "7.15751")
    usd = approval_policy.Facts("USD", D("1130.00"), D("0"), D("7.1000"))
    (_always, drift) = approval_policy.required(approval_policy.parse(approval_policy.DEFAULT_RULES), usd, D("7.16"))
    assert "锁定 7.1000，今日 7.1600" in drift.reason_zh and "0.845%" in drift.reason_zh
    # A USD total against a CNY threshold says what was compared, to the cent unless the cents would lie.
    big = approval_policy.Facts("USD", D("80000.00"), D("0"), D("7.1034"))
    total = approval_policy.required(approval_policy.parse(approval_policy.DEFAULT_RULES), big, D("7.1034"))[-1]
    assert total.reason_zh == "报价总额 80,000.00 USD（按 7.1034 折合 568,272.00 CNY）超过 500,000 CNY，需财务总监审批。"
    edge = approval_policy.Facts("USD", D("70419.56"), D("0"), D("7.1003"))  # 500000.001868 CNY
    assert "折合 500,000.002 CNY" in approval_policy.required(
        approval_policy.parse(approval_policy.DEFAULT_RULES), edge, D("7.1003"))[-1].reason_zh


# ---------------------------------------------------------------------------------------------- the property


class Approvals(RuleBasedStateMachine):
    """USD and CNY quotes of one rep, decided by finance, the finance director and the sales manager
    while the rate moves, the policy changes and the rep withdraws and resubmits."""

    store = None
    org = None

    @initialize()
    def start(self) -> None:
        store, org = self.store, self.org
        set_policy(store, org["cfo"], approval_policy.DEFAULT_RULES)
        record_rate(store, org["finance"], "7.1034")
        customer = make_customer(store, org["rep"], f"客户{uuid7()[-6:]}")
        self.quotes: list[str] = []
        for currency, quantity, price, discount in (("USD", "1", "1000.00", "0"), ("USD", "1", "90000.00", "20"),
                                                    ("CNY", "10", "1000.00", "16")):
            q = run(store, org["rep"], "quote.create", customer_id=customer, currency=currency,
                    discount_pct=discount).changes.entity_id
            run(store, org["rep"], "quote.line_set", quote_id=q, description="数控车床", quantity=quantity,
                unit_price=price)
            run(store, org["rep"], "quote.submit", id=q)
            self.quotes.append(q)

    @rule(value=st.sampled_from(RATES))
    def rate_moves(self, value: str) -> None:
        record_rate(self.store, self.org["finance"], value)

    @rule(drift=st.sampled_from(["0.8", "0.5", "1.5", None]), discount=st.sampled_from(["15", "5", "30", None]),
          total=st.sampled_from(["500000", "1000", None]),
          drift_role=st.sampled_from(["finance_director", "sales_manager"]))
    def policy_changes(self, drift, discount, total, drift_role) -> None:
        set_policy(self.store, self.org["cfo"], policy(drift, discount, total, drift_role))

    def decides(self, index: int, who: str, decision: str) -> None:
        """A decision is accepted exactly when the quote awaits approval and the role is still required."""
        q = self.quotes[index]
        with self.store.read() as s:
            user, pending = s.get(User, self.org[who]), s.get(Quote, q).status == "awaiting_approval"
        expected = pending and user.role in still_required(self.store, q)
        try:
            decide(self.store, user.id, q, decision)
            assert expected, (who, "accepted though not required")
        except DomainError as refused:  # not theirs to decide, or no longer pending: worded, never a crash
            assert not expected, (who, refused.message_en)
            assert refused.code in ("forbidden", "conflict", "wrong_state"), refused.code

    DECISION = st.sampled_from(["approve", "approve", "approve", "reject"])

    @rule(index=st.integers(0, 2), decision=DECISION)
    def finance_decides(self, index: int, decision: str) -> None:
        self.decides(index, "finance", decision)

    @rule(index=st.integers(0, 2), decision=DECISION)
    def director_decides(self, index: int, decision: str) -> None:
        self.decides(index, "cfo", decision)

    @rule(index=st.integers(0, 2), decision=DECISION)
    def manager_decides(self, index: int, decision: str) -> None:
        self.decides(index, "manager", decision)

    @rule(index=st.integers(0, 2))
    def rep_resubmits(self, index: int) -> None:
        q = self.quotes[index]
        with self.store.read() as s:
            status = s.get(Quote, q).status
        if status in ("awaiting_approval", "rejected"):
            run(self.store, self.org["rep"], "quote.withdraw", id=q)
            run(self.store, self.org["rep"], "quote.submit", id=q)

    @invariant()
    def no_dead_state(self) -> None:
        if getattr(self, "quotes", None):
            check_no_dead_state(self.store, self.org, self.quotes, probe=False)


def test_no_quote_ever_awaits_an_approval_nobody_may_give(store, org):
    Approvals.store, Approvals.org = store, org
    run_state_machine_as_test(Approvals, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=15, deadline=None, derandomize=DERANDOMIZE, database=None,
        # No shrinking: each example replays mutations on one database, so shrinking a failure takes
        # minutes; the failing steps are printed as they ran.
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))

