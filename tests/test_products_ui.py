"""The Products page, the product dialog and importing a price list through the import dialog."""

from __future__ import annotations

from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import func, select

from desktop.models import OutboxEntry, Product, User
from desktop.store import Store
from tests.conftest import Org, run


def add_product(store: Store, org: Org, code: str, price: str = "100.00", currency: str = "CNY", **extra) -> str:
    extra.setdefault("name", f"产品 {code}")
    extra.setdefault("unit", "台")
    return run(store, org["finance"], "product.create", code=code, list_price=price, currency=currency,
               **extra).changes.entity_id


def products(store: Store) -> dict[str, Product]:
    with store.read() as s:
        return {p.code: p for p in s.scalars(select(Product))}


def make_context(store: Store, org: Org, username: str, language: str = "en"):
    from ui.context import AppContext

    context = AppContext(store, language)
    with store.read() as session:
        context.set_user(session.get(User, org[username]))
    return context


@pytest.fixture
def finance(qtbot, store, org):
    context = make_context(store, org, "finance")
    yield context
    context.tasks.shutdown()


def open_page(qtbot, context):
    from ui.pages.products_page import ProductsPage

    with qtbot.waitSignal(context.tasks.sig_data_changed, timeout=100, raising=False):
        pass  # let nothing queued from earlier mutations reach the page
    page = ProductsPage(context)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: page.table.rowCount() == len(page.products) and page.count.text() != "", timeout=5000)
    return page


def double_click(qtbot, table, pos) -> None:
    # QTest's double click alone is not seen as one by item views: it needs the click before it.
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def cells(page, row: int) -> list[str]:
    return [page.table.item(row, column).text() for column in range(page.table.columnCount())]


def test_the_page_lists_the_catalogue_and_searches_it(qtbot, finance, store, org):
    add_product(store, org, "X200", "128000.00", name="X200 数控车床")
    add_product(store, org, "S10", "99.50", "USD", name="S10 Sensor", unit="个", active=False)
    page = open_page(qtbot, finance)
    assert [cells(page, r) for r in range(2)] == [
        ["S10", "S10 Sensor", "个", "99.50 USD", "no"],
        ["X200", "X200 数控车床", "台", "128,000.00 CNY", "yes"]]
    assert page.count.text() == "2 product(s)"
    page.search_edit.setText("数控")
    assert [cells(page, r)[0] for r in range(page.table.rowCount())] == ["X200"]
    page.search_edit.setText("ｓ10")  # full-width, other case: the same search
    assert [cells(page, r)[0] for r in range(page.table.rowCount())] == ["S10"]
    page.search_edit.clear()
    assert page.table.rowCount() == 2
    assert page.new_button.isEnabled() and page.import_button.isEnabled()


def test_a_product_is_created_through_the_dialog_and_appears_on_the_page(qtbot, finance, store, org):
    from ui.dialogs.product_dialog import ProductDialog

    page = open_page(qtbot, finance)
    page.new_button.click()
    dialog = page.findChild(ProductDialog)
    assert dialog is not None and dialog.isVisible() and dialog.save_button.isEnabled()
    qtbot.keyClicks(dialog.edits["code"], "X200")
    dialog.edits["name"].setText("X200 数控车床")  # QTest types Latin-1 only
    dialog.edits["unit"].setText("台")
    qtbot.keyClicks(dialog.price_edit, "128,000.5")
    dialog.currency_combo.setCurrentIndex(dialog.currency_combo.findData("USD"))
    with qtbot.waitSignal(page.sig_loaded, timeout=5000):  # the page reads the catalogue again
        with qtbot.waitSignal(dialog.sig_saved, timeout=5000):
            dialog.save_button.click()
    stored = products(store)["X200"]
    assert (stored.name, stored.unit, stored.list_price, stored.currency, stored.active) == (
        "X200 数控车床", "台", Decimal("128000.50"), "USD", True)
    assert cells(page, 0) == ["X200", "X200 数控车床", "台", "128,000.50 USD", "yes"]


def test_a_product_is_edited_from_a_double_click_sending_only_what_changed(qtbot, finance, store, org):
    from ui.dialogs.product_dialog import ProductDialog

    add_product(store, org, "X200", "120000.00", name="X200 数控车床")
    page = open_page(qtbot, finance)
    rect = page.table.visualItemRect(page.table.item(0, 1))
    double_click(qtbot, page.table, rect.center())
    dialog = page.findChild(ProductDialog)
    assert dialog is not None and dialog.windowTitle() == "Edit product"
    qtbot.waitUntil(lambda: dialog.is_ready, timeout=5000)
    assert dialog.edits["code"].text() == "X200" and dialog.price_edit.text() == "120000.00"
    dialog.price_edit.setText("125000")
    dialog.active_check.setChecked(False)
    with qtbot.waitSignal(page.sig_loaded, timeout=5000):
        with qtbot.waitSignal(dialog.sig_saved, timeout=5000):
            dialog.save_button.click()
    stored = products(store)["X200"]
    assert (stored.list_price, stored.active, stored.version) == (Decimal("125000.00"), False, 2)
    with store.read() as s:
        entry = s.scalars(select(OutboxEntry).where(OutboxEntry.name == "product.update")).one()
    assert set(entry.args) == {"id", "list_price", "active", "at"}
    assert cells(page, 0)[3:] == ["125,000.00 CNY", "no"]


@pytest.mark.parametrize("language, expected", [
    ("en", "The product code 'X200' is already used by X200 数控车床."),
    ("zh_CN", "产品编码“X200”已被“X200 数控车床”使用。"),
])
def test_a_duplicate_code_is_shown_in_the_dialog_which_stays_open(qtbot, store, org, language, expected):
    from ui.dialogs.product_dialog import ProductDialog

    add_product(store, org, "X200", name="X200 数控车床")
    context = make_context(store, org, "finance", language)
    try:
        dialog = ProductDialog(context)
        qtbot.addWidget(dialog)
        dialog.show()
        for name, text in (("code", "X200"), ("name", "另一台车床"), ("unit", "台")):
            dialog.edits[name].setText(text)
        dialog.price_edit.setText("99")
        dialog.save_button.click()
        qtbot.waitUntil(lambda: dialog.errors.message("code") != "", timeout=5000)
        assert dialog.errors.message("code") == expected
        assert dialog.errors.is_outlined("code")
        assert dialog.isVisible() and dialog.save_button.isEnabled()
        assert dialog.edits["name"].text() == "另一台车床"  # what was typed stays
        assert len(products(store)) == 1
    finally:
        context.tasks.shutdown()


def test_a_price_with_three_decimals_is_refused_in_the_dialog_before_anything_is_sent(qtbot, finance, store, org):
    from ui.dialogs.product_dialog import ProductDialog

    dialog = ProductDialog(finance)
    qtbot.addWidget(dialog)
    dialog.show()
    for name, text in (("code", "A1"), ("name", "千分尺"), ("unit", "把")):
        dialog.edits[name].setText(text)
    dialog.price_edit.setText("12.345")
    dialog.save_button.click()
    assert dialog.errors.message("list_price") == "List price has at most 2 decimal places: 12.345."
    assert not dialog.is_saving and dialog.isVisible()
    dialog.price_edit.setText("-1")
    dialog.save_button.click()
    assert dialog.errors.message("list_price") == "List price cannot be negative."
    assert products(store) == {}


def test_a_price_list_is_imported_through_the_dialog(qtbot, finance, store, org, tmp_path):
    from ui.dialogs.import_dialog import ImportDialog

    add_product(store, org, "X200", "120000.00", name="X200 数控车床")
    add_product(store, org, "S10", "99.00", "USD", name="S10 传感器", unit="个")
    path = tmp_path / "价目表.csv"
    path.write_bytes(("产品编码,产品名称,单位,目录价,币种,在售\n"
                      "X200,X200 数控车床,台,128000.00,人民币,是\n"
                      "S10,S10 传感器,个,99,USD,\n"
                      "X200-KIT,X200 安装套件,套,\"3,500.50\",,\n"
                      "A1,千分尺,把,12.345,,\n").encode("gb18030"))
    page = open_page(qtbot, finance)
    page.import_button.click()
    dialog = page.findChild(ImportDialog)
    assert dialog is not None and dialog.windowTitle() == "Import products from CSV"
    dialog.load(str(path))
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=10000)
    model = dialog.model
    assert model.headerData(model.PRICE, Qt.Orientation.Horizontal) == "List price"
    assert [model.index(r, model.STATUS).data() for r in range(4)] == [
        "Update: list price 120000.00 → 128000.00", "Unchanged", "New product",
        "Error: List price has at most 2 decimal places: 12.345."]
    assert model.index(2, model.PRICE).data() == "3,500.50 CNY"
    assert dialog.counts_label.text() == "4 row(s) in the file: 1 new, 1 update(s), 1 unchanged, 1 error(s)"
    assert dialog.import_button.text() == "Import 2 row(s)"
    dialog.filter_combo.setCurrentIndex(1)  # to import: the new product and the update
    assert dialog.proxy.rowCount() == 2

    with qtbot.waitSignal(page.sig_loaded, timeout=10000):  # the page hears of the import and reads again
        with qtbot.waitSignal(dialog.sig_imported, timeout=10000) as blocker:
            dialog.import_button.click()
    result = blocker.args[0]
    assert (result.created, result.updated, result.unchanged, result.errors) == (1, 1, 1, 1)
    stored = products(store)
    assert stored["X200"].list_price == Decimal("128000.00") and stored["X200-KIT"].unit == "套"
    assert "A1" not in stored
    assert dialog.counts_label.text() == "1 added, 1 updated, 1 unchanged, 1 error(s)."
    assert [model.index(r, model.STATUS).data() for r in range(3)] == ["Updated", "Unchanged", "Added"]
    assert not dialog.import_button.isEnabled()
    assert [cells(page, r)[0] for r in range(page.table.rowCount())] == ["S10", "X200", "X200-KIT"]


def test_the_page_is_read_only_for_a_rep(qtbot, store, org, tmp_path):
    from ui.dialogs.import_dialog import ImportDialog
    from ui.dialogs.product_dialog import ProductDialog

    add_product(store, org, "X200", name="X200 数控车床")
    context = make_context(store, org, "rep")
    try:
        page = open_page(qtbot, context)
        assert cells(page, 0)[0] == "X200"  # a rep sees the catalogue
        for button in (page.new_button, page.edit_button, page.import_button):
            assert not button.isEnabled()
            assert "finance" in button.toolTip()
        page.table.selectRow(0)
        assert not page.edit_button.isEnabled()
        rect = page.table.visualItemRect(page.table.item(0, 1))
        double_click(qtbot, page.table, rect.center())
        assert page.edit(0) is None and page.import_file() is None
        assert page.findChild(ProductDialog) is None and page.findChild(ImportDialog) is None
        # Signing in as finance in the same window makes it editable.
        with store.read() as session:
            context.set_user(session.get(User, org["finance"]))
        assert page.new_button.isEnabled() and page.new_button.toolTip() == ""
        with store.read() as s:
            assert s.scalar(select(func.count()).select_from(OutboxEntry).where(
                OutboxEntry.name.like("product.%"))) == 1
    finally:
        context.tasks.shutdown()
