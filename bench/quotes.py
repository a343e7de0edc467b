"""Quotes: a 200-line quote to PDF, evaluating the approval policy, and the approvals inbox over
10,000 and more pending quotes.

    python -m bench.quotes [--data-dir bench/data/quotes] [--runs 20]

Builds the data set once (kept under bench/data/, not timed): the demo organisation with 20,000
customers, then ``desktop.demo``'s quotes - 60,000 of them in every state, a fifth awaiting approval
- written in bulk as the demo writes them, and one 200-line USD quote made through the mutations as
a rep makes it (create, 200 lines, submit).

Then measures, each over ``--runs`` runs after one untimed run:
- **PDF**: the stored 200-line quote read and rendered (desktop.quote_export.document +
  desktop.pdf.quote_pdf.render_quote) into memory; the baseline, in the same run, is reportlab
  alone laying out the same 200 rows as a plain ``Table`` of ``Paragraph``s with the same embedded
  font and a repeated header row (what any quote PDF must at least do).
- **Policy**: ``approval_policy.required`` on a quote's facts (the pure evaluation), and
  ``quotes.requirements`` on the stored 200-line quote (reading the policy, today's rate and the
  lines, then evaluating) in a new session as the database thread does.
- **Inbox**: as the demo's finance user, ``load_inbox`` (which quotes, their reasons, names, drift
  and rate staleness) in a new session, then the page showing them (offscreen Qt, the table filled
  and laid out); the baseline is reading the pending quotes' rows alone.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import time
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench.visit_review import pct, timed  # the same timing helpers
from desktop import approval_policy, mutations, timeutil
from desktop.demo.generator import generate
from desktop.demo.quotes import add_quotes
from desktop.models import Customer, Quote, User
from desktop.mutations import quotes as quote_core
from desktop.paths import database_path
from desktop.pdf import quote_pdf
from desktop.quote_export import company, document
from desktop.store import open_store

CUSTOMERS = 20_000
QUOTES = 60_000
LINES = 200


# ---------------------------------------------------------------------------------------------- build


def build(path: Path, now: datetime, seed: int = 2026) -> dict[str, Any]:
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    started = time.perf_counter()
    store = open_store(partial, build=True)
    generate(store, customers=CUSTOMERS, touchpoints=1, seed=seed, now=now, parallel=False)
    made = add_quotes(store, quotes=QUOTES, seed=seed, now=now)
    store.close()
    store = open_store(partial)  # back to WAL, as the app opens it
    big = _big_quote(store)
    store.close()
    os.replace(partial, path)
    meta = {"now": timeutil.to_text(now), "build_seconds": round(time.perf_counter() - started, 1),
            "quotes_by_state": made.by_state, "big_quote": big}
    path.with_name("meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False))
    return meta


def _big_quote(store: Any) -> str:
    """A 200-line USD quote by a rep, through the mutations: create, the lines, submit."""
    with store.read() as session:
        customer_id, owner_id = session.execute(
            select(Customer.id, Customer.owner_id).join(User, User.id == Customer.owner_id)
            .where(User.role == "field_rep").order_by(Customer.rid)).first()
    quote_id = mutations.run(store, owner_id, "quote.create", {
        "customer_id": customer_id, "currency": "USD", "discount_pct": "3",
        "terms": "付款方式：预付 30%，发货前付清余款。交货期：合同生效后 45 天。质保：一年。"}).changes.entity_id
    calls = [("quote.line_set", {"quote_id": quote_id, "description": f"数控车床配件 第 {n} 项（含安装调试与培训）",
                                 "quantity": str(n % 7 + 1), "unit_price": f"{1280 + n * 9.25:.2f}",
                                 "discount_pct": "5" if n % 3 == 0 else "0"}) for n in range(1, LINES + 1)]
    mutations.run_many(store, owner_id, calls)
    mutations.run(store, owner_id, "quote.submit", {"id": quote_id})
    return quote_id


# ---------------------------------------------------------------------------------------------- measure


def _baseline_table(doc: quote_pdf.QuoteDocument) -> bytes:
    """reportlab alone: the same rows in a plain table - the descriptions as paragraphs (they wrap),
    the rest as strings - in the same embedded font and column widths, the header row repeated."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table

    font = quote_pdf.register_font()
    style = ParagraphStyle("cell", fontName=font, fontSize=8, leading=10, wordWrap="CJK")
    rows: list[list[Any]] = [list(quote_pdf.LINE_HEADERS)]
    for line in doc.lines:  # the description wraps (a paragraph); the other cells are plain strings
        rows.append([str(line.no), line.product_code, Paragraph(line.description, style), str(line.quantity),
                     line.unit, str(line.unit_price), str(line.discount_pct), str(line.net)])
    table = Table(rows, colWidths=[w * mm for w in (
        10, 24, 56, 16, 12, 24, 14, 24)], repeatRows=1)
    table.setStyle([("FONT", (0, 0), (-1, -1), font, 8)])
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4).build([table])
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.quotes")
    parser.add_argument("--data-dir", type=Path, default=Path("bench/data/quotes"))
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args(argv)
    path = database_path(args.data_dir)
    if not path.exists():
        print(f"building {path} (once) ...")
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = build(path, timeutil.utcnow().replace(microsecond=0))
    else:
        meta = json.loads(path.with_name("meta.json").read_text())
    print("data set:", json.dumps(meta, ensure_ascii=False))
    now = timeutil.utcnow()
    store = open_store(path)
    figures: dict[str, dict[str, float]] = {}

    def report(key: str, times: list[float], note: str = "") -> None:
        figures[key] = {"median_ms": statistics.median(times), "p95_ms": pct(times, 95), "max_ms": max(times)}
        print(f"  {key:<58} {statistics.median(times):9.3f} ms median {pct(times, 95):9.3f} ms p95  {note}")

    def fresh(fn: Callable[[Any], Any]) -> Callable[[], Any]:
        def call() -> Any:
            with store.read() as session:
                return fn(session)
        return call

    # ---- PDF
    header = company()
    with store.read() as session:
        big = session.get(Quote, meta["big_quote"])
        doc = document(session, big, header)
    times, data = timed(lambda: _baseline_table(doc), args.runs)
    report("baseline: reportlab alone, 200-row table", times, f"{len(data):,} bytes")

    def to_pdf(session: Any) -> bytes:
        buffer = io.BytesIO()
        quote_pdf.render_quote(document(session, session.get(Quote, meta["big_quote"]), header), buffer)
        return buffer.getvalue()

    times, data = timed(fresh(to_pdf), args.runs)
    report("200-line quote to PDF (read + render)", times, f"{len(data):,} bytes, {data.count(b'/Type /Page') - 1} pages")
    times, _ = timed(lambda: quote_pdf.render_quote(doc, io.BytesIO()), args.runs)
    report("  of which the rendering alone", times)

    # ---- policy
    rules = approval_policy.parse(approval_policy.DEFAULT_RULES)
    facts = approval_policy.Facts("USD", Decimal("812345.67"), Decimal("16.5"), Decimal("7.1186"))
    times, needed = timed(lambda: [approval_policy.required(rules, facts, Decimal("7.2000")) for _ in range(1000)],
                          args.runs)
    report("policy evaluation (x1000)", times, f"{len(needed[0])} requirements; per quote: "
                                              f"{statistics.median(times):.3f} µs")
    figures["policy evaluation (x1000)"]["per_quote_us"] = statistics.median(times)
    times, needed = timed(fresh(lambda s: quote_core.requirements(s, s.get(Quote, meta["big_quote"]), now)),
                          args.runs * 5)
    report("requirements of the stored 200-line quote (reads + evaluation)", times, f"{len(needed)} requirements")

    # ---- inbox
    with store.read() as session:
        deciders = [session.scalars(select(User).where(User.role == role).order_by(User.username)).first()
                    for role in ("finance", "finance_director")]
        pending_total = session.scalar(select(func.count()).select_from(Quote)
                                       .where(Quote.status == "awaiting_approval"))
    times, rows = timed(fresh(lambda s: s.execute(select(Quote).where(Quote.status == "awaiting_approval")).all()),
                        args.runs)
    report("baseline: the pending quotes as ORM objects", times, f"{len(rows):,} rows")
    listing = ("SELECT id, version, number, customer_id, owner_id, currency, total, gross_amount, net_amount, "
               "locked_rate FROM quotes WHERE status = 'awaiting_approval' ORDER BY submitted_at, number")
    times, rows = timed(fresh(lambda s: s.connection().exec_driver_sql(listing).fetchall()), args.runs)
    report("baseline: the pending quotes' columns, plain SQL", times, f"{len(rows):,} rows")

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from ui.pages.approvals_page import ApprovalsPage, load_inbox

    app = QApplication.instance() or QApplication([])
    from ui.startup import freeze_long_lived_objects

    freeze_long_lived_objects()  # as the app does once its window stands
    for user in deciders:
        times, inbox = timed(lambda u=user: load_inbox(store, u.id, now), args.runs)
        report(f"inbox: load_inbox as {user.role}", times,
               f"{len(inbox.items):,} of {pending_total:,} pending quotes")
        page = _page(store, user, ApprovalsPage)
        page.resize(1400, 900)
        page.show()

        def show(p: Any = page, u: User = user) -> None:
            p.inbox = load_inbox(store, u.id, now)
            p.items = p.inbox.items
            p._show_list()  # noqa: SLF001 (what the page does when the list arrives)
            app.processEvents()

        times, _ = timed(show, args.runs)
        report(f"inbox opening as {user.role}: load_inbox + the table shown", times, f"{len(page.items):,} rows")
        figures[f"inbox opening as {user.role}: load_inbox + the table shown"]["rows"] = len(page.items)
        page.close()
    out = args.data_dir / "figures.json"
    out.write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    print("figures written to", out)
    return 0


def _page(store: Any, user: User, page_class: Any) -> Any:
    """The page on a real AppContext signed in as ``user``."""
    from ui.context import AppContext

    context = AppContext(store, "zh_CN")
    context.set_user(user)
    return page_class(context)


if __name__ == "__main__":
    raise SystemExit(main())
