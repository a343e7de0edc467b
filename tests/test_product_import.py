"""Bulk import of the product catalogue from CSV: headers and encodings, errors per row, new / update /
unchanged, re-import, who may import, chunks and cancel."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from desktop import product_import as pi
from desktop.errors import DomainError
from desktop.models import OutboxEntry, Product
from desktop.store import Store
from tests.conftest import Org, run

HEADER_ZH = "产品编码,产品名称,单位,目录价,币种,在售\n"
GOOD_ZH = HEADER_ZH + (
    "X200,X200 数控车床,台,128000.00,人民币,是\n"
    "X200-KIT,X200 安装套件,套,\"3,500.50\",,\n"
    "S10,S10 传感器,个,99,USD,否\n"
)
GOOD_EN = (
    "Code,Name,Unit,List price,Currency\n"
    "X200,X200 数控车床,台,128000,CNY\n"
    "S10,S10 sensor,pcs,99.5,usd\n"
)


def write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "products.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def products(store: Store) -> dict[str, Product]:
    with store.read() as s:
        return {p.code: p for p in s.scalars(select(Product))}


def outbox(store: Store, name: str) -> int:
    with store.read() as s:
        return s.scalar(select(func.count()).select_from(OutboxEntry).where(OutboxEntry.name == name))


def add_product(store: Store, org: Org, code: str, price: str = "100.00", currency: str = "CNY", **extra) -> str:
    extra.setdefault("name", f"产品 {code}")
    extra.setdefault("unit", "台")
    return run(store, org["finance"], "product.create", code=code, list_price=price, currency=currency,
               **extra).changes.entity_id


class Recorder:
    """A progress object that records reports and cancels after ``stop_after`` of them."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.reports: list[tuple[float, str]] = []
        self.stop_after = stop_after

    def set(self, fraction: float, what: str = "") -> bool:
        self.reports.append((fraction, what))
        return self.stop_after is None or len(self.reports) <= self.stop_after


# ---- Reading and importing

@pytest.mark.parametrize("encoding, shown", [("utf-8", "UTF-8"), ("utf-8-sig", "UTF-8 (BOM)"),
                                             ("gb18030", "GB18030")])
def test_chinese_headers_in_each_encoding_create_the_products(store, org, tmp_path, encoding, shown):
    preview = pi.preview_file(store, org["finance"], write(tmp_path, GOOD_ZH, encoding))
    assert preview.encoding == shown
    assert [(r.row, r.status) for r in preview.rows] == [(2, "new"), (3, "new"), (4, "new")], preview.problems

    result = pi.import_rows(store, org["finance"], preview)
    assert (result.created, result.updated, result.unchanged, result.errors) == (3, 0, 0, 0)
    stored = products(store)
    assert (stored["X200"].name, stored["X200"].unit, stored["X200"].list_price, stored["X200"].currency,
            stored["X200"].active) == ("X200 数控车床", "台", Decimal("128000.00"), "CNY", True)
    assert stored["X200-KIT"].list_price == Decimal("3500.50")  # thousands separator read
    assert stored["X200-KIT"].currency == "CNY" and stored["X200-KIT"].active  # empty: the defaults
    assert (stored["S10"].currency, stored["S10"].active) == ("USD", False)
    assert outbox(store, "product.create") == 3  # through the mutation path, one entry per product


def test_english_headers_and_ignored_columns(store, org, tmp_path):
    text = GOOD_EN.replace("Currency\n", "Currency,Supplier\n").replace("CNY\n", "CNY,ACME\n")
    preview = pi.preview_file(store, org["manager"], write(tmp_path, text))
    assert preview.ignored_columns == ["Supplier"]
    assert [r.status for r in preview.rows] == ["new", "new"]
    assert preview.rows[1].args == {"code": "S10", "name": "S10 sensor", "unit": "pcs", "list_price": "99.50",
                                    "currency": "USD", "active": True}


def test_each_bad_row_says_what_is_wrong_in_both_languages_and_nothing_of_it_is_written(store, org, tmp_path):
    text = HEADER_ZH + (
        "A1,千分尺,把,12.345,,\n"          # 2 three decimals
        "A2,千分尺,把,-5,,\n"              # 3 negative
        "A3,千分尺,把,面议,,\n"            # 4 not a number
        "A4,千分尺,把,12,EUR,\n"           # 5 unknown currency
        "A5,,把,12,,\n"                    # 6 no name
        "A6,千分尺,把,12,,\n"              # 7 fine
        "A6,千分尺 II,把,13,,\n"           # 8 same code as row 7
        "A7,千分尺,把,12,,也许\n"          # 9 bad active
    )
    preview = pi.preview_file(store, org["finance"], write(tmp_path, text))
    assert {r.row: r.status for r in preview.rows} == {2: "error", 3: "error", 4: "error", 5: "error", 6: "error",
                                                       7: "new", 8: "error", 9: "error"}
    by_row = {p.row: p for p in preview.problems}
    assert by_row[2].column == "目录价"
    assert by_row[2].text("zh") == "第 2 行：“目录价”最多 2 位小数：12.345。"
    assert by_row[2].text("en") == "Row 2: List price has at most 2 decimal places: 12.345."
    assert by_row[3].message_zh == "“目录价”不能为负数。" and by_row[3].message_en == "List price cannot be negative."
    assert by_row[4].column == "目录价" and "金额" in by_row[4].message_zh and "amount" in by_row[4].message_en
    assert by_row[5].column == "币种" and "EUR" in by_row[5].message_zh and "CNY or USD" in by_row[5].message_en
    assert by_row[6].column == "产品名称"
    assert (by_row[6].message_zh, by_row[6].message_en) == ("请填写“产品名称”。", "Product name is required.")
    assert by_row[8].column == "产品编码" and "第 7 行" in by_row[8].message_zh and "row 7" in by_row[8].message_en
    assert by_row[9].column == "在售" and "也许" in by_row[9].message_en
    assert all(p.message_zh != p.message_en for p in preview.problems)

    result = pi.import_rows(store, org["finance"], preview)
    assert (result.created, result.errors) == (1, 7)
    assert list(products(store)) == ["A6"]
    assert products(store)["A6"].name == "千分尺"


def test_a_file_that_cannot_be_imported_at_all_is_refused_with_the_reason(store, org, tmp_path):
    with pytest.raises(DomainError) as caught:
        pi.preview_file(store, org["finance"], write(tmp_path, "产品编码,产品名称\nX1,车床\n"))
    assert "单位" in caught.value.message_zh and "list_price" in caught.value.message_en
    with pytest.raises(DomainError):
        pi.preview_file(store, org["finance"], write(tmp_path, "\n\n", name="empty.csv"))


# ---- New, update, unchanged

def test_a_known_code_is_an_update_when_it_differs_and_unchanged_when_not(store, org, tmp_path):
    x200 = add_product(store, org, "X200", "120000.00", name="X200 数控车床")
    add_product(store, org, "X200-KIT", "3500.50", name="X200 安装套件", unit="套")
    s10 = add_product(store, org, "S10", "99.00", "USD", name="S10 传感器", unit="个", active=False)

    preview = pi.preview_file(store, org["finance"], write(tmp_path, GOOD_ZH))
    assert [r.status for r in preview.rows] == ["update", "unchanged", "unchanged"]
    update = preview.rows[0]
    assert update.product_id == x200 and update.changes == {"list_price": ("120000.00", "128000.00")}
    assert update.args == {"id": x200, "list_price": "128000.00"}  # only what changes is sent
    assert pi.change_note(update) == ("目录价 120000.00 → 128000.00", "list price 120000.00 → 128000.00")

    result = pi.import_rows(store, org["finance"], preview)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    stored = products(store)
    assert stored["X200"].list_price == Decimal("128000.00") and stored["X200"].version == 2
    assert stored["S10"].version == 1 and stored["S10"].id == s10
    assert outbox(store, "product.update") == 1


def test_empty_currency_and_active_keep_what_is_stored(store, org, tmp_path):
    add_product(store, org, "S10", "99.00", "USD", name="S10 传感器", unit="个", active=False)
    text = HEADER_ZH + "S10,S10 传感器 二代,个,99,,\n"
    row = pi.preview_file(store, org["finance"], write(tmp_path, text)).rows[0]
    assert row.status == "update" and row.changes == {"name": ("S10 传感器", "S10 传感器 二代")}
    assert row.currency == "USD"


def test_reimporting_the_same_file_changes_nothing(store, org, tmp_path):
    path = write(tmp_path, GOOD_ZH, "gb18030")
    assert pi.import_rows(store, org["finance"], pi.preview_file(store, org["finance"], path)).created == 3
    with store.read() as s:
        entries = s.scalar(select(func.count()).select_from(OutboxEntry))
    again = pi.preview_file(store, org["finance"], path)
    assert [r.status for r in again.rows] == ["unchanged"] * 3 and again.importable == []
    result = pi.import_rows(store, org["finance"], again)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 3)
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(OutboxEntry)) == entries
    assert all(p.version == 1 for p in products(store).values())


def test_a_product_added_since_the_preview_is_updated_not_duplicated(store, org, tmp_path):
    preview = pi.preview_file(store, org["finance"], write(tmp_path, GOOD_ZH))
    add_product(store, org, "S10", "80.00", "USD", name="S10 传感器", unit="个")
    result = pi.import_rows(store, org["finance"], preview)
    assert (result.created, result.updated, result.errors) == (2, 1, 0)
    stored = products(store)
    assert len(stored) == 3 and stored["S10"].list_price == Decimal("99.00") and not stored["S10"].active


# ---- Who may import

def test_a_rep_may_not_import_the_catalogue(store, org, tmp_path):
    path = write(tmp_path, GOOD_ZH)
    with pytest.raises(DomainError) as caught:
        pi.preview_file(store, org["rep"], path)
    assert caught.value.code == "forbidden"
    assert caught.value.message_zh == "您的角色无权导入产品目录。"
    assert caught.value.message_en == "Your role may not import the product catalogue."
    preview = pi.preview_file(store, org["cfo"], path)  # a finance director may
    with pytest.raises(DomainError) as caught:
        pi.import_rows(store, org["rep"], preview)
    assert caught.value.code == "forbidden"
    assert products(store) == {} and outbox(store, "product.create") == 0


# ---- Chunks, progress, cancel

def _many(count: int) -> str:
    return HEADER_ZH + "".join(f"P{i:04d},产品 {i},个,{i}.50,,\n" for i in range(count))


def test_a_cancel_midway_keeps_the_chunks_already_imported(store, org, tmp_path):
    preview = pi.preview_file(store, org["finance"], write(tmp_path, _many(50)))
    assert preview.count("new") == 50
    progress = Recorder(stop_after=2)  # the third report (before the third chunk) asks to stop
    result = pi.import_rows(store, org["finance"], preview, progress, chunk_rows=10)
    assert result.cancelled and result.created == 20 and result.not_attempted == 30
    assert preview.count("imported") == 20 and preview.count("new") == 30
    assert len(products(store)) == 20
    assert [round(f, 2) for f, _ in progress.reports] == [0.0, 0.2, 0.4]
    assert progress.reports[1][1] == "10 of 50 rows imported"
    # Importing the file again picks up where the cancel left off.
    again = pi.preview_file(store, org["finance"], write(tmp_path, _many(50)))
    result = pi.import_rows(store, org["finance"], again, Recorder(), language="zh_CN")
    assert (result.created, result.unchanged) == (30, 20)
    assert len(products(store)) == 50


def test_the_example_in_the_import_guide_does_what_the_guide_says(store, org, tmp_path):
    guide = (Path(__file__).resolve().parent.parent / "docs" / "csv-import.md").read_text(encoding="utf-8")
    example = re.findall(r"```csv\n(.*?)```", guide, re.S)[1]  # the first is the touchpoints example
    add_product(store, org, "X200", "120000.00", name="X200 数控车床")
    for encoding in ("utf-8", "gbk"):
        rows = pi.preview_file(store, org["finance"], write(tmp_path, example, encoding, name=f"{encoding}.csv")).rows
        assert [(r.row, r.status) for r in rows] == [(2, "update"), (3, "new"), (4, "new"), (5, "error")]
        assert rows[3].problems[0].text("zh") == "第 5 行：“目录价”最多 2 位小数：12.345。"
