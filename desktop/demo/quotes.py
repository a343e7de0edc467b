"""Products, a USD/CNY rate history and quotes in every state, for the demo organisation.

Runs after the generator, like desktop.demo.evidence, and writes a server snapshot: every row at
version 1, nothing in the outbox. What the rows say is what the core would have stored had the
quotes gone through their life by the mutations:

- totals and line nets are desktop.quote_math's, from the lines and terms;
- a submitted USD quote locks the newest rate dated on or before its submission (China's date);
- ``required`` is the policy (desktop.approval_policy) applied at submission, or at the deciding
  decision for approved and rejected quotes, with the rate of each moment, as approval.decide does;
- approvals are made by the roles required at the moment of each decision, by people who can see
  the customer, never the owner, once per role; a rejection carries its reason; each keeps what the
  round required at it (here what the policy required then: it includes what fired at submission);
- a superseded quote was approved (or sent) and has a newer revision with the same number.

Quotes are numbered ``Q<yyyymmdd>-<device code>-<seq>`` with device codes of their own (``DM<n>``,
one per owner), which never collide with a real device's (``D<n>``), so this device's own sequence
stays free. Only people who sell and have a sales manager in their team own quotes, so every
discount that needs a sales manager has one who may decide.
"""

from __future__ import annotations

import bisect
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select

from desktop import approval_policy, quote_math, snapshot, timeutil
from desktop.fx.calendar import is_trading_day
from desktop.ids import uuid7_from
from desktop.models import (
    Approval,
    ApprovalPolicy,
    Contact,
    Customer,
    ExchangeRate,
    Product,
    Quote,
    QuoteLine,
    User,
)
from desktop.mutations.policy import DEFAULT_NAME
from desktop.mutations.quotes import _LINE_IDS, DEFAULT_VAT, RATE_PAIR
from desktop.mutations.rates import CHINA, business_date
from desktop.permissions import MANAGERS, OWNERS
from desktop.store import Store

D = Decimal
CENT = D("0.01")
RATE_DAYS = 90  # calendar days of central parity history
QUOTE_DAYS = 80  # quotes are made within this many days; the rates go back further
STATES = ("draft", "awaiting_approval", "approved", "sent", "rejected", "superseded")
STATE_WEIGHTS = (20, 20, 25, 10, 10, 15)
BATCH = 5_000

# code, name, unit, list price, currency
PRODUCTS: tuple[tuple[str, str, str, str, str], ...] = (
    ("CK6140", "数控车床 CK6140", "台", "168000.00", "CNY"),
    ("CK6150", "数控车床 CK6150", "台", "215000.00", "CNY"),
    ("CK6163", "重型数控车床 CK6163", "台", "386000.00", "CNY"),
    ("TCK56", "斜床身数控车床 TCK56", "台", "298000.00", "CNY"),
    ("VMC850", "立式加工中心 VMC850", "台", "328000.00", "CNY"),
    ("VMC1160", "立式加工中心 VMC1160", "台", "458000.00", "CNY"),
    ("HMC630", "卧式加工中心 HMC630", "台", "1280000.00", "CNY"),
    ("GMC2016", "龙门加工中心 GMC2016", "台", "1650000.00", "CNY"),
    ("M1432", "万能外圆磨床 M1432", "台", "246000.00", "CNY"),
    ("M7130", "平面磨床 M7130", "台", "98000.00", "CNY"),
    ("DK7740", "电火花线切割机 DK7740", "台", "86000.00", "CNY"),
    ("Z3050", "摇臂钻床 Z3050", "台", "72000.00", "CNY"),
    ("X6132", "万能升降台铣床 X6132", "台", "118000.00", "CNY"),
    ("BT40-ER32", "BT40 ER32 刀柄", "件", "860.00", "CNY"),
    ("BT40-SK", "BT40 强力刀柄", "件", "1280.00", "CNY"),
    ("CH-250", "三爪液压卡盘 250mm", "件", "6800.00", "CNY"),
    ("TR-8", "八工位电动刀塔", "套", "23500.00", "CNY"),
    ("FX-HYD", "液压夹具（按图定制）", "套", "45000.00", "CNY"),
    ("CHIP-01", "链板式排屑器", "套", "12800.00", "CNY"),
    ("COOL-HP", "高压内冷系统 70bar", "套", "38600.00", "CNY"),
    ("AUTO-LD", "桁架上下料机械手", "套", "265000.00", "CNY"),
    ("SVC-INST", "安装调试服务", "次", "8000.00", "CNY"),
    ("SVC-TRAIN", "操作与编程培训（3 天）", "次", "6000.00", "CNY"),
    ("SVC-PM", "年度预防性维护合同", "年", "28000.00", "CNY"),
    ("SPARE-BALL", "滚珠丝杠副 40x10", "件", "4200.00", "CNY"),
    ("5AX-650", "五轴联动加工中心 5AX-650（进口）", "台", "412000.00", "USD"),
    ("SP-24K", "进口电主轴 24000rpm", "件", "18500.00", "USD"),
    ("NC-840D", "西门子 840D sl 数控系统", "套", "36800.00", "USD"),
    ("NC-0IF", "FANUC 0i-F Plus 数控系统", "套", "21500.00", "USD"),
    ("SCALE-LC", "海德汉 LC 415 光栅尺", "件", "3200.00", "USD"),
    ("PROBE-OMP", "雷尼绍 OMP40 测头", "套", "6900.00", "USD"),
    ("RT-5X", "数控转台 TR210（进口）", "台", "28600.00", "USD"),
    ("GRD-5AX", "五轴工具磨床（进口）", "台", "365000.00", "USD"),
    ("CMM-7106", "三坐标测量机 7106", "台", "96000.00", "USD"),
)
TERMS = (
    "付款方式：预付 30%，发货前付 60%，验收合格后付 10%。交货期：合同生效后 60 天。",
    "付款方式：预付 50%，发货前付清。交货期：合同生效后 45 天。含运输、安装调试与培训。",
    "付款方式：发货前付 90%，验收后付 10%。质保期：验收合格后 12 个月。",
    "付款方式：信用证，见单即付。交货：FOB 上海。质保期 12 个月。",
)
APPROVE_COMMENTS = ("同意", "同意，按合同条款执行。", "价格在授权范围内，同意。", "已核对汇率与折扣，同意。", "")
REJECT_COMMENTS = ("折扣过大，请与客户重新协商后再提交。", "付款条件不符合公司规定，请修改为预付 30% 以上。",
                   "总价超出客户信用额度，请先申请额度。", "交货期承诺过短，请与生产确认后再报。",
                   "汇率锁定日期过早，请按最新中间价重新报价。")


@dataclass
class Result:
    """What add_quotes wrote: row counts, and the quotes by status."""

    products: int = 0
    rates: int = 0
    quotes: int = 0
    lines: int = 0
    approvals: int = 0
    by_state: dict[str, int] = field(default_factory=dict)


@dataclass
class _Plan:
    state: str
    currency: str
    customer: tuple[str, str, str | None]  # id, owner id, contact id
    created: datetime


class _Rates:
    """The history as the core reads it: the newest rate dated on or before a day."""

    def __init__(self, history: Sequence[tuple[date, Decimal]]) -> None:
        self.days = [d.isoformat() for d, _ in history]
        self.values = [r for _, r in history]

    def on(self, day: date) -> tuple[Decimal, str] | None:
        i = bisect.bisect_right(self.days, day.isoformat())
        return None if i == 0 else (self.values[i - 1], self.days[i - 1])

    def at(self, moment: datetime) -> tuple[Decimal, str] | None:
        return self.on(business_date(moment))


def rate_history(now: datetime, rng: random.Random, days: int = RATE_DAYS) -> list[tuple[date, Decimal]]:
    """A USD/CNY central parity for each trading day of the last ``days`` days, up to the newest that
    is published at ``now`` (09:15 in Beijing): a few pips a day in one direction for the season, daily
    noise, a slight pull towards 7.15, kept within 7.1-7.2; 4 places, as CFETS publishes it."""
    today = now.astimezone(CHINA)
    last = today.date() if today.hour * 60 + today.minute >= 9 * 60 + 15 else today.date() - timedelta(days=1)
    direction = rng.choice((-1, 1))
    trend = direction * rng.uniform(0.0004, 0.001)  # a few pips a day: a season's direction
    value = 7.15 - direction * 0.025 + rng.uniform(-0.01, 0.01)
    out = []
    for i in range(days, -1, -1):
        day = today.date() - timedelta(days=i)
        if day > last or not is_trading_day(day):
            continue
        value += trend + rng.gauss(0, 0.003) + (7.15 - value) * 0.02
        value = min(7.1995, max(7.1005, value))
        out.append((day, D(f"{value:.4f}")))
    return out


def add_quotes(store: Store, *, quotes: int, seed: int, now: datetime | None = None) -> Result:
    """Write the products, the rate history, the default policy and ``quotes`` quote rows (revisions
    included) for the demo's customers; returns what was written."""
    now = now or timeutil.utcnow()
    rng = random.Random(seed * 7919 + 17)
    with store.read() as session:
        users = session.execute(select(User.id, User.username, User.role, User.team, User.created_at)).all()
        finance = [u.id for u in users if u.role == "finance"]
        sellers = {u.id: u for u in users if u.role in OWNERS and u.role != "sales_manager"
                   and any(m.role == "sales_manager" and m.team == u.team for m in users)}
        customers = session.execute(
            select(Customer.id, Customer.owner_id).where(Customer.status != "lost", Customer.deleted_at.is_(None))
            .order_by(Customer.rid)).all()
        customers = [c for c in customers if c.owner_id in sellers]
        contact_of = dict(session.execute(select(Contact.customer_id, func.min(Contact.id))
                                          .where(Contact.deleted_at.is_(None)).group_by(Contact.customer_id)).all())
    if not finance or not customers:
        return Result()
    director = next((u.id for u in users if u.role == "finance_director"), finance[0])
    started = min(u.created_at for u in users)

    def new_id(at: datetime) -> str:
        return uuid7_from(int(at.timestamp() * 1000), rng.getrandbits(74))

    # ---- products, rates, the policy
    product_rows = [dict(id=new_id(started), code=f"FM-{code}", name=name, unit=unit, list_price=D(price),
                         currency=currency, active=True, created_at=started, updated_at=started, version=1)
                    for code, name, unit, price, currency in PRODUCTS]
    history = rate_history(now, rng)
    rates = _Rates(history)
    rate_rows = []
    for day, value in history:
        published = datetime(day.year, day.month, day.day, 9, 15, tzinfo=CHINA).astimezone(now.tzinfo)
        rate_rows.append(dict(id=new_id(published), pair=RATE_PAIR, rate=value, rate_date=day.isoformat(),
                              source="cfets", fetched_at=published, recorded_by=finance[0], created_at=published,
                              updated_at=published, version=1))
    rules = [rule.to_dict() for rule in approval_policy.parse(approval_policy.DEFAULT_RULES)]
    policy = dict(id=new_id(started), name=DEFAULT_NAME, rules=rules, updated_by=director, created_at=started,
                  updated_at=started, version=1)
    parsed_rules = approval_policy.parse(rules)

    # ---- who decides for whom: finance and the director for everyone, managers for their team
    deciders: dict[tuple[str, str], list[str]] = {}
    for u in users:
        if u.role in approval_policy.APPROVER_ROLES:
            deciders.setdefault((u.role, u.team if u.role in MANAGERS else ""), []).append(u.id)

    def decider(role: str, owner: str) -> str | None:
        team = sellers[owner].team if role in MANAGERS else ""
        people = [p for p in deciders.get((role, team), ()) if p != owner]
        return rng.choice(people) if people else None

    # ---- the plan: every state in both currencies first, then a realistic mix
    plans: list[_Plan] = []
    rows_left = quotes
    first = [(s, c) for s in STATES for c in ("CNY", "USD")]
    span = QUOTE_DAYS * 86_400
    while rows_left > 0:
        state, currency = first.pop(0) if first else (
            rng.choices(STATES, STATE_WEIGHTS)[0], "USD" if rng.random() < 0.25 else "CNY")
        if state == "superseded" and rows_left < 2:
            state = "approved"
        cid, owner = customers[rng.randrange(len(customers))]
        created = now - timedelta(seconds=rng.randrange(3 * 3600, span))
        created = _working_hours(created, rng)
        if created > now - timedelta(hours=1):
            created -= timedelta(days=1)
        plans.append(_Plan(state, currency, (cid, owner, contact_of.get(cid)), created))
        rows_left -= 2 if state == "superseded" else 1
    plans.sort(key=lambda p: p.created)

    products = product_rows
    result = Result(products=len(product_rows), rates=len(rate_rows), by_state={})
    quote_rows: list[dict[str, Any]] = []
    line_rows: list[dict[str, Any]] = []
    approval_rows: list[dict[str, Any]] = []
    seq: dict[str, int] = {}
    codes = {owner: f"DM{i + 1}" for i, owner in enumerate(sorted(sellers))}

    def make_lines(quote_id: str, currency: str, at: datetime) -> list[dict[str, Any]]:
        rate = (rates.at(at) or (history[0][1], ""))[0]
        out = []
        machines = [p for p in products if p["unit"] == "台" and (p["currency"] == currency or rng.random() < 0.3)]
        extras = [p for p in products if p["unit"] != "台"]
        picks = [rng.choice(machines)] + rng.sample(extras, rng.randint(0, 4))
        for position, product in enumerate(picks, 1):
            price = product["list_price"]
            if product["currency"] != currency:  # quoted in the other currency: priced by hand at today's rate
                price = (price / rate if currency == "USD" else price * rate).quantize(CENT)
            quantity = D(rng.choice((1, 1, 1, 2, 2, 3))) if product["unit"] == "台" else D(rng.randint(1, 12))
            discount = D(rng.choice((0, 0, 0, 2, 3, 5, 5, 8, 10, 12)))
            out.append(dict(id=new_id(at), quote_id=quote_id, position=position, product_id=product["id"],
                            description=product["name"], unit=product["unit"], quantity=quantity,
                            unit_price=price, discount_pct=discount, net=D(0), created_at=at, updated_at=at,
                            version=1))
        if len(picks) >= 4:  # a typed line, no product: installation is quoted per visit, with its unit
            price = D("2800.00") if currency == "CNY" else (D("2800.00") / rate).quantize(CENT)
            out.append(dict(id=new_id(at), quote_id=quote_id, position=len(out) + 1, product_id=None,
                            description="现场安装调试 On-site installation and commissioning", unit="次",
                            quantity=D(1), unit_price=price, discount_pct=D(0), net=D(0), created_at=at,
                            updated_at=at, version=1))
        return out

    def priced(quote: dict[str, Any], lines: list[dict[str, Any]]) -> quote_math.Totals:
        totals = quote_math.totals([quote_math.Line(x["quantity"], x["unit_price"], x["discount_pct"])
                                    for x in lines], quote["discount_pct"], quote["vat_pct"])
        for line, net in zip(lines, totals.line_nets, strict=True):
            line["net"] = net
        for name in ("gross_amount", "subtotal", "discount_amount", "net_amount", "vat_amount", "total"):
            quote[name] = getattr(totals, name)
        return totals

    def needed(quote: dict[str, Any], totals: quote_math.Totals, at: datetime) -> list[approval_policy.Requirement]:
        facts = approval_policy.Facts(currency=quote["currency"], total=totals.total,
                                      discount_pct=totals.effective_discount_pct, locked_rate=quote["locked_rate"])
        today = rates.at(at)
        return approval_policy.required(parsed_rules, facts, today[0] if today else None)

    def lifecycle(quote: dict[str, Any], lines: list[dict[str, Any]], state: str, at: datetime) -> datetime:
        """Take a priced draft made at ``at`` to ``state``; returns when it last changed."""
        totals = priced(quote, lines)
        if state == "draft":
            quote["valid_until"] = (business_date(now) + timedelta(days=30)).isoformat()
            return at
        submitted = _not_after(at + timedelta(hours=rng.uniform(0.5, 40)), now)
        if quote["currency"] == "USD":
            locked = rates.at(submitted)
            assert locked is not None, "the rate history starts before the first quote"
            quote["locked_rate"], quote["locked_rate_date"], quote["locked_rate_source"] = \
                locked[0], locked[1], "cfets"
        quote.update(status="awaiting_approval", approval_round=1, policy_id=policy["id"], policy_version=1,
                     submitted_at=submitted, required=[r.to_dict() for r in needed(quote, totals, submitted)])
        final = {"awaiting_approval": None, "rejected": "reject"}.get(state, "approve")
        when, done = submitted, set()
        if quote["currency"] == "USD" and rng.random() < 0.25:  # left waiting for weeks: the rate may move
            when += timedelta(days=rng.uniform(7, 30))
        when = _not_after(when + timedelta(hours=rng.uniform(0.3, 30)), now)
        now_needed = needed(quote, totals, when)  # the rate is China's day's: the same for the whole round
        by_role = approval_policy.roles(now_needed)
        while True:
            open_roles = [role for role in by_role if role not in done]
            last = len(open_roles) == 1
            if final is None and (last or rng.random() < 0.5):
                return submitted  # waits for the rest; a partial approval leaves the quote row alone
            rejecting = final == "reject" and (last or rng.random() < 0.4)
            role = rng.choice(open_roles) if rejecting else open_roles[0]
            person = decider(role, quote["owner_id"])
            assert person is not None, f"nobody may decide as {role}"
            approval_rows.append(dict(
                id=new_id(when), quote_id=quote["id"], quote_version=1, round=1, approver_id=person, role=role,
                rules=by_role[role], required=[r.to_dict() for r in now_needed],
                decision="reject" if rejecting else "approve",
                comment=rng.choice(REJECT_COMMENTS) if rejecting else rng.choice(APPROVE_COMMENTS),
                decided_at=when, created_at=when, version=1))
            done.add(role)
            if rejecting or last:
                quote.update(status="rejected" if rejecting else "approved", decided_at=when,
                             required=[r.to_dict() for r in now_needed])
                break
            later = _not_after(when + timedelta(minutes=rng.uniform(5, 180)), now)
            when = later if business_date(later) == business_date(when) else when
        if state == "sent" or (state == "superseded" and rng.random() < 0.5):
            when = _not_after(when + timedelta(hours=rng.uniform(1, 48)), now)
            quote["status"] = "sent"
        return when

    for plan in plans:
        cid, owner, contact = plan.customer
        seq[owner] = seq.get(owner, 0) + 1
        day = plan.created.astimezone(CHINA)
        number = f"Q{day:%Y%m%d}-{codes[owner]}-{seq[owner]:04d}"
        quote = _quote(new_id(plan.created), number, cid, contact, owner, plan.currency, plan.created, rng)
        lines = make_lines(quote["id"], plan.currency, plan.created)
        quote["updated_at"] = lifecycle(quote, lines, plan.state, plan.created)
        quote_rows.append(quote)
        line_rows.extend(lines)
        if plan.state == "superseded" and quote["status"] in ("approved", "sent"):
            # Revised: a new revision from the approved (or sent) one, then renegotiated as a draft.
            revised_at = _not_after(quote["updated_at"] + timedelta(hours=rng.uniform(2, 96)), now)
            quote["status"], quote["updated_at"] = "superseded", revised_at
            newer = _quote(new_id(revised_at), number, cid, contact, owner, plan.currency, revised_at, rng,
                           revision=2, supersedes_id=quote["id"], terms=quote["terms"],
                           discount_pct=quote["discount_pct"], vat_pct=quote["vat_pct"])
            copies = [dict(line, id=str(uuid.uuid5(_LINE_IDS, f"{newer['id']}/{line['id']}")), quote_id=newer["id"],
                           created_at=revised_at, updated_at=revised_at) for line in lines]
            copies[0]["quantity"] += 1  # the customer asked for one more
            newer["updated_at"] = lifecycle(newer, copies, rng.choice(("draft", "awaiting_approval", "approved")),
                                            revised_at)
            quote_rows.append(newer)
            line_rows.extend(copies)
    for q in quote_rows:
        result.by_state[q["status"]] = result.by_state.get(q["status"], 0) + 1

    with store.writer("snapshot") as session:
        device_id, _code = store.device()
        conn = session.connection()  # Core executemany: the columns' own types make the storage form
        for model, rows in ((Product, product_rows), (ExchangeRate, rate_rows), (ApprovalPolicy, [policy]),
                            (Quote, quote_rows), (QuoteLine, line_rows), (Approval, approval_rows)):
            for i in range(0, len(rows), BATCH):
                conn.execute(insert(model.__table__), rows[i:i + BATCH])
        result.quotes, result.lines, result.approvals = len(quote_rows), len(line_rows), len(approval_rows)
        snapshot.record_load(session, device_id, "demo quotes",
                             {"products": result.products, "exchange_rates": result.rates, "approval_policies": 1,
                              "quotes": result.quotes, "quote_lines": result.lines, "approvals": result.approvals})
    return result


def _quote(quote_id: str, number: str, customer_id: str, contact_id: str | None, owner_id: str, currency: str,
           at: datetime, rng: random.Random, *, revision: int = 1, supersedes_id: str | None = None,
           terms: str | None = None, discount_pct: Decimal | None = None,
           vat_pct: Decimal | None = None) -> dict[str, Any]:
    """A draft quote row as quote.create makes it (totals filled in by the caller)."""
    if discount_pct is None:
        discount_pct = D(rng.choice((0, 0, 0, 0, 2, 3, 5, 5, 8, 10)))
    if vat_pct is None:
        vat_pct = DEFAULT_VAT if currency == "CNY" else D(0)  # exports carry no VAT
    zero = D("0.00")
    return dict(id=quote_id, number=number, revision=revision, supersedes_id=supersedes_id, copied_from_id=None,
                customer_id=customer_id, contact_id=contact_id, owner_id=owner_id, currency=currency,
                vat_pct=vat_pct, discount_pct=discount_pct,
                valid_until=(business_date(at) + timedelta(days=30)).isoformat(),
                terms=terms if terms is not None else rng.choice(TERMS[3:] if currency == "USD" else TERMS[:3]),
                drawing_version=rng.choice(("", "", f"图纸 A{rng.randint(1, 5)}")), status="draft",
                locked_rate=None, locked_rate_date=None, locked_rate_source=None, policy_id=None,
                policy_version=None, approval_round=0, required=[], gross_amount=zero, subtotal=zero, discount_amount=zero,
                net_amount=zero, vat_amount=zero, total=zero, submitted_at=None, decided_at=None, created_at=at,
                updated_at=at, version=1)


def _working_hours(at: datetime, rng: random.Random) -> datetime:
    """The same China day at a time between 09:30 and 18:00 there, as people work."""
    local = at.astimezone(CHINA)
    moment = local.replace(hour=9, minute=30, second=0, microsecond=0) + timedelta(seconds=rng.randrange(8 * 3600))
    return moment.astimezone(at.tzinfo)


def _not_after(at: datetime, limit: datetime) -> datetime:
    return min(at, limit)
