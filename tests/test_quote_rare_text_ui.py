"""The window and rare text: the fallback fonts reach Qt, a typed line's unit in the quote builder, and
the print preview saying which field printed a character as a box."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QFontInfo, QFontMetrics, QImage, QPainter

from tests.conftest import make_customer, run
from tests.test_quote_ui import context, open_builder, quote_row, save, sign_in  # noqa: F401 - fixture
from ui import startup
from ui.dialogs.quote_dialog import DESCRIPTION, QUANTITY, UNIT, UNIT_PRICE

RARE = "𠀀𪚥䶮👍"


def _ink(text: str, font: QFont) -> int:
    image = QImage(200, 60, QImage.Format.Format_Grayscale8)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setFont(font)
    painter.setPen(QColor("black"))
    painter.drawText(10, 40, text)
    painter.end()
    return sum(1 for y in range(image.height()) for x in range(image.width()) if image.pixelColor(x, y).value() < 128)


def test_the_window_draws_extension_a_b_and_emoji_from_the_bundled_fonts(qtbot):
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    startup.load_cjk_font(app)
    families = app.font().families()
    for family in ("Fieldmark Symbola", "Fieldmark HanaMin A", "Fieldmark HanaMin B"):
        assert family in families  # behind the CJK font, in the chain's order
        assert QFontInfo(QFont(family)).family() == family  # the bundled file: no system font has this name
    assert families.index("Fieldmark HanaMin B") > families.index("WenQuanYi Micro Hei")
    bundled_b = QFontMetrics(QFont("Fieldmark HanaMin B"))
    assert bundled_b.inFontUcs4(0x20000) or bundled_b.inFontUcs4(0x2A6A5)
    metrics = QFontMetrics(app.font())
    for char in RARE:
        assert metrics.inFontUcs4(ord(char)), f"U+{ord(char):04X}"
    # Each character paints, in the application font as a label would use it (large, to count ink).
    big = QFont(app.font())
    big.setPixelSize(32)
    for char in RARE:
        assert _ink(char, big) > 40, char


def test_a_typed_line_gets_its_unit_in_the_builder(qtbot, context, store, org):  # noqa: F811
    customer = make_customer(store, org["rep"])
    sign_in(context, org["rep"])
    dialog = open_builder(qtbot, context, customer_id=customer)
    row = dialog.add_line()
    assert dialog.lines.item(row, UNIT).flags() & Qt.ItemFlag.ItemIsEditable
    dialog.set_cell(row, DESCRIPTION, "现场安装调试")
    dialog.set_cell(row, UNIT, "次")
    dialog.set_cell(row, QUANTITY, "2")
    dialog.set_cell(row, UNIT_PRICE, "2800.0125")
    save(qtbot, dialog)
    with store.read() as s:
        from desktop.models import QuoteLine

        stored = s.query(QuoteLine).filter_by(quote_id=dialog.quote_id).one()
    assert (stored.unit, str(stored.unit_price)) == ("次", "2800.0125")
    assert dialog.lines.item(0, UNIT).text() == "次"  # reloaded from what was stored
    dialog.set_cell(0, UNIT, "一二三四五六七八九")  # too long: refused next to the line, nothing lost
    dialog.save_button.click()
    qtbot.waitUntil(lambda: dialog.line_error.isVisible(), timeout=5000)
    assert "单位" in dialog.line_error.text() and dialog.lines.item(0, UNIT).text() == "一二三四五六七八九"
    assert quote_row(store, dialog.quote_id).status == "draft"


def test_preview_says_which_field_printed_a_box(qtbot, context, store, org):  # noqa: F811
    rep = org["rep"]
    customer = make_customer(store, rep, "恒通\U0003134A精密机械有限公司")  # U+3134A: in no bundled font
    q = run(store, rep, "quote.create", customer_id=customer).changes.entity_id
    run(store, rep, "quote.line_set", quote_id=q, description="𠀀𪚥 礼品", unit="件", quantity="1",
        unit_price="10.00")
    sign_in(context, rep)
    dialog = open_builder(qtbot, context, quote_id=q)
    with qtbot.waitSignal(dialog.sig_pdf_ready, timeout=20000):
        dialog.preview_button.click()
    qtbot.waitUntil(lambda: dialog.banner.isVisible(), timeout=5000)
    text = dialog.banner.text()
    assert "客户名称" in text and "U+3134A" in text and "□" in text  # in the user's language (Chinese here)
    assert "描述" not in text  # the Extension B description printed from the fallback font
