"""The quote PDF: A4, Chinese text in the bundled WenQuanYi Micro Hei with fallback fonts for the
characters it lacks (desktop.pdf.fonts), a lines table whose header repeats on every page, totals in
figures and in words, "第 x 页 / 共 N 页", a seal and signature block, and a mark across every page
until the quote is fully approved (DRAFT, or 已作废 / 已驳回 for a superseded or rejected one).

The renderer only lays out what it is given: every figure (line nets, subtotal, VAT, total) comes
computed from the quote, so the PDF can never disagree with what was approved.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from desktop.fx.rates import rate_text
from desktop.pdf import fonts
from desktop.pdf.capital import capital_amount, usd_words
from desktop.pdf.fonts import FONT_NAME

__all__ = ["Company", "Customer", "ExchangeRate", "QuoteDocument", "QuoteLine", "Unprintable", "render_quote",
           "unprintable", "FONT_NAME", "WATERMARK_TEXT", "VOID_TEXT", "REJECTED_TEXT", "LINE_HEADERS",
           "COLUMN_WIDTHS"]

WATERMARK_TEXT = "DRAFT 草稿"
VOID_TEXT = "已作废 VOID"
REJECTED_TEXT = "已驳回 REJECTED"
CURRENCIES = ("CNY", "USD")
_SYMBOL = {"CNY": "¥", "USD": "US$"}

# Bilingual column labels; tests look for them on every page.
LINE_HEADERS = ("序号\nNo.", "产品编码\nCode", "描述\nDescription", "数量\nQty", "单位\nUnit",
                "单价\nUnit price", "折扣\nDisc. %", "金额\nNet")
# = 180 mm. The figure columns are as wide as the largest figure validation allows (quantity
# 10,000,000; unit price 999,999,999.9999; amount 999,999,999,999.99) at the cells' 8 pt, plus padding.
COLUMN_WIDTHS = [8 * mm, 22 * mm, 56 * mm, 20 * mm, 10 * mm, 25 * mm, 12 * mm, 27 * mm]
_MARGIN = 15 * mm
_GRID = colors.HexColor("#9aa3ad")
_HEADER_FILL = colors.HexColor("#e4e9ef")


@dataclass(frozen=True)
class Company:
    """The seller, as its header prints: contact details, tax number (纳税人识别号) and bank account."""

    name: str
    address: str
    phone: str
    email: str = ""
    tax_number: str = ""
    bank: str = ""
    bank_account: str = ""


@dataclass(frozen=True)
class Customer:
    name: str
    contact: str
    address: str


@dataclass(frozen=True)
class ExchangeRate:
    """The rate locked on a USD quote: ``rate`` CNY for one USD, as published on ``rate_date``."""

    rate: Decimal
    rate_date: date
    source: str
    locked: bool = True  # False on a quote not yet submitted: the latest rate, shown for reference


@dataclass(frozen=True)
class QuoteLine:
    no: int
    product_code: str
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    discount_pct: Decimal
    net: Decimal


@dataclass(frozen=True)
class QuoteDocument:
    """Everything printed on a quote, already computed; amounts are in the quote's currency."""

    company: Company
    quote_number: str
    version: int
    issued: date
    valid_until: date | None  # None: no validity date was set, and none is printed
    customer: Customer
    currency: str
    lines: Sequence[QuoteLine]
    subtotal: Decimal
    discount: Decimal  # the overall discount as an amount, subtracted from the subtotal
    vat_rate: Decimal  # a fraction: Decimal("0.13") is 13 %
    vat_amount: Decimal
    total: Decimal
    approval_status: str
    fully_approved: bool
    terms: str = ""
    exchange_rate: ExchangeRate | None = None
    title: str = field(default="报价单 QUOTATION")
    status: str = ""  # the quote's state; superseded and rejected quotes are marked as such

    @property
    def mark(self) -> str:
        """The text across every page: none once fully approved."""
        if self.status == "superseded":
            return VOID_TEXT
        if self.status == "rejected":
            return REJECTED_TEXT
        return "" if self.fully_approved else WATERMARK_TEXT


@dataclass(frozen=True)
class Unprintable:
    """Characters no bundled font can draw (printed as a box), and where on the quote they are."""

    where_zh: str
    where_en: str
    chars: str

    def codes(self) -> str:
        return " ".join(f"U+{ord(c):04X}" for c in self.chars)


def register_font() -> str:
    """Register the main font with reportlab once (the fallbacks follow when a text needs them)."""
    fonts.register_fonts(main_only=True)
    return FONT_NAME


def unprintable(doc: QuoteDocument) -> list[Unprintable]:
    """Every field of the quote holding a character that prints as a box, with where it is."""
    fields: list[tuple[str, str, str]] = [
        ("公司名称", "company name", doc.company.name), ("公司地址", "company address", doc.company.address),
        ("公司电话", "company phone", doc.company.phone), ("开户行", "bank", doc.company.bank),
        ("客户名称", "customer name", doc.customer.name), ("联系人", "contact", doc.customer.contact),
        ("客户地址", "customer address", doc.customer.address), ("条款", "terms", doc.terms),
        ("审批状态", "approval status", doc.approval_status),
    ]
    for line in doc.lines:
        fields += [(f"第 {line.no} 行产品编码", f"line {line.no} product code", line.product_code),
                   (f"第 {line.no} 行描述", f"line {line.no} description", line.description),
                   (f"第 {line.no} 行单位", f"line {line.no} unit", line.unit)]
    found = []
    for zh, en, text in fields:
        chars = fonts.unprintable(text)
        if chars:
            found.append(Unprintable(zh, en, chars))
    return found


# ---- Formatting

def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def _price(price: Decimal) -> str:
    """A unit price with the decimals it was entered with, at least two: 0.0125 stays 0.0125."""
    exponent = price.normalize().as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    return f"{price:,.{places}f}"


def _quantity(quantity: Decimal) -> str:
    # 12.500 prints as 12.5, 3.000 as 3; never scientific notation.
    text = f"{quantity:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _percent(fraction_or_pct: Decimal) -> str:
    return _quantity(fraction_or_pct) + "%"


def _text(value: str) -> str:
    """User text made safe for Paragraph markup, line breaks kept, rare characters in a fallback font."""
    return fonts.markup(value)


def _short(value: str, style: ParagraphStyle, width: float) -> Any:
    """A short cell: a plain string when it fits ``width`` in the main font (much faster to lay out),
    else a Paragraph, which can switch fonts mid-text and wrap a long unit."""
    if not fonts.needs_fallback(value) and fonts.string_width(value, style.fontSize) <= width - 6:
        return value
    return Paragraph(_text(value), style)


# ---- Page decoration

class _NumberedCanvas(Canvas):
    """Holds every page back until the end so each can say how many pages there are."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Without this the canvas starts every page in Helvetica, a font the PDF would name but not embed.
        kwargs["initialFontName"] = kwargs.get("initialFontName") or FONT_NAME
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 - reportlab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont(FONT_NAME, 8)
            self.setFillColor(colors.HexColor("#555555"))
            self.drawCentredString(A4[0] / 2, 9 * mm, f"第 {self._pageNumber} 页 / 共 {total} 页")
            super().showPage()
        super().save()


def _page_decorator(doc: QuoteDocument) -> Callable[[Canvas, Any], None]:
    def draw(canvas: Canvas, _template: Any) -> None:
        width, height = A4
        canvas.saveState()
        mark = doc.mark
        if mark:
            # Drawn first, so the table and text print over it; a void or rejected quote in red.
            grey = mark == WATERMARK_TEXT
            canvas.setFillColor(colors.Color(0.6, 0.6, 0.6, alpha=0.25) if grey
                                else colors.Color(0.8, 0.1, 0.1, alpha=0.22))
            canvas.setFont(FONT_NAME, 72)
            canvas.translate(width / 2, height / 2)
            canvas.rotate(45)
            canvas.drawCentredString(0, -24, mark)
            canvas.rotate(-45)
            canvas.translate(-width / 2, -height / 2)
        canvas.setFillColor(colors.HexColor("#555555"))
        fonts.draw_string(canvas, _MARGIN, height - 10 * mm, doc.company.name, 8)
        canvas.setFont(FONT_NAME, 8)
        canvas.drawRightString(width - _MARGIN, height - 10 * mm,
                               f"{doc.quote_number}  V{doc.version}")
        canvas.setStrokeColor(_GRID)
        canvas.setLineWidth(0.5)
        canvas.line(_MARGIN, height - 11.5 * mm, width - _MARGIN, height - 11.5 * mm)
        canvas.restoreState()

    return draw


# ---- The story

def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT_NAME, fontSize=9, leading=12, wordWrap="CJK")
    return {
        "base": base,
        "company": ParagraphStyle("company", base, fontSize=15, leading=19),
        "small": ParagraphStyle("small", base, fontSize=8, leading=10.5, textColor=colors.HexColor("#444444")),
        "title": ParagraphStyle("title", base, fontSize=17, leading=22, alignment=TA_CENTER, spaceBefore=4,
                                spaceAfter=6),
        "cell": ParagraphStyle("cell", base, fontSize=8, leading=10),
        "cell_right": ParagraphStyle("cell_right", base, fontSize=8, leading=10, alignment=TA_RIGHT),
        "cell_center": ParagraphStyle("cell_center", base, fontSize=8, leading=10, alignment=TA_CENTER),
        "head": ParagraphStyle("head", base, fontSize=8, leading=10, alignment=TA_CENTER),
        "right": ParagraphStyle("right", base, alignment=TA_RIGHT),
        "left": ParagraphStyle("left", base, alignment=TA_LEFT),
        "heading": ParagraphStyle("heading", base, fontSize=10, leading=14, spaceBefore=8, spaceAfter=2,
                                  keepWithNext=1),
    }


def _header(doc: QuoteDocument, s: dict[str, ParagraphStyle]) -> list[Any]:
    seller = doc.company
    contact = [(label, value) for label, value in (("地址 Address", seller.address), ("电话 Tel", seller.phone),
                                                    ("邮箱 E-mail", seller.email)) if value]
    account = " ".join(v for v in (seller.bank, seller.bank_account) if v)
    fiscal = [(label, value) for label, value in (("纳税人识别号 Tax No.", seller.tax_number),
                                                   ("开户行及账号 Bank account", account)) if value]
    company: list[Any] = [Paragraph(_text(seller.name), s["company"])]
    for group in (contact, fiscal):
        if group:
            company.append(Paragraph("　".join(f"{_text(label)}: {_text(value)}" for label, value in group),
                                     s["small"]))
    company.append(Paragraph(_text(doc.title), s["title"]))
    left = [
        ["客户 Customer", doc.customer.name],
        ["联系人 Contact", doc.customer.contact],
        ["地址 Address", doc.customer.address],
    ]
    right = [
        ["报价单号 Quote No.", f"{doc.quote_number}  (V{doc.version})"],
        ["报价日期 Issued", doc.issued.isoformat()],
        ["有效期至 Valid until", doc.valid_until.isoformat() if doc.valid_until else ""],
        ["币种 Currency", doc.currency],
    ]
    rows = []
    for i in range(max(len(left), len(right))):
        row = []
        for pairs in (left, right):
            label, value = pairs[i] if i < len(pairs) else ("", "")
            row += [Paragraph(_text(label), s["small"]), Paragraph(_text(value), s["cell"])]
        rows.append(row)
    info = Table(rows, colWidths=[24 * mm, 66 * mm, 32 * mm, 58 * mm])
    info.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), FONT_NAME, 8),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BOX", (0, 0), (-1, -1), 0.5, _GRID),
        ("LINEAFTER", (1, 0), (1, -1), 0.5, _GRID),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]))
    return company + [info, Spacer(1, 5 * mm)]


_CHUNK_CHARS = 600
_CHUNK_LINES = 24


def _description_chunks(text: str) -> list[str]:
    """A description cut into pieces that each fit well within a page.

    A table row cannot break across pages (splitting every row would also split ordinary three-line
    descriptions), so a very long description continues in rows of its own instead.
    """
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for raw in text.splitlines() or [""]:
        pieces = [raw[i:i + _CHUNK_CHARS] for i in range(0, len(raw), _CHUNK_CHARS)] or [""]
        for piece in pieces:
            if current and (size + len(piece) > _CHUNK_CHARS or len(current) >= _CHUNK_LINES):
                chunks.append("\n".join(current))
                current, size = [], 0
            current.append(piece)
            size += len(piece)
    chunks.append("\n".join(current))
    return chunks


def _lines_table(doc: QuoteDocument, s: dict[str, ParagraphStyle]) -> Table:
    head = [Paragraph(_text(label), s["head"]) for label in LINE_HEADERS]
    rows: list[list[Any]] = [head]
    continued: list[tuple[Any, ...]] = []
    for line in doc.lines:
        first, *rest = _description_chunks(line.description)
        # Only the code and the description may wrap; the short cells are plain strings, which
        # reportlab draws without laying out a paragraph each (most of a long quote's time).
        rows.append([
            str(line.no),
            Paragraph(_text(line.product_code), s["cell"]),
            Paragraph(_text(first), s["cell"]),
            _quantity(line.quantity),
            _short(line.unit, s["cell_center"], COLUMN_WIDTHS[4]),
            _price(line.unit_price),
            _percent(line.discount_pct) if line.discount_pct else "–",
            _money(line.net),
        ])
        for chunk in rest:
            rows.append(["", "", Paragraph(_text(chunk), s["cell"]), "", "", "", "", ""])
            # No rule between a line and its continuation: it reads as one cell across rows.
            continued.append(("LINEABOVE", (0, len(rows) - 1), (-1, len(rows) - 1), 0.6, colors.white))
    table = Table(rows, colWidths=COLUMN_WIDTHS, repeatRows=1)
    table.setStyle(TableStyle([
        # Cells hold Paragraphs, but a table still sets its cell font (Helvetica by default) once.
        ("FONT", (0, 0), (-1, -1), FONT_NAME, 8),
        ("BACKGROUND", (0, 0), (-1, 0), _HEADER_FILL),
        ("GRID", (0, 0), (-1, -1), 0.4, _GRID),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("VALIGN", (0, 1), (-1, -1), "TOP"),
        ("ALIGN", (0, 1), (0, -1), "CENTER"),
        ("ALIGN", (4, 1), (4, -1), "CENTER"),
        ("ALIGN", (3, 1), (3, -1), "RIGHT"),
        ("ALIGN", (5, 1), (-1, -1), "RIGHT"),
        ("LEADING", (0, 1), (-1, -1), 10),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ] + continued))
    return table


def _totals(doc: QuoteDocument, s: dict[str, ParagraphStyle]) -> list[Any]:
    symbol = _SYMBOL[doc.currency]
    rows = [
        ("小计 Subtotal", f"{symbol}{_money(doc.subtotal)}"),
        ("整单折扣 Discount", f"-{symbol}{_money(doc.discount)}" if doc.discount else f"{symbol}0.00"),
        (f"增值税 VAT {_percent(doc.vat_rate * 100)}", f"{symbol}{_money(doc.vat_amount)}"),
        (f"合计 Total ({doc.currency})", f"{symbol}{_money(doc.total)}"),
    ]
    table = Table([[Paragraph(_text(a), s["right"]), Paragraph(_text(b), s["right"])] for a, b in rows],
                  colWidths=[44 * mm, 40 * mm], hAlign="RIGHT")
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), FONT_NAME, 9),
        ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]))
    if doc.currency == "CNY":
        words = f"大写金额 Amount in words：人民币{capital_amount(doc.total)}"
    else:
        words = f"Amount in words 金额大写: {usd_words(doc.total)}"
    block: list[Any] = [Spacer(1, 3 * mm), table, Spacer(1, 2 * mm), Paragraph(_text(words), s["base"])]
    if doc.exchange_rate is not None:
        rate = doc.exchange_rate
        block.append(Paragraph(_text(
            ("锁定汇率 Locked exchange rate" if rate.locked else "参考汇率（提交时锁定） Reference rate, locked on submission")
            + f": 1 USD = {rate_text(rate.rate, 'USD/CNY')} CNY"
            f"（{rate.rate_date.isoformat()}，来源 Source: {rate.source}）"), s["small"]))
    return [KeepTogether(block)]


def _footer_blocks(doc: QuoteDocument, s: dict[str, ParagraphStyle]) -> list[Any]:
    out: list[Any] = []
    if doc.terms.strip():
        out += [Paragraph("条款 Terms", s["heading"]), Paragraph(_text(doc.terms.strip()), s["base"])]
    out += [Paragraph("审批状态 Approval", s["heading"]), Paragraph(_text(doc.approval_status), s["base"])]
    out.append(_signatures(doc, s))
    return out


def _signatures(doc: QuoteDocument, s: dict[str, ParagraphStyle]) -> Any:
    """报价方（盖章） and 客户确认（签字盖章）side by side, each with room for a seal and a date line."""
    def side(title: str, party: str) -> list[Any]:
        return [Paragraph(_text(title), s["left"]), Paragraph(_text(party), s["small"]),
                Spacer(1, 24 * mm),  # a round company seal is 40 mm at most; it may overlap the lines
                Paragraph("签字 Signature：＿＿＿＿＿＿＿＿＿＿", s["small"]), Spacer(1, 2 * mm),
                Paragraph("日期 Date：＿＿＿＿年＿＿月＿＿日", s["small"])]

    table = Table([[side("报价方（盖章）Seller's seal", doc.company.name),
                    side("客户确认（签字盖章）Customer acceptance", doc.customer.name)]],
                  colWidths=[90 * mm, 90 * mm])
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), FONT_NAME, 9),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BOX", (0, 0), (-1, -1), 0.5, _GRID),
        ("LINEAFTER", (0, 0), (0, -1), 0.5, _GRID),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
        ("LEFTPADDING", (0, 0), (-1, -1), 6),
    ]))
    return KeepTogether([Spacer(1, 6 * mm), table])


def render_quote(doc: QuoteDocument, out: Path | BinaryIO) -> list[Unprintable]:
    """Write the quote as an A4 PDF to a path or a binary file object; returns what printed as a box."""
    if doc.currency not in CURRENCIES:
        raise ValueError(f"unsupported currency {doc.currency!r}; expected one of {CURRENCIES}")
    if doc.currency == "USD" and doc.exchange_rate is None:
        raise ValueError("a USD quote must carry its locked exchange rate")
    register_font()
    styles = _styles()
    target = str(out) if isinstance(out, Path) else out
    template = SimpleDocTemplate(
        # The frame pads its content by 6 pt on each side: the margins give that back so the tables
        # span exactly the 180 mm between the page header's rule ends.
        target, pagesize=A4, leftMargin=_MARGIN - 6, rightMargin=_MARGIN - 6, topMargin=16 * mm, bottomMargin=16 * mm,
        title=f"{doc.quote_number} V{doc.version}", author=doc.company.name, subject=doc.customer.name,
        creator="Fieldmark",
    )
    story = _header(doc, styles) + [_lines_table(doc, styles)] + _totals(doc, styles) + _footer_blocks(doc, styles)
    decorate = _page_decorator(doc)
    template.build(story, onFirstPage=decorate, onLaterPages=decorate, canvasmaker=_NumberedCanvas)
    return unprintable(doc)
