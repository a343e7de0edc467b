"""Quotes: quote.create/update/copy/submit/withdraw/revise/mark_sent, quote.line_set/line_remove, approval.decide.

States (desktop.models.QUOTE_STATUSES)::

    draft --submit--> awaiting_approval --every required approval--> approved --mark_sent--> sent
      ^                  |  any rejection --> rejected                   |                    |
      +----withdraw------+---------------------+                         +------revise--------+
                                                                          (new revision: draft;
                                                                           this one: superseded)

Only a draft changes: its lines, prices, discounts, terms. Leaving ``awaiting_approval`` or
``rejected`` for ``draft`` (withdraw) and revising an approved or sent quote both start a new
approval round at the next submission, so no approval given to a quote survives a change to its
lines, prices, discounts or rate. A copy is a new draft that carries no approval. Superseded
quotes never change.

Totals are recomputed (desktop.quote_math) by every mutation that changes what feeds them, in the
same transaction; nothing else writes them. The quote number is made on the device from its code and
its own sequence (:func:`number_args`) and travels in the args, so the server stores the same number.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from desktop import approval_policy, errors, quote_decisions, quote_math, timeutil
from desktop.errors import DomainError, Label
from desktop.fx.calendar import CONFIRM_AFTER_DAYS, NEEDS_CONFIRMATION, rate_status
from desktop.models import (
    CURRENCIES,
    DECISIONS,
    Approval,
    DeviceState,
    ExchangeRate,
    Product,
    Quote,
    QuoteLine,
)
from desktop.mutations import policy as policies
from desktop.mutations import rates
from desktop.mutations.common import by_id, ensure_new, get_customer, inserted
from desktop.mutations.contacts import get_contact
from desktop.mutations.fields import Field, optional
from desktop.mutations.registry import Actor, Changes, mutation
from desktop.permissions import can_quote, can_see_customer

QUOTE = Label("报价单", "Quote")
LINE = Label("报价行", "Quote line")
PRODUCT = Label("产品", "Product")
# On the server, session.info[DEVICE_CODES] holds the codes the pushing device numbers its quotes
# with (sync.server.auth.device_codes): a number naming another device's code is refused, so two
# devices can never hand out the same number.
DEVICE_CODES = "fm_device_codes"
NUMBER = re.compile(r"Q\d{8}-[A-Za-z0-9]{1,16}-\d{4,}")
DEFAULT_VAT = Decimal(13)
RATE_PAIR = "USD/CNY"
_LINE_IDS = uuid.UUID("6f1d1d4e-8a55-4c8e-9b7e-5a0c2b1f0e11")  # namespace of the ids of copied lines
STATUS_NAMES = {"draft": ("草稿", "a draft"), "awaiting_approval": ("待审批", "awaiting approval"),
                "approved": ("已批准", "approved"), "rejected": ("已驳回", "rejected"), "sent": ("已发送", "sent"),
                "superseded": ("已被新版本取代", "superseded by a newer version")}

TERMS = {
    "contact_id": Field(Label("联系人", "Contact"), "id", nullable=True),
    "currency": Field(Label("币种", "Currency"), "choice", choices=CURRENCIES),
    "vat_pct": Field(Label("增值税率（%）", "VAT (%)"), "decimal", low=0, high=100, places=2),
    "discount_pct": Field(Label("整单折扣（%）", "Overall discount (%)"), "decimal", low=0, high=100, places=2),
    "valid_until": Field(Label("有效期至", "Valid until"), "date", nullable=True),
    "terms": Field(Label("条款", "Terms"), max_len=4000),
    "drawing_version": Field(Label("客户图纸版本", "Customer drawing version"), max_len=64),
}
LINE_FIELDS = {
    "product_id": Field(PRODUCT, "id", nullable=True),
    "description": Field(Label("描述", "Description"), max_len=500),
    "unit": Field(Label("单位", "Unit"), max_len=8),  # 套, 件, 米, 平方米: the PDF's unit column wraps beyond
    # The highest quantity and unit price, and the highest amount (quote_math.MAX_AMOUNT), are what the
    # PDF's figure columns can print at its font size.
    "quantity": Field(Label("数量", "Quantity"), "decimal", low=0.001, high=Decimal(10_000_000), places=3),
    "unit_price": Field(Label("单价", "Unit price"), "decimal", low=0, high=Decimal("999999999.9999"), places=4),
    "discount_pct": Field(Label("行折扣（%）", "Line discount (%)"), "decimal", low=0, high=100, places=2),
    "position": Field(Label("行号", "Position"), "int"),
}
TOTALS = ("gross_amount", "subtotal", "discount_amount", "net_amount", "vat_amount", "total")


# ---------------------------------------------------------------------------------------------- helpers


def number_args(session: Session, args: dict[str, Any]) -> dict[str, Any]:
    """On the device: give a new quote its number, ``Q<yyyymmdd>-<device code>-<seq>``, from the
    device's own sequence (a counter in device_state, so numbers never repeat on this device even for
    quotes it no longer holds). The date is China's date of the change."""
    if args.get("number") is None:
        seq = session.execute(update(DeviceState).values(next_quote_seq=DeviceState.next_quote_seq + 1)
                              .returning(DeviceState.next_quote_seq, DeviceState.device_code)).one()
        day = rates.business_date(timeutil.from_text(args["at"]))
        args = {**args, "number": f"Q{day:%Y%m%d}-{seq[1]}-{seq[0] - 1:04d}"}
    return args


def get_quote(session: Session, quote_id: str, field: str = "id") -> Quote:
    quote = by_id(session, Quote, quote_id)
    if quote is None:
        raise errors.not_found(field, QUOTE, quote_id)
    return quote


def _wrong_state(quote: Quote, action_zh: str, action_en: str, field: str = "id") -> DomainError:
    zh, en = STATUS_NAMES[quote.status]
    return DomainError("wrong_state", f"报价单 {quote.number} 第 {quote.revision} 版{zh}，不能{action_zh}。",
                       f"Quote {quote.number} revision {quote.revision} is {en}; it cannot {action_en}.", field,
                       {"status": quote.status})


def _own_draft(session: Session, actor: Actor, quote_id: str, field: str = "id") -> Quote:
    """The actor's own draft quote, or a DomainError saying why not."""
    quote = get_quote(session, quote_id, field)
    _owned(actor, quote)
    if quote.status != "draft":
        raise _wrong_state(quote, "再修改（请先撤回，或对已批准的报价出新版本）",
                           "be changed (withdraw it first, or revise an approved quote)", field)
    return quote


def _owned(actor: Actor, quote: Quote) -> None:
    if quote.owner_id != actor.id and actor.role != "admin":
        raise errors.forbidden("修改别人的报价单", "change someone else's quote")


def _lines(session: Session, quote_id: str) -> list[QuoteLine]:
    """The quote's lines as this transaction sees them (sessions here do not autoflush)."""
    found = {line.id: line for line in session.scalars(select(QuoteLine).where(QuoteLine.quote_id == quote_id))}
    found.update({obj.id: obj for obj in session.new if isinstance(obj, QuoteLine) and obj.quote_id == quote_id})
    for obj in session.deleted:
        if isinstance(obj, QuoteLine):
            found.pop(obj.id, None)
    return sorted(found.values(), key=lambda line: (line.position, line.id))


def compute(quote: Quote, lines: Iterable[QuoteLine]) -> quote_math.Totals:
    """The quote's amounts from its lines and terms."""
    return quote_math.totals([quote_math.Line(line.quantity, line.unit_price, line.discount_pct) for line in lines],
                             quote.discount_pct, quote.vat_pct)


def _set_totals(quote: Quote, totals: quote_math.Totals, changes: Changes) -> None:
    largest = max((totals.gross_amount, totals.total, *totals.line_nets), default=Decimal(0))
    if largest > quote_math.MAX_AMOUNT:
        raise errors.invalid_value(
            "total", f"金额 {largest:,.2f} 超过一张报价单可打印的上限 {quote_math.MAX_AMOUNT:,.2f}，请减少数量或拆分报价单。",
            f"The amount {largest:,.2f} is more than a quote can print ({quote_math.MAX_AMOUNT:,.2f}); lower the "
            "quantity or split the quote.")
    for name in TOTALS:
        before, after = getattr(quote, name), getattr(totals, name)
        if before != after:
            changes.diff[name] = [str(before), str(after)]
            setattr(quote, name, after)


def _unit(values: dict[str, Any], product: Product | None) -> str:
    """A new line's unit: as typed, else the product's (a typed line without one has none)."""
    typed = (values.get("unit") or "").strip()
    return typed or (product.unit if product is not None else "")


def _bump(changes: Changes, row: Any, at: Any) -> None:
    if hasattr(row, "updated_at"):
        row.updated_at = at
    row.version += 1
    changes.touch(row.__tablename__, row.id, "update", row.version)


def _contact(session: Session, customer_id: str, contact_id: str | None) -> str | None:
    if contact_id is None:
        return None
    contact = get_contact(session, contact_id, "contact_id")
    if contact.customer_id != customer_id:
        raise errors.invalid_value("contact_id", f"联系人 {contact.name} 不属于这位客户。",
                                   f"{contact.name} is not a contact of this customer.")
    return contact.id


def _valid_until(value: str | None, at: Any, field: str = "valid_until") -> str | None:
    if value is not None and date.fromisoformat(value) < rates.business_date(at):
        raise errors.invalid_value(field, "有效期已过，请选择今天或以后的日期。",
                                   "The validity date is in the past; choose today or later.")
    return value


def _new_quote(args: dict[str, Any], **values: Any) -> Quote:
    zero = Decimal("0.00")
    return Quote(id=args["id"], created_at=args["at"], updated_at=args["at"], version=1, status="draft",
                 approval_round=0, required=[], gross_amount=zero, subtotal=zero, discount_amount=zero, net_amount=zero,
                 vat_amount=zero, total=zero, **values)


def _copy_lines(session: Session, source: Quote, target: Quote, at: Any, changes: Changes) -> list[QuoteLine]:
    """The source's lines under the target, with ids derived from the two (the same on every machine)."""
    copies = []
    for line in _lines(session, source.id):
        copy = QuoteLine(id=str(uuid.uuid5(_LINE_IDS, f"{target.id}/{line.id}")), quote_id=target.id,
                         position=line.position, product_id=line.product_id, description=line.description,
                         unit=line.unit, quantity=line.quantity, unit_price=line.unit_price,
                         discount_pct=line.discount_pct, net=line.net, created_at=at, updated_at=at, version=1)
        ensure_new(session, QuoteLine, copy.id, LINE)
        session.add(copy)
        changes.touch("quote_lines", copy.id, "insert", 1)
        copies.append(copy)
    return copies


def _check_number(session: Session, args: dict[str, Any]) -> str:
    number = args.get("number")
    if not number:
        raise errors.missing_field("number", Label("报价单号", "Quote number"))
    if not NUMBER.fullmatch(number):
        raise errors.invalid_value("number", f"报价单号“{number}”格式不正确（应如 Q20261127-D3-0007）。",
                                   f"The quote number {number!r} is not of the form Q20261127-D3-0007.")
    codes = session.info.get(DEVICE_CODES)
    if codes is not None and number.split("-")[1] not in codes:
        raise errors.invalid_value(
            "number", f"报价单号 {number} 中的设备代码不是本设备的（本设备为 {'、'.join(sorted(codes))}）。",
            f"The device code in quote number {number} is not this device's ({', '.join(sorted(codes))}).")
    if session.scalars(select(Quote.id).where(Quote.number == number)).first() is not None:
        raise errors.conflict("number", f"报价单号 {number} 已被使用。", f"The quote number {number} is already used.")
    return str(number)


# ---------------------------------------------------------------------------------------------- drafts


@mutation("quote.create", {"id": Field(Label("编号", "Id"), "id", required=True),
                           "number": Field(Label("报价单号", "Quote number"), max_len=40),
                           "customer_id": Field(Label("客户", "Customer"), "id", required=True),
                           **TERMS}, id_fields=("id",), device_args=number_args)
def create_quote(session: Session, actor: Actor, args: dict[str, Any]) -> Changes:
    """A new draft quote for a customer, numbered on the device, with no lines yet."""
    customer = get_customer(session, args["customer_id"])
    if not can_quote(session, actor.user, customer):
        raise errors.forbidden("为此客户报价", "make quotes for this customer")
    ensure_new(session, Quote, args["id"], QUOTE)
    number = _check_number(session, args)
    quote = _new_quote(args, number=number, revision=1, customer_id=customer.id,
                       contact_id=_contact(session, customer.id, args.get("contact_id")), owner_id=actor.id,
                       currency=args.get("currency") or "CNY",
                       vat_pct=args["vat_pct"] if args.get("vat_pct") is not None else DEFAULT_VAT,
                       discount_pct=args.get("discount_pct") or Decimal(0),
                       valid_until=_valid_until(args.get("valid_until"), args["at"]),
                       terms=args.get("terms") or "", drawing_version=args.get("drawing_version") or "")
    return inserted(session, "quote", quote)


@mutation("quote.update", {"id": Field(QUOTE, "id", required=True), **optional(TERMS)})
def update_quote(session: Session, actor: Actor, args: dict[str, Any]) -> Changes:
    """Change a draft's terms; the totals follow."""
    quote = _own_draft(session, actor, args["id"])
    values = {name: args[name] for name in TERMS if name in args}
    for name in ("currency", "vat_pct", "discount_pct"):
        if name in values and values[name] is None:
            raise errors.missing_field(name, TERMS[name].label)
    for name in ("terms", "drawing_version"):
        if name in values and values[name] is None:
            values[name] = ""
    if "contact_id" in values:
        values["contact_id"] = _contact(session, quote.customer_id, values["contact_id"])
    if "valid_until" in values:
        values["valid_until"] = _valid_until(values["valid_until"], args["at"])
    changes = Changes("quote", quote.id, base_version=quote.version)
    for name, value in values.items():
        if getattr(quote, name) != value:
            changes.diff[name] = [str(getattr(quote, name)), str(value)]
            setattr(quote, name, value)
    if not changes.diff:
        raise DomainError("no_change", "没有需要保存的修改。", "Nothing was changed.")
    _set_totals(quote, compute(quote, _lines(session, quote.id)), changes)
    _bump(changes, quote, args["at"])
    return changes


@mutation("quote.line_set", {"id": Field(Label("编号", "Id"), "id", required=True),
                             "quote_id": Field(QUOTE, "id", required=True), **LINE_FIELDS}, id_fields=("id",))
def set_line(session: Session, actor: Actor, args: dict[str, Any]) -> Changes:
    """Add a line to a draft, or change one; the line's net and the quote's totals follow.

    A new line from a product takes its description and unit, and its list price when the product is
    priced in the quote's currency; otherwise the unit price must be given (no silent conversion).
    """
    quote = _own_draft(session, actor, args["quote_id"], "quote_id")
    line = by_id(session, QuoteLine, args["id"])
    values = {name: args[name] for name in LINE_FIELDS if name in args}
    product = None
    if values.get("product_id"):
        product = by_id(session, Product, values["product_id"])
        if product is None:
            raise errors.not_found("product_id", PRODUCT, values["product_id"])
    changes = Changes("quote_line", args["id"], base_version=line.version if line is not None else None)
    if line is None:
        if product is not None and not product.active:
            raise errors.invalid_value("product_id", f"产品“{product.name}”已停售。",
                                       f"The product {product.name} is no longer sold.")
        if values.get("quantity") is None:
            raise errors.missing_field("quantity", LINE_FIELDS["quantity"].label)
        if values.get("unit_price") is None:
            if product is None or product.currency != quote.currency:
                raise errors.missing_field("unit_price", LINE_FIELDS["unit_price"].label) if product is None else \
                    errors.invalid_value("unit_price", f"产品目录价为 {product.currency}，报价单为 {quote.currency}，"
                                                       "请填写单价。",
                                         f"The product is priced in {product.currency} and the quote in "
                                         f"{quote.currency}; enter the unit price.")
            values["unit_price"] = product.list_price
        description = values.get("description") or (product.name if product is not None else "")
        if not description:
            raise errors.missing_field("description", LINE_FIELDS["description"].label)
        position = values.get("position")
        if position is None:
            position = max((other.position for other in _lines(session, quote.id)), default=0) + 1
        ensure_new(session, QuoteLine, args["id"], LINE)
        line = QuoteLine(id=args["id"], quote_id=quote.id, position=position,
                         product_id=product.id if product is not None else None, description=description,
                         unit=_unit(values, product), quantity=values["quantity"],
                         unit_price=values["unit_price"], discount_pct=values.get("discount_pct") or Decimal(0),
                         net=Decimal(0), created_at=args["at"], updated_at=args["at"], version=1)
        line.net = quote_math.line_net(quote_math.Line(line.quantity, line.unit_price, line.discount_pct))
        session.add(line)
        changes.touch("quote_lines", line.id, "insert", 1)
    else:
        if line.quote_id != quote.id:
            raise errors.invalid_value("quote_id", "这一行不属于这张报价单。", "This line belongs to another quote.")
        for name in ("quantity", "unit_price", "discount_pct", "description", "position"):
            if name in values and values[name] is None:
                raise errors.missing_field(name, LINE_FIELDS[name].label)
        if product is not None and "unit" not in values:
            values["unit"] = product.unit
        if "unit" in values:
            values["unit"] = (values["unit"] or "").strip()
        for name, value in values.items():
            if getattr(line, name) != value:
                changes.diff[name] = [str(getattr(line, name)), str(value)]
                setattr(line, name, value)
        if not changes.diff:
            raise DomainError("no_change", "没有需要保存的修改。", "Nothing was changed.")
        line.net = quote_math.line_net(quote_math.Line(line.quantity, line.unit_price, line.discount_pct))
        _bump(changes, line, args["at"])
    _set_totals(quote, compute(quote, _lines(session, quote.id)), changes)
    _bump(changes, quote, args["at"])  # a changed line is a changed quote: its version says so
    return changes


@mutation("quote.line_remove", {"id": Field(LINE, "id", required=True)})
def remove_line(session: Session, actor: Actor, args: dict[str, Any]) -> Changes:
    line = by_id(session, QuoteLine, args["id"])
    if line is None:
        raise errors.not_found("id", LINE, args["id"])
    quote = _own_draft(session, actor, line.quote_id)
    changes = Changes("quote_line", line.id, base_version=line.version)
    changes.touch("quote_lines", line.id, "delete", line.version + 1)
    session.delete(line)
    _set_totals(quote, compute(quote, _lines(session, quote.id)), changes)
    _bump(changes, quote, args["at"])
    return changes


@mutation("quote.copy", {"id": Field(Label("编号", "Id"), "id", required=True),
                         "number": Field(Label("报价单号", "Quote number"), max_len=40),
                         "source_id": Field(QUOTE, "id", required=True),
                         "customer_id": Field(Label("客户", "Customer"), "id")},
          id_fields=("id",), device_args=number_args)
def copy_quote(session: Session, actor: Actor, args: dict[str, Any]) -> Changes:
    """A new draft with the source's lines and terms, for the same or another customer. It carries no
    approval, no locked rate and no history: it is a new quote with a new number."""
    source = get_quote(session, args["source_id"], "source_id")
    if not can_see_customer(session, actor.user, get_customer(session, source.customer_id, "source_id")):
        raise errors.forbidden("查看这张报价单", "see this quote")
    customer = get_customer(session, args.get("customer_id") or source.customer_id)
    if not can_quote(session, actor.user, customer):
        raise errors.forbidden("为此客户报价", "make quotes for this customer")
    ensure_new(session, Quote, args["id"], QUOTE)
    quote = _new_quote(args, number=_check_number(session, args), revision=1, copied_from_id=source.id,
                       customer_id=customer.id,
                       contact_id=source.contact_id if customer.id == source.customer_id else None,
                       owner_id=actor.id, currency=source.currency, vat_pct=source.vat_pct,
                       discount_pct=source.discount_pct, valid_until=None, terms=source.terms,
                       drawing_version=source.drawing_version if customer.id == source.customer_id else "")
    changes = inserted(session, "quote", quote)
    for name, value in vars(compute(quote, _copy_lines(session, source, quote, args["at"], changes))).items():
        if name in TOTALS:
            setattr(quote, name, value)
    return changes


@mutation("quote.revise", {"id": Field(Label("编号", "Id"), "id", required=True),
                           "source_id": Field(QUOTE, "id", required=True)}, id_fields=("id",))
def revise_quote(session: Session, actor: Actor, args: dict[str, Any]) -> Changes:
    """A new revision (same number, next revision) as a draft; the approved or sent one it replaces is
    kept as it was, read-only, and marked superseded."""
    source = get_quote(session, args["source_id"], "source_id")
    _owned(actor, source)
    if source.status not in ("approved", "sent"):
        raise _wrong_state(source, "出新版本（只有已批准或已发送的报价单可以）",
                           "be revised (only an approved or sent quote can)", "source_id")
    ensure_new(session, Quote, args["id"], QUOTE)
    latest = session.scalar(select(func.max(Quote.revision)).where(Quote.number == source.number)) or 0
    quote = _new_quote(args, number=source.number, revision=max(latest, source.revision) + 1,
                       supersedes_id=source.id, customer_id=source.customer_id, contact_id=source.contact_id,
                       owner_id=source.owner_id, currency=source.currency, vat_pct=source.vat_pct,
                       discount_pct=source.discount_pct, valid_until=source.valid_until, terms=source.terms,
                       drawing_version=source.drawing_version)
    changes = inserted(session, "quote", quote)
    for name, value in vars(compute(quote, _copy_lines(session, source, quote, args["at"], changes))).items():
        if name in TOTALS:
            setattr(quote, name, value)
    source.status = "superseded"
    _bump(changes, source, args["at"])
    return changes


# ---------------------------------------------------------------------------------------------- approval


def facts(quote: Quote, totals: quote_math.Totals) -> approval_policy.Facts:
    return approval_policy.Facts(currency=quote.currency, total=totals.total,
                                 discount_pct=totals.effective_discount_pct, locked_rate=quote.locked_rate)


def requirements(session: Session, quote: Quote, at: Any) -> list[approval_policy.Requirement]:
    """What approvals the quote needs now: the current policy, today's cached rate (the newest dated
    on or before China's date at ``at``) against the rate the quote locked."""
    _row, rules = policies.current(session)
    today = rates.latest(session, RATE_PAIR, rates.business_date(at))
    return approval_policy.required(rules, facts(quote, compute(quote, _lines(session, quote.id))),
                                    today.rate if today is not None else None)


def round_approvals(session: Session, quote: Quote) -> list[Approval]:
    """The decisions of the quote's current approval round, as this transaction sees them."""
    found = list(session.scalars(select(Approval).where(Approval.quote_id == quote.id,
                                                        Approval.round == quote.approval_round)))
    found += [obj for obj in session.new if isinstance(obj, Approval) and obj.quote_id == quote.id
              and obj.round == quote.approval_round and obj not in found]
    return found


def fired(quote: Quote, approvals: Iterable[Approval]) -> list[approval_policy.Requirement]:
    """What fired earlier in the round: at submission (the quote's ``required``) and at each decision."""
    out = approval_policy.stored(quote.required or [])
    for approval in approvals:
        out += approval_policy.stored(approval.required or [])
    return out


def in_force(session: Session, quote: Quote, at: Any,
             approvals: Iterable[Approval] | None = None) -> list[approval_policy.Requirement]:
    """Every approval the quote needs in its round at ``at``: what the policy and today's rate require
    now, and whatever fired earlier in the round (approval_policy.in_force: requirements are sticky)."""
    done = round_approvals(session, quote) if approvals is None else approvals
    return approval_policy.in_force(requirements(session, quote, at), fired(quote, done))


CONFIRM_RATE = Field(Label("确认使用较旧的汇率", "Confirm an older rate"), "bool")


def _confirmed(rate: ExchangeRate, args: dict[str, Any], zh: str, en: str) -> None:
    """A rate more than five calendar days old (desktop.fx.calendar) is used only when the person
    confirms it (``confirm_rate``, kept with the change in the outbox and the audit trail)."""
    status = rate_status(date.fromisoformat(rate.rate_date), args["at"])
    if status.state == NEEDS_CONFIRMATION and not args.get("confirm_rate"):
        raise DomainError("stale_rate", f"美元兑人民币汇率是 {rate.rate_date} 的 {rate.rate}，已超过 "
                          f"{CONFIRM_AFTER_DAYS} 天：{zh}", f"The USD/CNY rate here is {rate.rate} of {rate.rate_date}, "
                          f"more than {CONFIRM_AFTER_DAYS} days old: {en}", "confirm_rate",
                          {"rate": str(rate.rate), "rate_date": rate.rate_date, "age_days": status.age_days})


@mutation("quote.submit", {"id": Field(QUOTE, "id", required=True), "confirm_rate": CONFIRM_RATE})
def submit_quote(session: Session, actor: Actor, args: dict[str, Any]) -> Changes:
    """Send a draft for approval: a USD quote locks today's rate with its date and source (a rate more
    than five days old only once confirmed); the policy says who must approve and why; a new approval
    round starts."""
    quote = _own_draft(session, actor, args["id"])
    lines = _lines(session, quote.id)
    if not lines:
        raise errors.invalid_value("id", "报价单没有明细行，不能提交。", "The quote has no lines to submit.")
    _valid_until(quote.valid_until, args["at"], "id")
    changes = Changes("quote", quote.id, base_version=quote.version)
    locked: tuple[Decimal | None, str | None, str | None] = (None, None, None)
    if quote.currency == "USD":
        rate = rates.latest(session, RATE_PAIR, rates.business_date(args["at"]))
        if rate is None:
            raise DomainError("no_rate", "没有美元兑人民币汇率，请财务先录入今日汇率再提交。",
                              "No USD/CNY rate is known here; finance must record today's rate before this "
                              "quote can be submitted.", "id")
        _confirmed(rate, args, "请确认按此汇率锁定，或请财务先录入最新汇率。",
                   "confirm locking this rate, or have finance record the latest one first.")
        locked = (rate.rate, rate.rate_date, rate.source)
    quote.locked_rate, quote.locked_rate_date, quote.locked_rate_source = locked
    policy_row, _rules = policies.current(session)
    needed = requirements(session, quote, args["at"])
    _set_totals(quote, compute(quote, lines), changes)  # already so; a stored total is never trusted
    changes.diff["status"] = [quote.status, "awaiting_approval"]
    quote.status = "awaiting_approval"
    quote.approval_round += 1
    quote.required = [r.to_dict() for r in needed]
    quote.policy_id = policy_row.id if policy_row is not None else None
    quote.policy_version = policy_row.version if policy_row is not None else None
    quote.submitted_at, quote.decided_at = args["at"], None
    _bump(changes, quote, args["at"])
    return changes


@mutation("quote.withdraw", {"id": Field(QUOTE, "id", required=True)})
def withdraw_quote(session: Session, actor: Actor, args: dict[str, Any]) -> Changes:
    """Take a quote awaiting approval, or a rejected one, back to draft to change it. Approvals given
    so far belong to the round that ends here: the next submission needs them all again."""
    quote = get_quote(session, args["id"])
    _owned(actor, quote)
    if quote.status not in ("awaiting_approval", "rejected"):
        raise _wrong_state(quote, "撤回", "be withdrawn")
    changes = Changes("quote", quote.id, base_version=quote.version)
    changes.diff["status"] = [quote.status, "draft"]
    quote.status = "draft"
    quote.locked_rate = quote.locked_rate_date = quote.locked_rate_source = None
    quote.required = []
    _bump(changes, quote, args["at"])
    return changes


@mutation("quote.mark_sent", {"id": Field(QUOTE, "id", required=True)})
def mark_sent(session: Session, actor: Actor, args: dict[str, Any]) -> Changes:
    """Record that an approved quote went to the customer."""
    quote = get_quote(session, args["id"])
    _owned(actor, quote)
    if quote.status != "approved":
        raise _wrong_state(quote, "标记为已发送（须先获批准）", "be marked as sent (it must be approved first)")
    changes = Changes("quote", quote.id, base_version=quote.version)
    changes.diff["status"] = ["approved", "sent"]
    quote.status = "sent"
    _bump(changes, quote, args["at"])
    return changes


@mutation("approval.decide", {
    "id": Field(Label("编号", "Id"), "id", required=True),
    "quote_id": Field(QUOTE, "id", required=True),
    "quote_version": Field(Label("报价单版本", "Quote version"), "int", required=True),
    "decision": Field(Label("审批结果", "Decision"), "choice", required=True, choices=DECISIONS),
    "comment": Field(Label("审批意见", "Comment"), max_len=2000),
    "confirm_rate": CONFIRM_RATE,
}, id_fields=("id",))
def decide(session: Session, actor: Actor, args: dict[str, Any]) -> Changes:
    """Approve or reject a quote awaiting approval, as the version the approver saw.

    The approver's role must be one the round requires (:func:`in_force`: what the policy and today's
    rate require now - a rate that moved adds the finance director - and whatever fired earlier in the
    round, which stays required); never the quote's owner; once per role and round. The approval keeps
    what the round required at it, so the server's replay and every later decision see the same. A
    rejection rejects the quote; the last required approval approves it.
    """
    quote = get_quote(session, args["quote_id"], "quote_id")
    visible = can_see_customer(session, actor.user, get_customer(session, quote.customer_id, "quote_id"))
    refused = quote_decisions.person_refusal(actor.user, quote, visible=visible)
    if refused is not None:
        raise refused
    if quote.status != "awaiting_approval":
        raise _wrong_state(quote, "审批", "be approved or rejected", "quote_id")
    if args["quote_version"] != quote.version:
        raise DomainError("stale_version",
                          f"报价单在您查看后已被修改（您看到的是第 {args['quote_version']} 次修改，现在是第 {quote.version} "
                          "次），请重新查看后再审批。",
                          f"The quote changed after you looked at it (you saw change {args['quote_version']}, it is "
                          f"now at {quote.version}); review it again before deciding.", "quote_version",
                          {"seen": args["quote_version"], "current": quote.version})
    if args["decision"] == "reject" and not (args.get("comment") or "").strip():
        raise errors.missing_field("comment", Label("驳回理由", "Reason for the rejection"))
    if quote.locked_rate is not None:  # the drift is measured against the newest rate here
        today = rates.latest(session, RATE_PAIR, rates.business_date(args["at"]))
        if today is not None:
            _confirmed(today, args, "汇率偏离按此汇率计算，请确认后再审批。",
                       "the drift is measured against it; confirm it to decide.")
    this_round = round_approvals(session, quote)
    needed = in_force(session, quote, args["at"], this_round)
    by_role = approval_policy.roles(needed)
    refused = quote_decisions.role_refusal(actor.user, by_role, (a.role for a in this_round))
    if refused is not None:
        raise refused
    ensure_new(session, Approval, args["id"], Label("审批", "Approval"))
    approval = Approval(id=args["id"], quote_id=quote.id, quote_version=quote.version, round=quote.approval_round,
                        approver_id=actor.id, role=actor.role, rules=by_role[actor.role],
                        required=[r.to_dict() for r in needed], decision=args["decision"],
                        comment=args.get("comment") or "", decided_at=args["at"], created_at=args["at"], version=1)
    changes = inserted(session, "approval", approval)
    approved = {a.role for a in this_round if a.decision == "approve"}
    if args["decision"] == "approve":
        approved.add(actor.role)
    outcome = "rejected" if args["decision"] == "reject" else "approved" if approved >= by_role.keys() else None
    if outcome is not None:
        changes.diff["status"] = [quote.status, outcome]
        quote.status = outcome
        quote.required = [r.to_dict() for r in needed]
        quote.decided_at = args["at"]
        _bump(changes, quote, args["at"])
    return changes


def pending_roles(session: Session, quote: Quote, at: Any) -> dict[str, list[str]]:
    """For screens: the roles whose approval the quote still waits for now, with their rules."""
    if quote.status != "awaiting_approval":
        return {}
    by_role = approval_policy.roles(in_force(session, quote, at))
    done = set(session.scalars(select(Approval.role).where(Approval.quote_id == quote.id,
                                                           Approval.round == quote.approval_round,
                                                           Approval.decision == "approve")))
    return {role: rules for role, rules in by_role.items() if role not in done}
