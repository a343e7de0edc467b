"""Quote PDFs never lose a character: rare Chinese (CJK Extensions A and B) and emoji are drawn from
the bundled fallback fonts, read back exactly, and seen on the rendered page; a character no font has
prints as a box and is reported with the field that holds it. Also: status marks, the seller's details,
the seal block, prices with their decimals and the largest figures fitting their cells."""

from __future__ import annotations

import io
import shutil
import subprocess
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from fontTools.ttLib import TTCollection, TTFont
from PIL import Image
from pypdf import PdfReader
from reportlab.pdfgen.canvas import Canvas

import resources
from desktop.pdf import Company, Customer, fonts, render_quote
from desktop.pdf.quote_pdf import COLUMN_WIDTHS, REJECTED_TEXT, VOID_TEXT, WATERMARK_TEXT
from tests.test_quote_pdf import make_quote

RARE_CUSTOMER = "𠀀𪚥测试有限公司"  # U+20000 and U+2A6A5: CJK Extension B
RARE_CONTACT = "王䶮"  # U+4DAE: CJK Extension A
EMOJI = "👍😀✅☎"
NO_FONT = "\U0003134A"  # CJK Extension G: in none of the bundled fonts
DPI = 288  # 4 pixels to the point
needs_pdftoppm = pytest.mark.skipif(shutil.which("pdftoppm") is None,
                                    reason="pdftoppm (Debian poppler-utils, scripts/system-deps.sh) is missing")


def _render(doc) -> tuple[bytes, list]:
    buffer = io.BytesIO()
    found = render_quote(doc, buffer)
    return buffer.getvalue(), found


def _rare_quote(**changes):
    doc = make_quote(4, approved=True)  # approved: no watermark over the glyphs
    lines = list(doc.lines)
    lines[0] = replace(lines[0], description=f"礼品包装 {EMOJI}")
    return replace(doc, customer=Customer(RARE_CUSTOMER, RARE_CONTACT, "江苏省苏州市"), lines=lines, **changes)


def _runs(data: bytes, page: int = 0) -> list[tuple[str, float, float, str]]:
    """(text, x, baseline y, font) of every text run on a page, in PDF points."""
    found: list[tuple[str, float, float, str]] = []

    def visit(text, cm, tm, font, _size):
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            found.append((text.strip(), x, y, str((font or {}).get("/BaseFont", ""))))

    PdfReader(io.BytesIO(data)).pages[page].extract_text(visitor_text=visit)
    return found


def _page_image(data: bytes, tmp_path: Path, name: str) -> Image.Image:
    pdf = tmp_path / f"{name}.pdf"
    pdf.write_bytes(data)
    subprocess.run(["pdftoppm", "-gray", "-r", str(DPI), "-f", "1", "-l", "1", "-png", str(pdf),
                    str(tmp_path / name)], check=True, timeout=120)
    return Image.open(next(tmp_path.glob(f"{name}-*1.png"))).convert("L")


def _ink(image: Image.Image, x: float, y: float, width: float, size: float) -> int:
    """Dark pixels in the box a run of ``width`` points at ``size`` points occupies from baseline (x, y)."""
    scale = DPI / 72
    top = image.height - (y + size) * scale
    box = (int(x * scale), int(top), int((x + width) * scale), int(image.height - (y - size * 0.25) * scale))
    return sum(image.crop(box).histogram()[:128])


def _reference_ink(text: str, tmp_path: Path, name: str) -> int:
    """The same text drawn alone at 8 pt through the font chain, rendered the same way."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(200, 60))
    fonts.register_fonts()
    fonts.draw_string(canvas, 20, 20, text, 8)
    canvas.save()
    return _ink(_page_image(buffer.getvalue(), tmp_path, name), 20, 20, fonts.string_width(text, 8), 8)


# ---- The fonts

def _cmap(file: str, index: int) -> set[int]:
    path = resources.path("fonts", file)
    font = TTCollection(str(path)).fonts[index] if path.suffix == ".ttc" else TTFont(str(path), lazy=True)
    return set(font.getBestCmap())


def test_the_chain_covers_cjk_extensions_a_and_b_and_emoji():
    covered = set().union(*(_cmap(file, index) for _name, file, index in fonts.CHAIN))
    ext_a = range(0x3400, 0x4DC0)
    ext_b = range(0x20000, 0x2A6E0)
    # Hanazono (2017) predates the ideographs Unicode 13 added at the ends of Extensions A and B
    # (U+4DB6..4DBF, U+2A6D7..2A6DF); every other one of the 6,592 + 42,720 is there.
    assert [code for code in ext_a if code not in covered] == list(range(0x4DB6, 0x4DC0))
    assert [code for code in ext_b if code not in covered] == list(range(0x2A6D7, 0x2A6E0))
    for char in RARE_CUSTOMER + RARE_CONTACT + EMOJI + "❤🎉📞🚚⭐":
        assert ord(char) in covered, f"U+{ord(char):04X}"
    assert ord(NO_FONT) not in covered


def test_text_is_cut_into_runs_by_the_first_font_that_has_each_character():
    runs = list(fonts.runs(RARE_CUSTOMER + " 👍" + NO_FONT + "\U000E0100"))
    assert runs == [("FieldmarkHanaMinA", "𠀀𪚥"), (fonts.FONT_NAME, "测试有限公司 "), ("FieldmarkSymbola", "👍"),
                    (fonts.FONT_NAME, fonts.MARKER)]  # the selector draws nothing, the unknown one a box
    assert fonts.unprintable("ab" + NO_FONT + "c\U000E0100" + NO_FONT) == NO_FONT
    # Widths are measured per run, so wrapping and right alignment use the real glyph widths.
    assert fonts.string_width("𠀀𪚥", 8) == pytest.approx(16, abs=0.5)


# ---- Rare characters on the page

def test_rare_characters_read_back_exactly():
    data, found = _render(_rare_quote())
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    assert RARE_CUSTOMER in text and RARE_CONTACT in text and EMOJI in text
    assert "\x00" not in text and fonts.MARKER not in text
    assert found == []
    embedded = {str(f["/BaseFont"]).split("+")[1] for page in PdfReader(io.BytesIO(data)).pages
                for f in page["/Resources"]["/Font"].values() for f in [f.get_object()]}
    assert embedded <= {"WenQuanYiMicroHei-0", "FieldmarkHanaMinA-Regular", "FieldmarkSymbola-Regular"}
    assert {"FieldmarkHanaMinA-Regular", "FieldmarkSymbola-Regular"} <= embedded


@needs_pdftoppm
def test_rare_glyphs_are_drawn_as_the_fallback_font_draws_them(tmp_path):
    data, _found = _render(_rare_quote())
    page = _page_image(data, tmp_path, "quote")
    runs = {text: (x, y) for text, x, y, _font in _runs(data)}
    checked = 0
    for text in ("𠀀𪚥", "䶮"):
        x, y = runs[text]
        if text == "䶮":  # the reader gives a later run of a line the line's start: step over 王
            x += fonts.string_width("王", 8)
        ink = _ink(page, x, y, fonts.string_width(text, 8), 8)
        reference = _reference_ink(text, tmp_path, f"ref{checked}")
        marker = _reference_ink(fonts.MARKER * len(text), tmp_path, f"box{checked}")
        assert reference > 0 and ink > reference * 0.75, (text, ink, reference)
        assert abs(ink - reference) < abs(ink - marker), (text, ink, reference, marker)  # a glyph, not a box
        checked += 1
    assert checked == 2


@needs_pdftoppm
def test_a_character_no_font_has_prints_as_a_box_and_is_reported(tmp_path):
    doc = _rare_quote()
    lines = list(doc.lines)
    lines[2] = replace(lines[2], unit="件" + NO_FONT)
    doc = replace(doc, customer=Customer("测试" + NO_FONT + "公司", RARE_CONTACT, ""), lines=lines)
    data, found = _render(doc)
    assert [(item.where_zh, item.where_en, item.chars) for item in found] == [
        ("客户名称", "customer name", NO_FONT), ("第 3 行单位", "line 3 unit", NO_FONT)]
    assert found[0].codes() == "U+3134A"
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "测试□公司" in text and NO_FONT not in text
    x, y = next((x, y) for t, x, y, _f in _runs(data) if t.startswith("测试"))
    page = _page_image(data, tmp_path, "boxed")
    box_x = x + fonts.string_width("测试", 8)
    assert _ink(page, box_x, y, fonts.string_width(fonts.MARKER, 8), 8) > 0  # a visible box, not a gap


# ---- What the page says

def test_status_marks_replace_the_draft_mark():
    def marks(doc) -> list[set[str]]:
        data, _ = _render(doc)
        return [{m for m in (WATERMARK_TEXT, VOID_TEXT, REJECTED_TEXT) if m in page.extract_text()}
                for page in PdfReader(io.BytesIO(data)).pages]

    draft = make_quote(60)
    assert set(map(frozenset, marks(replace(draft, status="awaiting_approval")))) == {frozenset({WATERMARK_TEXT})}
    assert set(map(frozenset, marks(replace(draft, status="superseded")))) == {frozenset({VOID_TEXT})}
    assert set(map(frozenset, marks(replace(draft, status="rejected")))) == {frozenset({REJECTED_TEXT})}
    assert marks(replace(make_quote(3, approved=True), status="sent")) == [set()]
    assert "已作废" in VOID_TEXT and "已驳回" in REJECTED_TEXT


def test_seller_details_seal_block_and_empty_validity():
    seller = Company("上海菲尔德工业设备有限公司", "上海市闵行区申长路 988 号", "021-6408 8800", "sales@fieldmark.cn",
                     "91310112MA1GB0XX1K", "中国工商银行上海闵行支行", "1001 2345 6789 0123 456")
    data, _ = _render(replace(make_quote(3), company=seller, valid_until=None))
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]
    first, last = pages[0], pages[-1]
    for value in ("sales@fieldmark.cn", "纳税人识别号", "91310112MA1GB0XX1K", "开户行及账号",
                  "中国工商银行上海闵行支行 1001 2345 6789 0123 456"):
        assert value in first
    assert "报价方（盖章）" in last and "客户确认（签字盖章）" in last and last.count("日期 Date") == 2
    valid = next(line for line in first.splitlines() if "有效期至" in line)
    assert not any(ch.isdigit() for ch in valid)  # printed empty, not as the issue date


def test_unit_prices_keep_their_decimals_and_the_largest_figures_fit_their_cells():
    doc = make_quote(3, approved=True)
    lines = list(doc.lines)
    # The largest figures validation allows (desktop.mutations.quotes LINE_FIELDS, quote_math.MAX_AMOUNT).
    lines[0] = replace(lines[0], quantity=Decimal("9999999.999"), unit_price=Decimal("999999999.9999"),
                       discount_pct=Decimal("99.99"), net=Decimal("999999999999.99"))
    lines[1] = replace(lines[1], unit_price=Decimal("0.0125"), quantity=Decimal("10000000"), net=Decimal("125000.00"))
    lines[2] = replace(lines[2], unit_price=Decimal("12.5"))
    biggest = Decimal("999999999999.99")
    data, _ = _render(replace(doc, lines=lines, subtotal=biggest, total=biggest, vat_amount=biggest,
                              discount=biggest))
    runs = _runs(data)
    text = [t for t, _x, _y, _f in runs]
    assert "0.0125" in text and "12.50" in text and "999,999,999.9999" in text
    left = 15 * 72 / 25.4  # the table starts at the 15 mm margin
    edges = [left + sum(COLUMN_WIDTHS[:i]) for i in range(len(COLUMN_WIDTHS) + 1)]
    for value, column in (("9,999,999.999", 3), ("999,999,999.9999", 5), ("99.99%", 6),
                          ("999,999,999,999.99", 7)):
        x = next(x for t, x, _y, _f in runs if t == value)
        assert edges[column] < x and x + fonts.string_width(value, 8) <= edges[column + 1], value
    total = next((t, x) for t, x, _y, _f in runs if t == "¥999,999,999,999.99")
    assert total[1] + fonts.string_width(total[0], 9) <= edges[-1] + 0.5
