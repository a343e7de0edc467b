"""Quotes as PDF files: a stored quote turned into the renderer's document, and the batch export behind
``fieldmark quotes export-pdf --data-dir DIR --out FOLDER [--status STATUS]``.

The document is filled from what is stored - the totals as desktop.quote_math computed them, the
rate locked at submission - so the PDF never disagrees with the quote. The company header comes from
``company.json`` in the data folder when there is one, else from the bundled ``resources/pdf``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

import resources
from desktop.models import (
    QUOTE_STATUSES,
    Approval,
    Contact,
    Customer,
    ExchangeRate,
    Product,
    Quote,
    QuoteLine,
    User,
)
from desktop.mutations.rates import business_date
from desktop.pdf import quote_pdf

STATUS_TEXT = {
    "draft": "草稿 Draft",
    "awaiting_approval": "待审批 Awaiting approval",
    "approved": "已批准 Approved",
    "rejected": "已驳回 Rejected",
    "sent": "已发送 Sent",
    "superseded": "已被新版本取代 Superseded",
}
FULLY_APPROVED = frozenset({"approved", "sent"})
SOURCES = {"cfets": "中国外汇交易中心 CFETS 中间价", "csv": "财务导入 CSV", "manual": "手工录入 Manual",
           "server": "服务器 Server"}


COMPANY_FIELDS = ("name", "address", "phone", "email", "tax_number", "bank", "bank_account")


@dataclass(frozen=True)
class Exported:
    quote_number: str
    revision: int
    path: Path | None  # None: not written, see ``problem``
    problem: str = ""
    unprintable: tuple[quote_pdf.Unprintable, ...] = ()  # written, but these characters print as a box


def unprintable_text(found: Iterable[quote_pdf.Unprintable], language: str = "zh") -> str:
    """What printed as a box and where, in one language: "客户名称：𬺰（U+2CEB0）；…"."""
    if language.lower().startswith("zh"):
        return "；".join(f"{item.where_zh}：{item.chars}（{item.codes()}）" for item in found)
    return "; ".join(f"{item.where_en}: {item.chars} ({item.codes()})" for item in found)


def unprintable_message(number: str, found: Iterable[quote_pdf.Unprintable], language: str = "zh") -> str:
    """The warning for a quote printed with boxes: which fields, which characters, and what to do."""
    found = list(found)
    if language.lower().startswith("zh"):
        return (f"报价单 {number} 中有字符没有字体可以打印，已印为 □：{unprintable_text(found, 'zh')}。"
                "请核对这些字段，必要时改用常用字或拼音后重新打印。")
    return (f"Quote {number} has characters no font can print; they are printed as □: "
            f"{unprintable_text(found, 'en')}. Check these fields and, if need be, use a common character "
            "or pinyin and print again.")


def company(data_dir: Path | None = None) -> quote_pdf.Company:
    """The header printed on every quote: the data folder's company.json, else the bundled one."""
    for candidate in ([data_dir / "company.json"] if data_dir else []) + [resources.path("pdf", "company.json")]:
        if candidate.is_file():
            info = json.loads(candidate.read_text(encoding="utf-8"))
            return quote_pdf.Company(**{name: str(info.get(name) or "") for name in COMPANY_FIELDS})
    return quote_pdf.Company("", "", "")


def document(session: Session, quote: Quote, header: quote_pdf.Company) -> quote_pdf.QuoteDocument:
    """The renderer's document for a stored quote."""
    customer = session.scalars(select(Customer).where(Customer.id == quote.customer_id)).one()
    contact = session.get(Contact, quote.contact_id) if quote.contact_id else None
    lines = list(session.scalars(select(QuoteLine).where(QuoteLine.quote_id == quote.id)
                                 .order_by(QuoteLine.position)))
    codes = {p.id: p.code for p in session.scalars(select(Product).where(
        Product.id.in_([line.product_id for line in lines if line.product_id])))}
    issued = business_date(quote.submitted_at or quote.created_at)  # China's date, as the quote number's
    rate = None
    if quote.locked_rate is not None and quote.locked_rate_date:
        rate = quote_pdf.ExchangeRate(quote.locked_rate, date.fromisoformat(quote.locked_rate_date),
                                      SOURCES.get(quote.locked_rate_source or "", quote.locked_rate_source or ""))
    elif quote.currency == "USD":  # not submitted yet: the latest cached rate, said to be for reference
        latest = session.scalars(select(ExchangeRate).where(ExchangeRate.pair == "USD/CNY")
                                 .order_by(ExchangeRate.rate_date.desc())).first()
        if latest is not None:
            rate = quote_pdf.ExchangeRate(latest.rate, date.fromisoformat(latest.rate_date),
                                          SOURCES.get(latest.source, latest.source), locked=False)
    status = approval_text(session, quote)
    return quote_pdf.QuoteDocument(
        company=header, quote_number=quote.number, version=quote.revision, issued=issued,
        valid_until=date.fromisoformat(quote.valid_until) if quote.valid_until else None,
        customer=quote_pdf.Customer(customer.name, contact.name if contact else "", customer.address),
        currency=quote.currency,
        lines=[quote_pdf.QuoteLine(n, codes.get(line.product_id or "", ""), line.description, line.quantity,
                                   line.unit, line.unit_price, line.discount_pct, line.net)
               for n, line in enumerate(lines, 1)],
        subtotal=quote.subtotal, discount=quote.discount_amount, vat_rate=quote.vat_pct / Decimal(100),
        vat_amount=quote.vat_amount, total=quote.total, approval_status=status,
        fully_approved=quote.status in FULLY_APPROVED, terms=quote.terms or "", exchange_rate=rate,
        status=quote.status)


ROLE_TEXT = {"finance": "财务 Finance", "finance_director": "财务总监 Finance director",
             "sales_manager": "销售经理 Sales manager", "key_account_director": "大客户总监 Key-account director"}


def approval_text(session: Session, quote: Quote) -> str:
    """Where the quote stands, and who decided it in the current round with when (China's date):
    "已批准 Approved：财务 Finance 孙敏 2026-11-28；…" - and who made it ("报价人 Prepared by 李晓东")."""
    text = STATUS_TEXT.get(quote.status, quote.status)
    decisions = list(session.scalars(select(Approval).where(
        Approval.quote_id == quote.id, Approval.round == quote.approval_round).order_by(Approval.decided_at)))
    names: dict[str, str] = {}
    if decisions:
        names = {user_id: name for user_id, name in session.execute(select(User.id, User.display_name).where(
            User.id.in_({d.approver_id for d in decisions})))}
    parts = []
    for decision in decisions:
        verb = "驳回 rejected" if decision.decision == "reject" else ""
        reason = f"「{decision.comment}」" if decision.decision == "reject" and decision.comment else ""
        parts.append(" ".join(p for p in (ROLE_TEXT.get(decision.role, decision.role),
                                           names.get(decision.approver_id, ""), verb,
                                           business_date(decision.decided_at).isoformat()) if p) + reason)
    if quote.status == "awaiting_approval":
        done = {d.role for d in decisions if d.decision == "approve"}
        # What the round required at submission and at each decision (quotes.fired: it stays required).
        fired = [*(quote.required or []), *(r for d in decisions for r in (d.required or []))]
        waiting = [ROLE_TEXT.get(r["role"], r["role"]) for r in fired if r["role"] not in done]
        if waiting:
            parts.append("待 Waiting for " + "、".join(dict.fromkeys(waiting)))
    if parts:
        text += "：" + "；".join(parts)
    owner = session.get(User, quote.owner_id)
    if owner is not None:
        text += f"。报价人 Prepared by {owner.display_name}"
    return text


def file_name(quote: Quote) -> str:
    safe = re.sub(r"[^0-9A-Za-z_.-]", "_", quote.number)
    return f"{safe}-v{quote.revision}.pdf"


def export(session: Session, out: Path, *, statuses: Iterable[str] | None = None, data_dir: Path | None = None,
           progress: Callable[[int, int], None] | None = None) -> list[Exported]:
    """Write one PDF per quote (optionally only those in ``statuses``) into ``out``; newest first."""
    wanted = list(statuses) if statuses else None
    unknown = sorted(set(wanted or ()) - set(QUOTE_STATUSES))
    if unknown:
        raise ValueError(f"unknown status {', '.join(unknown)}; one of {', '.join(QUOTE_STATUSES)}")
    query = select(Quote).order_by(Quote.number, Quote.revision)
    if wanted:
        query = query.where(Quote.status.in_(wanted))
    quotes = list(session.scalars(query))
    out.mkdir(parents=True, exist_ok=True)
    header = company(data_dir)
    done: list[Exported] = []
    for n, quote in enumerate(quotes, 1):
        path = out / file_name(quote)
        try:
            boxed = quote_pdf.render_quote(document(session, quote, header), path)
        except ValueError as exc:  # e.g. a USD draft with no rate anywhere yet: say so, go on with the rest
            done.append(Exported(quote.number, quote.revision, None, str(exc)))
            continue
        done.append(Exported(quote.number, quote.revision, path, unprintable=tuple(boxed)))
        if progress is not None:
            progress(n, len(quotes))
    return done


def main(argv: list[str]) -> int:
    """``fieldmark quotes export-pdf --data-dir DIR --out FOLDER [--status STATUS ...]``."""
    import argparse
    import sys

    from desktop.paths import database_path
    from desktop.store import open_store

    parser = argparse.ArgumentParser(prog="fieldmark quotes")
    sub = parser.add_subparsers(dest="command", required=True)
    pdf = sub.add_parser("export-pdf", help="write one PDF per quote, for batch printing")
    pdf.add_argument("--data-dir", type=Path, required=True, help="the folder holding fieldmark.db")
    pdf.add_argument("--out", type=Path, required=True, help="folder for the PDF files (made if missing)")
    pdf.add_argument("--status", action="append", choices=QUOTE_STATUSES,
                     help="only quotes in this state (repeatable)")
    args = parser.parse_args(argv)
    path = database_path(args.data_dir)
    if not path.exists():
        print(f"no Fieldmark database in {args.data_dir}", file=sys.stderr)
        return 2
    store = open_store(path)
    try:
        with store.read() as session:
            done = export(session, args.out, statuses=args.status, data_dir=args.data_dir,
                          progress=lambda n, total: print(f"  {n}/{total}", file=sys.stderr) if n % 20 == 0 else None)
    finally:
        store.close()
    written = [item for item in done if item.path is not None]
    for item in done:
        print(item.path if item.path is not None else f"{item.quote_number} v{item.revision}: not written: {item.problem}")
        if item.unprintable:
            # Written all the same: the rest of the quote is right, and the box shows where to look.
            number = f"{item.quote_number} v{item.revision}"
            print(unprintable_message(number, item.unprintable, "zh"), file=sys.stderr)
            print(unprintable_message(number, item.unprintable, "en"), file=sys.stderr)
    print(f"{len(written)} PDF file(s) written to {args.out}", file=sys.stderr)
    return 0 if len(written) == len(done) else 1
