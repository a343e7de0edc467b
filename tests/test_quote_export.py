"""Stored quotes as PDF files: the document filled from what is stored, and the batch export command."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

from pypdf import PdfReader
from sqlalchemy import select

from desktop import quote_export, timeutil
from desktop.models import Quote
from desktop.mutations import rates
from tests.conftest import make_customer, run

TODAY = rates.business_date(timeutil.utcnow())
NAME = "苏州恒通精密机械有限公司"


def make_quotes(store, org) -> tuple[str, str]:
    """A CNY draft and a USD quote approved by finance."""
    rep = org["rep"]
    customer = make_customer(store, rep, NAME)
    draft = run(store, rep, "quote.create", customer_id=customer).changes.entity_id
    run(store, rep, "quote.line_set", quote_id=draft, description="数控车床 CK6150", quantity="2",
        unit_price="158000.00")
    run(store, org["finance"], "rate.record", pair="USD/CNY", rate="7.1186", rate_date=TODAY.isoformat(),
        source="cfets")
    usd = run(store, rep, "quote.create", customer_id=customer, currency="USD").changes.entity_id
    run(store, rep, "quote.line_set", quote_id=usd, description="Spindle assembly 主轴总成", quantity="3",
        unit_price="1250.00")
    run(store, rep, "quote.submit", id=usd)
    with store.read() as s:
        version = s.scalars(select(Quote.version).where(Quote.id == usd)).one()
    run(store, org["finance"], "approval.decide", quote_id=usd, quote_version=version, decision="approve",
        comment="同意")
    return draft, usd


def text(path) -> list[str]:
    return [page.extract_text() for page in PdfReader(str(path)).pages]


def test_each_quote_becomes_a_pdf_with_its_stored_figures(store, org, tmp_path):
    draft, usd = make_quotes(store, org)
    with store.read() as s:
        done = quote_export.export(s, tmp_path / "out")
        quotes = {q.id: q for q in s.scalars(select(Quote))}
    assert len(done) == 2 and all(item.path.is_file() for item in done)
    by_number = {item.quote_number: item.path for item in done}
    draft_pages = text(by_number[quotes[draft].number])
    usd_pages = text(by_number[quotes[usd].number])
    assert NAME in draft_pages[0] and "316,000.00" in "".join(draft_pages)
    assert "叁拾伍万柒仟零捌拾元整" in "".join(draft_pages)  # 316,000.00 + 13% VAT = 357,080.00
    assert all("DRAFT" in page for page in draft_pages)  # not approved: watermarked
    assert not any("DRAFT" in page for page in usd_pages)  # approved: clean
    assert "7.1186" in usd_pages[0] and TODAY.isoformat() in usd_pages[0]
    assert quotes[usd].total == Decimal("4237.50")


def test_the_command_exports_by_status(store, org, tmp_path):
    make_quotes(store, org)
    folder = store.path.parent
    store.close()
    out = tmp_path / "print"
    done = subprocess.run([sys.executable, "-m", "ui.app", "quotes", "export-pdf", "--data-dir", str(folder),
                           "--out", str(out), "--status", "approved"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    files = sorted(p.name for p in out.glob("*.pdf"))
    assert len(files) == 1 and files[0].endswith("-v1.pdf")
    assert "1 PDF file(s) written" in done.stderr
    refused = subprocess.run([sys.executable, "-m", "ui.app", "quotes", "export-pdf", "--data-dir",
                              str(tmp_path / "nowhere"), "--out", str(out)], capture_output=True, text=True,
                             timeout=60)
    assert refused.returncode == 2 and "no Fieldmark database" in refused.stderr


def test_a_usd_draft_prints_the_latest_rate_for_reference(store, org, tmp_path):
    rep = org["rep"]
    customer = make_customer(store, rep, NAME)
    run(store, org["finance"], "rate.record", pair="USD/CNY", rate="7.1210", rate_date=TODAY.isoformat(),
        source="cfets")
    draft = run(store, rep, "quote.create", customer_id=customer, currency="USD").changes.entity_id
    run(store, rep, "quote.line_set", quote_id=draft, description="Spindle 主轴", quantity="1", unit_price="900.00")
    with store.read() as s:
        [item] = quote_export.export(s, tmp_path / "out")
    page = text(item.path)[0]
    assert "7.1210" in page and "参考汇率" in page and "锁定汇率" not in page and "DRAFT" in page


def test_the_command_says_which_quote_and_field_printed_a_box(store, org, tmp_path):
    rep = org["rep"]
    customer = make_customer(store, rep, "𠀀𪚥测试有限公司")  # Extension B: printed from the fallback font
    q = run(store, rep, "quote.create", customer_id=customer).changes.entity_id
    run(store, rep, "quote.line_set", quote_id=q, description="礼品 \U0003134A 套装", unit="件", quantity="1",
        unit_price="0.0125")  # U+3134A (Extension G) is in no bundled font
    folder = store.path.parent
    store.close()
    out = tmp_path / "print"
    done = subprocess.run([sys.executable, "-m", "ui.app", "quotes", "export-pdf", "--data-dir", str(folder),
                           "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr  # written all the same, with the box where the character was
    assert "第 1 行描述：\U0003134A（U+3134A）" in done.stderr and "印为 □" in done.stderr
    assert "line 1 description: \U0003134A (U+3134A)" in done.stderr
    assert "客户名称" not in done.stderr  # the Extension B name printed: nothing to report about it
    pages = text(next(out.glob("*.pdf")))
    assert "𠀀𪚥测试有限公司" in pages[0] and "礼品 □ 套装" in pages[0] and "0.0125" in pages[0]
    assert "件" in pages[0]
