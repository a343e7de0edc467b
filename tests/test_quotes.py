"""Quotes on the desktop: money rounding, numbering, the approval policy as data (FX drift, discount,
total), approvals by role and version, reopening approval, copies and revisions."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from sqlalchemy import select

from desktop import approval_policy, quote_math, timeutil
from desktop.errors import DomainError
from desktop.models import Approval, ApprovalPolicy, Quote, QuoteLine
from desktop.mutations import quotes as quote_mutations
from desktop.mutations import rates
from tests.conftest import ORG_USERS, make_customer, replay_outbox, run, table_rows

TODAY = rates.business_date(timeutil.utcnow())
YESTERDAY = TODAY - timedelta(days=1)
D = Decimal


# ---------------------------------------------------------------------------------------------- helpers


def quote(store, actor, customer, **terms) -> str:
    return run(store, actor, "quote.create", customer_id=customer, **terms).changes.entity_id


def line(store, actor, quote_id, quantity="1", unit_price="100.00", **extra) -> str:
    return run(store, actor, "quote.line_set", quote_id=quote_id, description=extra.pop("description", "数控车床"),
               quantity=quantity, unit_price=unit_price, **extra).changes.entity_id


def row(store, quote_id) -> Quote:
    with store.read() as s:
        return s.scalars(select(Quote).where(Quote.id == quote_id)).one()


def lines_of(store, quote_id) -> list[QuoteLine]:
    with store.read() as s:
        return list(s.scalars(select(QuoteLine).where(QuoteLine.quote_id == quote_id).order_by(QuoteLine.position)))


def decide(store, actor, quote_id, decision="approve", version=None, comment="同意"):
    version = row(store, quote_id).version if version is None else version
    return run(store, actor, "approval.decide", quote_id=quote_id, quote_version=version, decision=decision,
               comment=comment)


def rate(store, actor, value: str, on=TODAY, source="中国外汇交易中心"):
    return run(store, actor, "rate.record", pair="USD/CNY", rate=value, rate_date=on.isoformat(), source=source)


def required_roles(store, quote_id) -> list[str]:
    return [r["role"] for r in row(store, quote_id).required]


@pytest.fixture
def rep_quote(store, org):
    """A CNY draft by the rep, one line of 10 x 1000.00: small enough that only finance must approve."""
    rep = org["rep"]
    q = quote(store, rep, make_customer(store, rep))
    line(store, rep, q, quantity="10", unit_price="1000.00")
    return q


# ---------------------------------------------------------------------------------------------- money


def test_line_net_rounds_half_up_where_float_and_bankers_rounding_differ():
    # 1.005 as a float is 1.00499999...: round(1.005, 2) gives 1.0. Decimal half-up gives 1.01.
    assert round(1.005, 2) == 1.0
    assert quote_math.line_net(quote_math.Line(D("1"), D("1.005"))) == D("1.01")
    # 0.125 is exact in binary; half-even would give 0.12, half-up gives 0.13.
    assert D("0.125").quantize(D("0.01"), rounding=ROUND_HALF_EVEN) == D("0.12")
    assert quote_math.line_net(quote_math.Line(D("1"), D("0.125"))) == D("0.13")
    # 3 x 0.335 with 10% off = 0.9045 -> 0.90; 2.5 x 0.01 = 0.025 -> 0.03
    assert quote_math.line_net(quote_math.Line(D("3"), D("0.335"), D("10"))) == D("0.90")
    assert quote_math.line_net(quote_math.Line(D("2.5"), D("0.01"))) == D("0.03")


def test_totals_round_at_the_documented_points():
    totals = quote_math.totals([quote_math.Line(D("1"), D("0.125")), quote_math.Line(D("1"), D("0.125"))],
                               discount_pct=D("0"), vat_pct=D("13"))
    # Each line rounds on its own (0.13 + 0.13), not the sum of exact nets (0.25).
    assert (totals.line_nets, totals.subtotal) == ((D("0.13"), D("0.13")), D("0.26"))
    assert totals.vat_amount == D("0.03")  # 0.0338 -> 0.03
    assert totals.total == D("0.29")
    # Overall discount: 2.5% of 100.10 = 2.5025 -> 2.50; VAT 13% of 97.60 = 12.688 -> 12.69.
    totals = quote_math.totals([quote_math.Line(D("1"), D("100.10"))], D("2.5"), D("13"))
    assert (totals.discount_amount, totals.net_amount, totals.vat_amount, totals.total) == (
        D("2.50"), D("97.60"), D("12.69"), D("110.29"))
    # VAT of 13% on 0.50 is 0.065: half-up 0.07 (half-even would say 0.06).
    assert quote_math.totals([quote_math.Line(D("1"), D("0.50"))], D("0"), D("13")).vat_amount == D("0.07")


def test_stored_totals_follow_every_change(store, org):
    rep = org["rep"]
    q = quote(store, rep, make_customer(store, rep))
    first = line(store, rep, q, quantity="3", unit_price="0.335", discount_pct="10")
    line(store, rep, q, quantity="1", unit_price="1.005")
    stored = row(store, q)
    assert (stored.subtotal, stored.vat_amount, stored.total) == (D("1.91"), D("0.25"), D("2.16"))
    assert [ln.net for ln in lines_of(store, q)] == [D("0.90"), D("1.01")]
    run(store, rep, "quote.update", id=q, discount_pct="10", vat_pct="6")
    stored = row(store, q)
    # 1.91 - 0.19 (0.191) = 1.72; VAT 6% = 0.1032 -> 0.10
    assert (stored.discount_amount, stored.net_amount, stored.vat_amount, stored.total) == (
        D("0.19"), D("1.72"), D("0.10"), D("1.82"))
    run(store, rep, "quote.line_remove", id=first)
    stored = row(store, q)
    assert (stored.subtotal, stored.total) == (D("1.01"), D("0.96"))  # 1.01 - 0.10 = 0.91 + 0.05
    fresh = quote_mutations.compute(stored, lines_of(store, q))
    assert all(getattr(stored, name) == getattr(fresh, name) for name in quote_mutations.TOTALS)


def test_vat_defaults_to_13_percent_and_is_configurable(store, org):
    rep = org["rep"]
    customer = make_customer(store, rep)
    assert row(store, quote(store, rep, customer)).vat_pct == D("13")
    assert row(store, quote(store, rep, customer, vat_pct="9")).vat_pct == D("9")


# ---------------------------------------------------------------------------------------------- numbers


def test_quote_numbers_carry_the_device_code_and_run_in_sequence(store, org):
    rep = org["rep"]
    _device, code = store.device()
    customer = make_customer(store, rep)
    numbers = [row(store, quote(store, rep, customer)).number for _ in range(3)]
    day = f"{TODAY:%Y%m%d}"
    assert numbers == [f"Q{day}-{code}-0001", f"Q{day}-{code}-0002", f"Q{day}-{code}-0003"]
    with pytest.raises(DomainError) as refused:  # the number travels in the args; a used one is refused
        run(store, rep, "quote.create", customer_id=customer, number=numbers[0])
    assert (refused.value.code, refused.value.field) == ("conflict", "number")
    # A refused creation does not use up a number.
    assert row(store, quote(store, rep, customer)).number == f"Q{day}-{code}-0004"
    with store.read() as s:
        assert len(set(s.scalars(select(Quote.number)))) == 4
    assert re.fullmatch(quote_mutations.NUMBER, numbers[0])


# ---------------------------------------------------------------------------------------------- policy


def test_fx_drift_of_exactly_0_80_percent_is_not_escalated_and_0_81_is():
    rules = approval_policy.parse(approval_policy.DEFAULT_RULES)
    usd = approval_policy.Facts(currency="USD", total=D("1000.00"), discount_pct=D("0"), locked_rate=D("7.1000"))
    at_080 = approval_policy.required(rules, usd, D("7.1568"))  # 7.1 x 1.008
    at_081 = approval_policy.required(rules, usd, D("7.15751"))  # 7.1 x 1.0081
    down_081 = approval_policy.required(rules, usd, D("7.04249"))  # 7.1 x 0.9919
    assert approval_policy.drift_pct(D("7.1000"), D("7.1568")) == D("0.8")
    assert [r.rule for r in at_080] == ["finance"]
    assert [r.rule for r in at_081] == [r.rule for r in down_081] == ["finance", "fx_drift"]
    assert at_081[1].role == "finance_director"
    assert "0.81%" in at_081[1].reason_zh and "0.81%" in at_081[1].reason_en and "7.15751" in at_081[1].reason_en


def test_each_default_rule(store, org):
    rules = approval_policy.parse(approval_policy.DEFAULT_RULES)
    plain = approval_policy.Facts(currency="CNY", total=D("10000.00"), discount_pct=D("0"))
    assert [(r.rule, r.role) for r in approval_policy.required(rules, plain, None)] == [("finance", "finance")]
    assert "财务" in approval_policy.required(rules, plain, None)[0].reason_zh
    discount = approval_policy.Facts(currency="CNY", total=D("10000.00"), discount_pct=D("15.01"))
    at_limit = approval_policy.Facts(currency="CNY", total=D("10000.00"), discount_pct=D("15"))
    assert [r.role for r in approval_policy.required(rules, discount, None)] == ["finance", "sales_manager"]
    assert [r.role for r in approval_policy.required(rules, at_limit, None)] == ["finance"]
    big = approval_policy.Facts(currency="CNY", total=D("500000.01"), discount_pct=D("0"))
    assert [r.rule for r in approval_policy.required(rules, big, None)] == ["finance", "total"]
    # A USD total is converted at the locked rate: 70,500 USD x 7.1 = 500,550 CNY.
    usd = approval_policy.Facts(currency="USD", total=D("70500.00"), discount_pct=D("0"), locked_rate=D("7.1"))
    assert [r.rule for r in approval_policy.required(rules, usd, D("7.1"))] == ["finance", "total"]


def test_the_policy_is_data_the_finance_director_sets(store, org):
    rep, cfo, finance, manager = org["rep"], org["cfo"], org["finance"], org["manager"]
    tighter = [{"key": "finance", "kind": "always", "role": "finance"},
               {"key": "discount", "kind": "discount", "role": "sales_manager", "threshold_pct": "5"}]
    for who in (finance, rep):
        with pytest.raises(DomainError) as refused:
            run(store, who, "policy.set", rules=tighter)
        assert refused.value.code == "forbidden"
    with pytest.raises(DomainError) as bad:
        run(store, cfo, "policy.set", rules=[{"kind": "discount", "role": "sales_manager", "threshold_pct": "x"}])
    assert (bad.value.code, bad.value.field) == ("invalid_value", "rules")
    assert "第 1 条规则" in bad.value.message_zh and "Rule 1" in bad.value.message_en
    run(store, cfo, "policy.set", rules=tighter)
    q = quote(store, rep, make_customer(store, rep))
    line(store, rep, q, unit_price="1000.00", discount_pct="6")
    run(store, rep, "quote.submit", id=q)
    assert required_roles(store, q) == ["finance", "sales_manager"]
    with store.read() as s:
        policy = s.scalars(select(ApprovalPolicy)).one()
    assert (row(store, q).policy_id, row(store, q).policy_version) == (policy.id, 1)
    decide(store, finance, q)
    assert row(store, q).status == "awaiting_approval"
    decide(store, manager, q)
    assert row(store, q).status == "approved"


def test_a_quote_approved_by_finance_alone(store, org, rep_quote):
    run(store, org["rep"], "quote.submit", id=rep_quote)
    assert row(store, rep_quote).status == "awaiting_approval"
    assert required_roles(store, rep_quote) == ["finance"]
    decide(store, org["finance"], rep_quote)
    stored = row(store, rep_quote)
    assert stored.status == "approved" and stored.decided_at is not None


def test_a_large_total_needs_the_finance_director_too(store, org):
    rep = org["rep"]
    q = quote(store, rep, make_customer(store, rep))
    line(store, rep, q, quantity="5", unit_price="100000.00")  # 565,000.00 with VAT
    run(store, rep, "quote.submit", id=q)
    assert required_roles(store, q) == ["finance", "finance_director"]
    decide(store, org["finance"], q)
    assert row(store, q).status == "awaiting_approval"
    decide(store, org["cfo"], q)
    assert row(store, q).status == "approved"


def test_a_usd_quote_locks_the_rate_and_a_drift_above_0_8_percent_needs_the_finance_director(store, org):
    rep, finance, cfo = org["rep"], org["finance"], org["cfo"]
    rate(store, finance, "7.1000", on=YESTERDAY)
    q = quote(store, rep, make_customer(store, rep), currency="USD")
    line(store, rep, q, unit_price="1000.00")
    run(store, rep, "quote.submit", id=q)
    stored = row(store, q)
    assert (stored.locked_rate, stored.locked_rate_date, stored.locked_rate_source) == (
        D("7.1"), YESTERDAY.isoformat(), "中国外汇交易中心")
    rate(store, finance, "7.1576")  # today's rate: 0.81% above the locked one (central parity precision)
    decide(store, finance, q)  # finance alone no longer approves it: the finance director must confirm
    assert row(store, q).status == "awaiting_approval"
    with store.read() as s:
        stored = s.scalars(select(Quote).where(Quote.id == q)).one()
        assert quote_mutations.pending_roles(s, stored, timeutil.utcnow()) == {"finance_director": ["fx_drift"]}
    with pytest.raises(DomainError) as not_yet:
        decide(store, org["kad"], q)
    decide(store, cfo, q)
    assert row(store, q).status == "approved"
    with store.read() as s:
        roles = [(a.role, a.rules) for a in s.scalars(select(Approval).order_by(Approval.created_at))]
    assert roles == [("finance", ["finance"]), ("finance_director", ["fx_drift"])]
    assert not_yet.value.code == "forbidden"


def test_a_drift_of_exactly_0_80_percent_leaves_finance_alone(store, org):
    rep, finance = org["rep"], org["finance"]
    rate(store, finance, "7.1000", on=YESTERDAY)
    q = quote(store, rep, make_customer(store, rep), currency="USD")
    line(store, rep, q, unit_price="1000.00")
    run(store, rep, "quote.submit", id=q)
    rate(store, finance, "7.1568")
    decide(store, finance, q)
    assert row(store, q).status == "approved"


def test_a_usd_quote_without_a_rate_cannot_be_submitted(store, org):
    rep = org["rep"]
    q = quote(store, rep, make_customer(store, rep), currency="USD")
    line(store, rep, q)
    with pytest.raises(DomainError) as refused:
        run(store, rep, "quote.submit", id=q)
    assert (refused.value.code, refused.value.field) == ("no_rate", "id")
    assert "汇率" in refused.value.message_zh and "rate" in refused.value.message_en
    assert row(store, q).status == "draft"


def test_only_finance_records_rates(store, org):
    for who in ("rep", "manager", "kad"):
        with pytest.raises(DomainError) as refused:
            rate(store, org[who], "7.2")
        assert refused.value.code == "forbidden"
    rate(store, org["cfo"], "7.2")
    rate(store, org["finance"], "7.2", source="招商银行")


# ---------------------------------------------------------------------------------------------- who decides


def test_nobody_approves_their_own_quote(store, org):
    manager = org["manager"]  # a sales manager quoting for their own customer
    q = quote(store, manager, make_customer(store, manager))
    line(store, manager, q, unit_price="1000.00", discount_pct="20")
    run(store, manager, "quote.submit", id=q)
    assert "sales_manager" in required_roles(store, q)
    with pytest.raises(DomainError) as refused:
        decide(store, manager, q)
    assert (refused.value.code, refused.value.field) == ("forbidden", "quote_id")
    assert "自己的报价单" in refused.value.message_zh and "their own quote" in refused.value.message_en
    with store.read() as s:
        assert s.scalars(select(Approval)).first() is None


def test_a_user_without_the_required_role_is_refused(store, org, rep_quote):
    run(store, org["rep"], "quote.submit", id=rep_quote)
    for who in ("rep2", "manager", "cfo"):  # not an approver at all, or not required for this quote
        with pytest.raises(DomainError) as refused:
            decide(store, org[who], rep_quote)
        assert refused.value.code == "forbidden", who
    assert refused.value.field == "decision"
    assert "需要：财务" in refused.value.message_zh and "needs: finance" in refused.value.message_en
    q = quote(store, org["rep"], make_customer(store, org["rep"], "无锡华光"))
    line(store, org["rep"], q, discount_pct="20")
    run(store, org["rep"], "quote.submit", id=q)
    assert "sales_manager" in required_roles(store, q)
    with pytest.raises(DomainError) as other_team:  # a sales manager of another team cannot see it
        decide(store, org["othermanager"], q)
    assert other_team.value.code == "forbidden"
    decide(store, org["manager"], q)  # the rep's own manager can


def test_a_decision_on_a_stale_version_is_refused(store, org, rep_quote):
    rep, finance = org["rep"], org["finance"]
    run(store, rep, "quote.submit", id=rep_quote)
    seen = row(store, rep_quote).version
    run(store, rep, "quote.withdraw", id=rep_quote)
    line(store, rep, rep_quote, quantity="1", unit_price="1.00")
    run(store, rep, "quote.submit", id=rep_quote)
    with pytest.raises(DomainError) as refused:
        decide(store, finance, rep_quote, version=seen)
    assert (refused.value.code, refused.value.field) == ("stale_version", "quote_version")
    assert "重新查看" in refused.value.message_zh and "review it again" in refused.value.message_en
    decide(store, finance, rep_quote)
    assert row(store, rep_quote).status == "approved"


def test_a_rejection_rejects_and_needs_a_reason(store, org, rep_quote):
    run(store, org["rep"], "quote.submit", id=rep_quote)
    with pytest.raises(DomainError) as refused:
        decide(store, org["finance"], rep_quote, decision="reject", comment=" ")
    assert (refused.value.code, refused.value.field) == ("missing_field", "comment")
    decide(store, org["finance"], rep_quote, decision="reject", comment="价格低于成本")
    assert row(store, rep_quote).status == "rejected"
    with pytest.raises(DomainError) as again:
        decide(store, org["finance"], rep_quote)
    assert again.value.code == "wrong_state"


# ---------------------------------------------------------------------------------------------- reopening


def test_a_change_after_an_approval_reopens_approval(store, org):
    rep, finance, cfo = org["rep"], org["finance"], org["cfo"]
    q = quote(store, rep, make_customer(store, rep))
    big = line(store, rep, q, quantity="5", unit_price="100000.00")
    run(store, rep, "quote.submit", id=q)
    decide(store, finance, q)  # finance approved; the finance director has not yet
    with pytest.raises(DomainError) as locked:  # no change while it awaits approval
        line(store, rep, q, quantity="1", unit_price="1.00")
    assert locked.value.code == "wrong_state"
    run(store, rep, "quote.withdraw", id=q)
    run(store, rep, "quote.line_set", id=big, quote_id=q, unit_price="99000.00")
    run(store, rep, "quote.submit", id=q)
    decide(store, cfo, q)
    # finance's approval belonged to the earlier round: it does not count for the changed quote
    assert row(store, q).status == "awaiting_approval"
    assert row(store, q).approval_round == 2
    decide(store, finance, q)
    assert row(store, q).status == "approved"


def test_an_approved_quote_changes_only_through_a_revision_that_needs_approval_again(store, org, rep_quote):
    rep, finance = org["rep"], org["finance"]
    run(store, rep, "quote.submit", id=rep_quote)
    decide(store, finance, rep_quote)
    for name, args in (("quote.update", {"id": rep_quote, "discount_pct": "5"}),
                       ("quote.line_set", {"quote_id": rep_quote, "description": "x", "quantity": "1",
                                           "unit_price": "1"})):
        with pytest.raises(DomainError) as refused:
            run(store, rep, name, **args)
        assert refused.value.code == "wrong_state"
    revision = run(store, rep, "quote.revise", source_id=rep_quote).changes.entity_id
    old, new = row(store, rep_quote), row(store, revision)
    assert (old.status, new.status, new.number, new.revision, new.supersedes_id) == (
        "superseded", "draft", old.number, 2, rep_quote)
    assert new.total == old.total and new.approval_round == 0
    assert [(ln.description, ln.net) for ln in lines_of(store, revision)] == \
        [(ln.description, ln.net) for ln in lines_of(store, rep_quote)]
    run(store, rep, "quote.update", id=revision, discount_pct="5")
    run(store, rep, "quote.submit", id=revision)
    assert row(store, revision).status == "awaiting_approval"
    decide(store, finance, revision)
    assert row(store, revision).status == "approved"


def test_a_superseded_revision_is_read_only(store, org, rep_quote):
    rep, finance = org["rep"], org["finance"]
    run(store, rep, "quote.submit", id=rep_quote)
    decide(store, finance, rep_quote)
    run(store, rep, "quote.mark_sent", id=rep_quote)
    revision = run(store, rep, "quote.revise", source_id=rep_quote).changes.entity_id
    before = row(store, rep_quote)
    for name, args in (("quote.update", {"id": rep_quote, "terms": "改"}), ("quote.submit", {"id": rep_quote}),
                       ("quote.revise", {"source_id": rep_quote}), ("quote.withdraw", {"id": rep_quote}),
                       ("quote.mark_sent", {"id": rep_quote})):
        with pytest.raises(DomainError) as refused:
            run(store, rep, name, **args)
        assert refused.value.code == "wrong_state", name
    assert "已被新版本取代" in refused.value.message_zh
    assert row(store, rep_quote).version == before.version
    assert row(store, revision).revision == 2


def test_a_copied_quote_carries_no_approval(store, org, rep_quote):
    rep, manager, finance = org["rep"], org["manager"], org["finance"]
    run(store, rep, "quote.submit", id=rep_quote)
    decide(store, finance, rep_quote)
    copy = run(store, rep, "quote.copy", source_id=rep_quote).changes.entity_id
    stored, source = row(store, copy), row(store, rep_quote)
    assert (stored.status, stored.approval_round, stored.required, stored.copied_from_id) == (
        "draft", 0, [], rep_quote)
    assert stored.number != source.number and stored.total == source.total
    assert stored.locked_rate is None
    with pytest.raises(DomainError) as refused:
        decide(store, finance, copy)
    assert refused.value.code == "wrong_state"
    run(store, rep, "quote.submit", id=copy)
    assert row(store, copy).status == "awaiting_approval"
    # nor does a copy by someone else: the copier owns it, and it starts a fresh approval
    other = run(store, manager, "quote.copy", source_id=rep_quote,
                customer_id=make_customer(store, manager, "常州")).changes.entity_id
    assert (row(store, other).owner_id, row(store, other).status, row(store, other).required) == (
        manager, "draft", [])
    with pytest.raises(DomainError) as hidden:  # a rep of another team cannot see the source
        run(store, org["otherrep"], "quote.copy", source_id=rep_quote)
    assert hidden.value.code == "forbidden"


def test_only_the_owner_changes_a_draft(store, org, rep_quote):
    with pytest.raises(DomainError) as refused:
        run(store, org["rep2"], "quote.update", id=rep_quote, terms="改")
    assert refused.value.code == "forbidden"
    with pytest.raises(DomainError) as stranger:
        run(store, org["otherrep"], "quote.create", customer_id=row(store, rep_quote).customer_id)
    assert stranger.value.code == "forbidden"


def test_products_price_new_lines_in_their_own_currency_only(store, org):
    rep, finance = org["rep"], org["finance"]
    with pytest.raises(DomainError):
        run(store, rep, "product.create", code="CK6150", name="数控车床 CK6150", unit="台", list_price="128000.00",
            currency="CNY")
    cnc = run(store, finance, "product.create", code="CK6150", name="数控车床 CK6150", unit="台",
              list_price="128000.00", currency="CNY").changes.entity_id
    spindle = run(store, finance, "product.create", code="SP-20", name="Spindle", unit="pc", list_price="950.00",
                  currency="USD").changes.entity_id
    q = quote(store, rep, make_customer(store, rep))
    run(store, rep, "quote.line_set", quote_id=q, product_id=cnc, quantity="2")
    [first] = lines_of(store, q)
    assert (first.description, first.unit, first.unit_price, first.net) == ("数控车床 CK6150", "台", D("128000"),
                                                                           D("256000.00"))
    with pytest.raises(DomainError) as refused:
        run(store, rep, "quote.line_set", quote_id=q, product_id=spindle, quantity="1")
    assert (refused.value.code, refused.value.field) == ("invalid_value", "unit_price")
    with pytest.raises(DomainError) as dup:
        run(store, finance, "product.create", code="CK6150", name="x", unit="台", list_price="1", currency="CNY")
    assert (dup.value.code, dup.value.field) == ("conflict", "code")


# ---------------------------------------------------------------------------------------------- replay


def test_replaying_the_outbox_elsewhere_makes_the_same_quotes(store, org, template_db, tmp_path):
    """What the server does during sync: the same args give the same numbers, lines, totals and decisions."""


    rep, finance = org["rep"], org["finance"]
    rate(store, finance, "7.1", on=YESTERDAY)
    run(store, org["cfo"], "policy.set", rules=approval_policy.DEFAULT_RULES)
    product = run(store, finance, "product.create", code="SP-20", name="Spindle", unit="pc", list_price="950.00",
                  currency="USD").changes.entity_id
    q = quote(store, rep, make_customer(store, rep), currency="USD", discount_pct="2.5")
    run(store, rep, "quote.line_set", quote_id=q, product_id=product, quantity="3")
    line(store, rep, q, quantity="2.5", unit_price="0.125")
    run(store, rep, "quote.submit", id=q)
    decide(store, finance, q)
    run(store, rep, "quote.revise", source_id=q)
    run(store, rep, "quote.copy", source_id=q)

    replica = replay_outbox(store, template_db, tmp_path / "replica.db")
    for table in ("products", "exchange_rates", "approval_policies", "quotes", "quote_lines", "approvals"):
        assert table_rows(store, table) == table_rows(replica, table), table
    assert len(table_rows(replica, "quotes")) == 3 and len(table_rows(replica, "quote_lines")) == 6
    replica.close()


def test_refusals_name_a_field_the_caller_sends_in_both_languages(store, org, rep_quote):
    from desktop import mutations

    rep, finance = org["rep"], org["finance"]
    empty = quote(store, rep, row(store, rep_quote).customer_id, currency="USD")
    usd = quote(store, rep, row(store, rep_quote).customer_id, currency="USD")
    line(store, rep, usd)
    cases = [
        (rep, "quote.submit", {"id": empty}, "invalid_value", "id"),
        (rep, "quote.submit", {"id": usd}, "no_rate", "id"),
        (rep, "quote.update", {"id": rep_quote, "vat_pct": "13.555"}, "invalid_value", "vat_pct"),
        (rep, "quote.update", {"id": rep_quote, "discount_pct": "101"}, "invalid_value", "discount_pct"),
        (rep, "quote.update", {"id": rep_quote, "valid_until": "2020-01-01"}, "invalid_value", "valid_until"),
        (rep, "quote.update", {"id": rep_quote, "valid_until": "2026-02-30"}, "wrong_type", "valid_until"),
        (rep, "quote.line_set", {"quote_id": rep_quote, "description": "x", "quantity": "0", "unit_price": "1"},
         "invalid_value", "quantity"),
        (rep, "quote.line_set", {"quote_id": rep_quote, "description": "x", "quantity": 1.5, "unit_price": "1"},
         "wrong_type", "quantity"),
        (rep, "quote.line_set", {"quote_id": rep_quote, "quantity": "1", "unit_price": "1"}, "missing_field",
         "description"),
        (rep, "quote.create", {"customer_id": row(store, rep_quote).customer_id, "number": "Q1-D1-1"},
         "invalid_value", "number"),
        (finance, "rate.record", {"pair": "USD/CNY", "rate": "-7", "rate_date": TODAY.isoformat(), "source": "x"},
         "invalid_value", "rate"),
        (finance, "approval.decide", {"quote_id": rep_quote, "quote_version": row(store, rep_quote).version,
                                      "decision": "approve"}, "wrong_state", "quote_id"),
    ]
    for actor, name, args, code, field in cases:
        with pytest.raises(DomainError) as refused:
            mutations.run(store, actor, name, args)
        err = refused.value
        assert (err.code, err.field) == (code, field), (name, args)
        assert field in mutations.REGISTRY[name].fields
        assert err.message_zh and err.message_en and err.message_zh != err.message_en
    assert row(store, rep_quote).version == 2  # created, one line: nothing refused was written


def test_the_inbox_lists_exactly_the_quotes_each_user_may_decide(store, org):
    """quote_decisions.awaiting (the inbox) and approval.decide (desktop and server) share one rule:
    for every user and quote, the quote is listed exactly when a decision would be accepted."""
    from desktop import quote_decisions
    from desktop.models import User
    from desktop.mutations import execute, prepare
    from desktop.mutations.registry import load_actor

    rep, rep2, other, finance = org["rep"], org["rep2"], org["otherrep"], org["finance"]
    rate(store, finance, "7.1000", on=YESTERDAY)
    made = {}
    for name, owner, currency, quantity, price, discount in [
            ("small", rep, "CNY", "10", "1000.00", "0"),         # finance only
            ("discounted", rep2, "CNY", "10", "1000.00", "20"),  # finance + the team's sales manager
            ("large", other, "CNY", "5", "100000.00", "0"),      # finance + finance director, another team
            ("usd", rep, "USD", "1", "1000.00", "0"),            # drift after today's rate: + finance director
            ("draft", rep, "CNY", "1", "10.00", "0")]:
        customer = make_customer(store, owner, f"客户{name}")
        made[name] = quote(store, owner, customer, currency=currency, discount_pct=discount)
        line(store, owner, made[name], quantity=quantity, unit_price=price)
        if name != "draft":
            run(store, owner, "quote.submit", id=made[name])
    rate(store, finance, "7.2000")  # 1.41% above the USD quote's locked rate
    decide(store, finance, made["small"])  # approved: nobody's inbox any more
    decide(store, finance, made["usd"])  # finance done; the finance director still to confirm

    now = timeutil.utcnow()
    seen: dict[str, set[str]] = {}
    for username, *_ in ORG_USERS:
        user_id = org[username]
        with store.read() as s:
            user = s.get(User, user_id)
            listed = {p.quote.id for p in quote_decisions.awaiting(s, user, now).pending}
        accepted = set()
        for quote_id in made.values():
            try:
                with store.writer("mutation") as s:  # try the decision, then roll it back
                    args = prepare("approval.decide", {"quote_id": quote_id, "decision": "approve",
                                                       "comment": "同意",
                                                       "quote_version": s.get(Quote, quote_id).version})
                    try:
                        execute(s, load_actor(s, user_id, "probe"), "approval.decide", args)
                        accepted.add(quote_id)
                    except DomainError:
                        pass
                    raise _RollBack
            except _RollBack:
                pass
        assert listed == accepted, username
        seen[username] = {name for name, q in made.items() if q in listed}
    assert seen["finance"] == {"discounted", "large"}
    assert seen["cfo"] == {"large", "usd"}
    assert seen["manager"] == {"discounted"} and seen["kad"] == set()  # the policy names sales managers
    assert seen["othermanager"] == set() and seen["rep"] == set() and seen["admin"] == set()


class _RollBack(Exception):
    """Raised to leave a writer transaction without committing it."""


def test_two_revisions_compare_by_terms_lines_and_totals(store, org, rep_quote):
    """Revise an approved quote, change a price, remove a line, add one, change the terms: the
    comparison lists exactly those, and a revision compared with itself is unchanged."""
    from desktop import quote_compare

    rep, finance = org["rep"], org["finance"]
    line(store, rep, rep_quote, quantity="2", unit_price="50.00", description="安装调试")
    run(store, rep, "quote.submit", id=rep_quote)
    decide(store, finance, rep_quote)
    assert row(store, rep_quote).status == "approved"
    newer = run(store, rep, "quote.revise", source_id=rep_quote).changes.entity_id
    lines = {ln.description: ln.id for ln in lines_of(store, newer)}
    run(store, rep, "quote.line_set", id=lines["数控车床"], quote_id=newer, description="数控车床",
        quantity="10", unit_price="950.00")
    run(store, rep, "quote.line_remove", id=lines["安装调试"])
    line(store, rep, newer, quantity="1", unit_price="300.00", description="操作培训")
    run(store, rep, "quote.update", id=newer, terms="含运费", discount_pct="2")
    with store.read() as s:
        assert [(r, st) for _i, r, st in quote_compare.revisions(s, newer)] == [(1, "superseded"), (2, "draft")]
        result = quote_compare.compare(s, rep_quote, newer)
        same = quote_compare.compare(s, newer, newer)
    assert (result.number, result.older, result.newer) == (row(store, newer).number, 1, 2)
    assert {c.field: (c.before, c.after) for c in result.terms} == {"discount_pct": ("0", "2"), "terms": ("", "含运费")}
    kinds = [(ln.kind, ln.description) for ln in result.lines]
    assert kinds == [("changed", "数控车床"), ("added", "操作培训"), ("removed", "安装调试")]
    changed = {c.field: (c.before, c.after) for c in result.lines[0].changes}
    assert changed == {"unit_price": ("1000", "950"), "net": ("10,000.00", "9,500.00")}
    totals = {c.field: (c.before, c.after) for c in result.totals}
    # before: 10,000 + 100 = 10,100.00, VAT 1,313.00, total 11,413.00
    # after: 9,500 + 300 = 9,800.00, 2% off 196.00 -> 9,604.00, VAT 1,248.52, total 10,852.52
    assert totals["subtotal"] == ("10,100.00", "9,800.00") and totals["total"] == ("11,413.00", "10,852.52")
    assert totals["discount_amount"] == ("0.00", "196.00")
    assert same.unchanged and not result.unchanged


def test_a_rate_more_than_five_days_old_is_used_only_when_confirmed(store, org):
    """Submitting a USD quote on a week-old rate, or deciding one whose drift is measured against it,
    is refused until the person confirms the rate; the confirmation stays in the audit trail."""
    from desktop.models import AuditEntry, OutboxEntry

    rep, finance = org["rep"], org["finance"]
    rate(store, finance, "7.1000", on=TODAY - timedelta(days=8))
    q = quote(store, rep, make_customer(store, rep), currency="USD")
    line(store, rep, q, unit_price="1000.00")
    with pytest.raises(DomainError) as refused:
        run(store, rep, "quote.submit", id=q)
    error = refused.value
    assert (error.code, error.field) == ("stale_rate", "confirm_rate") and error.detail["age_days"] == 8
    assert "超过 5 天" in error.message_zh and "7.1" in error.message_en and row(store, q).status == "draft"
    run(store, rep, "quote.submit", id=q, confirm_rate=True)
    assert (row(store, q).status, row(store, q).locked_rate) == ("awaiting_approval", D("7.1"))
    with pytest.raises(DomainError) as not_yet:
        decide(store, finance, q)
    assert not_yet.value.code == "stale_rate" and "汇率偏离按此汇率计算" in not_yet.value.message_zh
    run(store, finance, "approval.decide", quote_id=q, quote_version=row(store, q).version, decision="approve",
        comment="已与财务总监确认汇率", confirm_rate=True)
    assert row(store, q).status == "approved"
    with store.read() as s:  # the audit entry names the outbox entry, which keeps the confirmation
        audited = {e.detail["outbox_seq"] for e in s.scalars(select(AuditEntry))
                   if e.action in ("quote.submit", "approval.decide")}
        confirmed = [e.args.get("confirm_rate") for e in s.scalars(select(OutboxEntry).order_by(OutboxEntry.seq))
                     if e.seq in audited]
    assert confirmed == [True, True]
    # A CNY quote locks no rate: nothing to confirm.
    cny = quote(store, rep, make_customer(store, rep, "人民币客户"))
    line(store, rep, cny)
    run(store, rep, "quote.submit", id=cny)
