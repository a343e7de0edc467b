"""The quote PDF, read back with pypdf: Chinese text, totals in words, pagination, watermark, font."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader

from desktop.pdf import (
    Company,
    Customer,
    ExchangeRate,
    QuoteDocument,
    QuoteLine,
    capital_amount,
    render_quote,
    usd_words,
)
from desktop.pdf.quote_pdf import FONT_NAME, LINE_HEADERS, WATERMARK_TEXT

CUSTOMER = "苏州恒通精密机械有限公司"
TERMS = ("1. 报价有效期三十天，以双方签字盖章的合同为准。\n"
         "2. 付款方式：合同签订后预付30%，发货前付清余款。\n"
         "3. 交货期：收到预付款后四周内发货，运费由供方承担。")
DESCRIPTIONS = [
    "数控车床主轴组件（含轴承、密封件及安装调试服务），适用于CK6150系列，质保十二个月",
    "液压站 Hydraulic power unit 7.5kW",
    "导轨防护罩",
    "Spare parts kit for annual maintenance, including filters, belts and seals",
]


def make_quote(n_lines: int = 5, *, currency: str = "CNY", approved: bool = False) -> QuoteDocument:
    """A quote whose figures add up: lines at 5 % discount on every third one, 8 % overall, 13 % VAT."""
    lines = []
    for i in range(1, n_lines + 1):
        quantity = Decimal(i % 7 + 1)
        price = Decimal("1280.00") + Decimal(i * 37) / 4
        discount = Decimal("5") if i % 3 == 0 else Decimal("0")
        net = (quantity * price * (100 - discount) / 100).quantize(Decimal("0.01"))
        lines.append(QuoteLine(no=i, product_code=f"HT-{1000 + i}", description=DESCRIPTIONS[i % len(DESCRIPTIONS)],
                               quantity=quantity, unit="台" if i % 2 else "套", unit_price=price,
                               discount_pct=discount, net=net))
    subtotal = sum((line.net for line in lines), Decimal("0"))
    discount = (subtotal * Decimal("0.08")).quantize(Decimal("0.01"))
    vat_rate = Decimal("0.13")
    vat = ((subtotal - discount) * vat_rate).quantize(Decimal("0.01"))
    total = subtotal - discount + vat
    rate = ExchangeRate(Decimal("7.1186"), date(2026, 11, 20), "中国外汇交易中心 CFETS 中间价") if currency == "USD" else None
    return QuoteDocument(
        company=Company("上海菲尔德工业设备有限公司", "上海市闵行区申长路 988 号 3 号楼", "021-6408 8800"),
        quote_number="Q-2026-0042", version=3, issued=date(2026, 11, 27), valid_until=date(2026, 12, 27),
        customer=Customer(CUSTOMER, "王建国 13812345678", "江苏省苏州市工业园区星湖街 328 号"),
        currency=currency, lines=lines, subtotal=subtotal, discount=discount, vat_rate=vat_rate,
        vat_amount=vat, total=total, terms=TERMS, exchange_rate=rate,
        approval_status="已审批：财务 孙敏 2026-11-26；财务总监 徐静 2026-11-27" if approved
        else "待审批：等待财务总监审批（折扣超过 5%）",
        fully_approved=approved,
    )


def _pages(data: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]


def _render(doc: QuoteDocument) -> bytes:
    buffer = io.BytesIO()
    render_quote(doc, buffer)
    return buffer.getvalue()


def _flat(text: str) -> str:
    """Extracted text without whitespace: extraction may split or join runs at its own discretion."""
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def cny_draft() -> tuple[QuoteDocument, bytes]:
    doc = make_quote(6)
    return doc, _render(doc)


def test_chinese_customer_totals_and_capital_amount_are_extractable(cny_draft):
    doc, data = cny_draft
    text = _flat("".join(_pages(data)))
    assert CUSTOMER in text
    assert _flat(doc.company.name) in text
    for amount in (doc.subtotal, doc.vat_amount, doc.total):
        assert f"{amount:,.2f}" in text
    assert "人民币" + capital_amount(doc.total) in text
    assert "报价有效期三十天" in text and "预付30%" in text
    assert "Q-2026-0042" in text


def test_writes_to_a_path_too(tmp_path: Path):
    out = tmp_path / "quote.pdf"
    render_quote(make_quote(2, approved=True), out)
    assert out.read_bytes().startswith(b"%PDF")
    assert len(PdfReader(out).pages) == 1


def test_300_lines_paginate_with_the_header_on_every_page():
    doc = make_quote(300)
    pages = _pages(_render(doc))
    # Roughly 25–45 rows fit a page, depending on how many descriptions wrap.
    assert 6 <= len(pages) <= 16, len(pages)
    table_pages = [number for number, text in enumerate(pages, start=1) if "HT-" in text]
    # The table runs from the first page without a gap; only terms may follow it on a page of their own.
    assert table_pages == list(range(1, len(table_pages) + 1))
    assert len(table_pages) >= len(pages) - 1
    for number, text in enumerate(pages, start=1):
        flat = _flat(text)
        if number in table_pages:
            for label in LINE_HEADERS:
                assert _flat(label) in flat, (number, label)
        assert f"第{number}页/共{len(pages)}页" in flat
    everything = _flat("".join(pages))
    # Every line made it, and the totals come after the last one.
    for i in (1, 150, 300):
        assert f"HT-{1000 + i}" in everything
    assert everything.index("HT-1300") < everything.index(f"{doc.total:,.2f}")


def test_draft_watermark_on_every_page_and_none_when_approved():
    draft = _pages(_render(make_quote(120)))
    assert len(draft) > 1
    assert all(_flat(WATERMARK_TEXT) in _flat(text) for text in draft)
    approved = _pages(_render(make_quote(120, approved=True)))
    assert len(approved) == len(draft)
    assert not any("DRAFT" in text or "草稿" in text for text in approved)


def test_the_cjk_font_is_embedded(cny_draft):
    _, data = cny_draft
    reader = PdfReader(io.BytesIO(data))
    embedded, not_embedded = [], []
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            if descriptor is not None:
                descriptor = descriptor.get_object()
                if any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                    embedded.append(str(font["/BaseFont"]))
                    continue
            not_embedded.append(str(font["/BaseFont"]))
    assert embedded, "no embedded font"
    assert not_embedded == []
    assert all(FONT_NAME in name for name in embedded)


def test_usd_quote_shows_the_locked_rate_and_english_words():
    doc = make_quote(4, currency="USD", approved=True)
    text = _flat("".join(_pages(_render(doc))))
    assert "1USD=7.1186CNY" in text
    assert "2026-11-20" in text
    assert "中国外汇交易中心CFETS中间价" in text
    assert _flat(usd_words(doc.total)) in text
    assert "人民币" not in text
    assert f"US${doc.total:,.2f}" in text


def test_usd_quote_without_a_rate_or_an_unknown_currency_is_refused():
    doc = make_quote(1, currency="USD")
    with pytest.raises(ValueError, match="exchange rate"):
        _render(QuoteDocument(**{**doc.__dict__, "exchange_rate": None}))
    with pytest.raises(ValueError, match="currency"):
        _render(QuoteDocument(**{**doc.__dict__, "currency": "EUR"}))


def test_markup_characters_in_user_text_are_printed_as_typed():
    doc = make_quote(1)
    line = doc.lines[0]
    odd = QuoteLine(**{**line.__dict__, "description": "A&B <型号> 5\" 管"})
    text = _flat("".join(_pages(_render(QuoteDocument(**{**doc.__dict__, "lines": [odd]})))))
    assert _flat('A&B <型号> 5" 管') in text


def test_a_description_longer_than_a_page_continues_on_the_next():
    doc = make_quote(3)
    long_line = QuoteLine(**{**doc.lines[1].__dict__, "description": "甲乙丙丁戊己庚，" * 900 + "完"})
    pages = _pages(_render(QuoteDocument(**{**doc.__dict__, "lines": [doc.lines[0], long_line, doc.lines[2]]})))
    assert len(pages) >= 3
    text = _flat("".join(pages))
    # Nothing lost where the description was cut (extraction may split words at a cut, so count glyphs).
    assert text.count("甲") == text.count("庚") == 900 and "庚，完" in text
    assert text.index("HT-1002") < text.index("HT-1003")
    for page in pages:
        if "甲" in page:
            assert all(_flat(label) in _flat(page) for label in LINE_HEADERS)


def test_an_empty_quote_still_renders():
    doc = make_quote(1)
    text = _flat("".join(_pages(_render(QuoteDocument(**{**doc.__dict__, "lines": []})))))
    assert _flat(LINE_HEADERS[2]) in text and CUSTOMER in text
