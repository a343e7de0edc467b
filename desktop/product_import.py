"""Bulk import of the product catalogue from a CSV file; the format is in docs/csv-import.md.

The same two steps as desktop.touchpoint_import, on the same file rules (desktop.csv_import):

1. :func:`preview_file` reads the file, maps the header (Chinese or English) and checks each row with
   ``product.create``'s own declared fields, plus what the file adds: a price with at most two
   decimals, a known currency, a code that appears once. A row whose code is already in the catalogue
   is an *update* when its values differ (the row says which) and *unchanged* when they do not, so
   importing the same file twice changes nothing. Nothing is written.
2. :func:`import_rows` runs the new rows through ``product.create`` and the updates through
   ``product.update``, a chunk per transaction, reporting to a progress object between chunks; a
   cancel keeps the chunks already committed.

Only the catalogue keepers (finance, the finance director, sales managers, admins) may import.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop import csv_import, errors, mutations, types
from desktop.csv_import import Column, ParsedFile, ProgressLike, RowProblem, write_error_report
from desktop.errors import DomainError, Label
from desktop.models import Product, User
from desktop.mutations.products import CATALOGUE_KEEPERS
from desktop.store import Store

__all__ = ["COLUMNS", "ERROR", "IMPORTED", "NEW", "UNCHANGED", "UPDATE", "ImportResult", "Preview", "ProductRow",
           "RowProblem", "change_note", "check_price", "import_rows", "may_import", "preview_file",
           "write_error_report"]

CREATE, UPDATE_MUTATION = "product.create", "product.update"
FIELDS = mutations.REGISTRY[CREATE].fields
CHUNK_ROWS = 250  # rows per transaction: a cancel waits for at most one chunk
PRICE_PLACES = 2  # the Money column keeps cents: a third decimal would be rounded away without a word

NEW, UPDATE, UNCHANGED, ERROR, IMPORTED = "new", "update", "unchanged", "error", "imported"
IMPORTABLE = (NEW, UPDATE)

# ---- The columns

COLUMNS: tuple[Column, ...] = (
    Column("code", Label("产品编码", "code"), ("产品编码", "编码", "产品代码", "物料编码", "code", "productcode", "sku"),
           True),
    Column("name", Label("产品名称", "name"), ("产品名称", "名称", "品名", "产品", "name", "productname"), True),
    Column("unit", Label("单位", "unit"), ("单位", "计量单位", "unit", "uom"), True),
    Column("list_price", Label("目录价", "list_price"),
           ("目录价", "价格", "单价", "标准价", "列表价", "listprice", "price", "unitprice"), True),
    Column("currency", Label("币种", "currency"), ("币种", "货币", "币别", "currency")),
    Column("active", Label("在售", "active"), ("在售", "是否在售", "状态", "active", "status")),
)
_BY_KEY = {c.key: c for c in COLUMNS}
EDITABLE = ("name", "unit", "list_price", "currency", "active")  # what an update may change; the code is the key

CURRENCY_VALUES = {  # one entry per desktop.models.CURRENCIES
    "CNY": ("CNY", "RMB", "人民币", "元", "¥", "￥"),
    "USD": ("USD", "US$", "$", "美元", "美金"),
}
ACTIVE_VALUES = {
    "yes": ("是", "在售", "有效", "启用", "上架", "yes", "y", "true", "1", "active", "onsale"),
    "no": ("否", "停售", "下架", "无效", "停用", "no", "n", "false", "0", "inactive", "discontinued"),
}
_CURRENCY = csv_import.aliases_index(CURRENCY_VALUES)
_ACTIVE = csv_import.aliases_index(ACTIVE_VALUES)
_GROUPED = re.compile(r"\d{1,3}(,\d{3})+(\.\d*)?")


def may_import(user: User | None) -> bool:
    """Whether this user keeps the catalogue (and so may import it)."""
    return user is not None and user.active and user.role in CATALOGUE_KEEPERS


def _refused() -> DomainError:
    return errors.forbidden("导入产品目录", "import the product catalogue")


# ---- Prices

def price_text(text: str) -> str:
    """A price as typed, made plain: full-width digits, spaces and thousands separators removed."""
    value = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    return value.replace(",", "") if _GROUPED.fullmatch(value) else value


def check_price(text: str) -> tuple[Decimal | None, DomainError | None]:
    """(amount, None) for a valid list price, else (None, why): the mutation's own check, then at most
    two decimal places (the mutation would round 12.345 to 12.35 without a word)."""
    spec = FIELDS["list_price"]
    value = price_text(text)
    try:
        amount = spec.parse("list_price", value or None)
    except DomainError as exc:
        return None, exc
    assert isinstance(amount, Decimal)
    if amount != types.money(amount):
        return None, errors.invalid_value(
            "list_price", f"“{spec.label.zh}”最多 {PRICE_PLACES} 位小数：{text.strip()}。",
            f"{spec.label.en} has at most {PRICE_PLACES} decimal places: {text.strip()}.")
    return amount, None


# ---- What a preview holds

@dataclass
class ProductRow:
    """One data row of the file and what importing it would do."""

    row: int
    code: str  # as typed (trimmed)
    name: str
    unit: str
    price: str  # as typed
    currency_text: str
    active_text: str
    status: str = NEW  # new | update | unchanged | error, and imported once written
    values: dict[str, Any] = field(default_factory=dict)  # checked values, JSON-ready (None: keep what is stored)
    product_id: str | None = None  # the catalogue's product with this code
    currency: str | None = None  # the product's currency once imported
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # field -> (stored, in the file)
    args: dict[str, Any] | None = None  # product.create or product.update args, when new or an update
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def mutation(self) -> str:
        return UPDATE_MUTATION if self.product_id is not None else CREATE


@dataclass
class Preview:
    """What importing a file would do, row by row."""

    path: str
    encoding: str
    columns: list[str]  # the header as written
    headers: dict[str, str]  # column key -> its header as written
    ignored_columns: list[str]
    rows: list[ProductRow]

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def importable(self) -> list[ProductRow]:
        return [r for r in self.rows if r.status in IMPORTABLE]

    @property
    def problems(self) -> list[RowProblem]:
        return [p for r in self.rows for p in r.problems if r.status == ERROR]


@dataclass
class ImportResult:
    """What an import did. Counts cover the whole file: preview and import time together."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0
    not_attempted: int = 0  # rows to import left after a cancel or a failure
    cancelled: bool = False
    failure: Exception | None = None  # an unexpected error that stopped the import (what was done is kept)
    imported_rows: list[int] = field(default_factory=list)
    refused: list[RowProblem] = field(default_factory=list)  # rows the mutation refused at import time
    last_outcome: mutations.Outcome | None = None

    @property
    def imported(self) -> int:
        return self.created + self.updated


# ---- The preview

def preview_file(store: Store, user_id: str, path: str | Path, *,
                 progress: ProgressLike | None = None) -> Preview:
    """Read ``path`` and say, row by row, what importing it as ``user_id`` would do. Writes nothing.

    A file that cannot be imported at all (encoding, missing columns, too large) raises DomainError;
    so does a user who does not keep the catalogue.
    """
    with store.read() as session:
        if not may_import(session.get(User, user_id)):
            raise _refused()
    parsed = csv_import.parse_csv(csv_import.read_file(path), COLUMNS)
    with store.read() as session:
        return build_preview(session, parsed, path=str(path), progress=progress)


def build_preview(session: Session, parsed: ParsedFile, *, path: str = "",
                  progress: ProgressLike | None = None) -> Preview:
    """The preview of an already parsed file against the catalogue in ``session``."""
    headers = {key: parsed.header[index] for index, key in parsed.mapping.items()}
    rows: list[ProductRow] = []
    first_of: dict[str, int] = {}
    total = max(len(parsed.records), 1)
    for position, (number, cells) in enumerate(parsed.records):
        if progress is not None and position % 1000 == 0 and not progress.set(0.9 * position / total, ""):
            raise DomainError("cancelled", "已取消。", "Cancelled.")
        values = parsed.values(cells)
        row = ProductRow(number, values.get("code", ""), values.get("name", ""), values.get("unit", ""),
                         values.get("list_price", ""), values.get("currency", ""), values.get("active", ""))
        extra = parsed.extra_cells_problem(number, cells)
        if extra is not None:
            row.problems.append(extra)
        _check_row(row, headers)
        if row.code:
            if row.code in first_of:
                row.problems.append(RowProblem(
                    number, _column(headers, "code"), f"产品编码“{row.code}”与第 {first_of[row.code]} 行重复。",
                    f"The product code {row.code!r} is also on row {first_of[row.code]}."))
            else:
                first_of[row.code] = number
        if row.problems:
            row.status, row.values = ERROR, {}
        rows.append(row)
    _compare(rows, _stored(session, [r.code for r in rows if r.status != ERROR]))
    if progress is not None:
        progress.set(1.0, "")
    return Preview(path, parsed.encoding, parsed.header, headers, parsed.ignored, rows)


def _column(headers: dict[str, str], key: str) -> str:
    return headers.get(key) or _BY_KEY[key].label.zh


def _check_row(row: ProductRow, headers: dict[str, str]) -> None:
    """Fill in the row's checked values, or its problems (every one of them, not just the first)."""

    def problem(key: str, zh: str, en: str) -> None:
        row.problems.append(RowProblem(row.row, _column(headers, key), zh, en))

    # The mutation's own declared checks (required, length, control characters).
    for key in ("code", "name", "unit"):
        try:
            row.values[key] = FIELDS[key].parse(key, getattr(row, key))
        except DomainError as exc:
            problem(key, exc.message_zh, exc.message_en)

    amount, price_error = check_price(row.price)
    if price_error is not None:
        problem("list_price", price_error.message_zh, price_error.message_en)
    else:
        row.values["list_price"] = str(types.money(amount or Decimal(0)))

    row.values["currency"] = None  # not given: CNY for a new product, as stored for one in the catalogue
    if row.currency_text:
        code = _CURRENCY.get(csv_import.header_key(row.currency_text))
        if code is None:
            problem("currency", f"币种“{row.currency_text}”无效，可选：CNY（人民币）、USD（美元）。",
                    f"Currency {row.currency_text!r} is not valid; use CNY or USD.")
        else:
            row.values["currency"] = FIELDS["currency"].parse("currency", code)

    row.values["active"] = None  # not given: on sale for a new product, as stored for one in the catalogue
    if row.active_text:
        answer = _ACTIVE.get(csv_import.header_key(row.active_text))
        if answer is None:
            problem("active", f"“在售”的值“{row.active_text}”无效，请填“是”或“否”。",
                    f"Active {row.active_text!r} is not valid; use yes or no.")
        else:
            row.values["active"] = answer == "yes"


def _stored(session: Session, codes: Iterable[str]) -> dict[str, Product]:
    """The catalogue's products with these codes."""
    wanted = sorted(set(codes))
    found: dict[str, Product] = {}
    for start in range(0, len(wanted), csv_import.IN_BATCH):
        for product in session.scalars(select(Product).where(Product.code.in_(wanted[start:start + csv_import.IN_BATCH]))):
            found[product.code] = product
    return found


def _compare(rows: Iterable[ProductRow], stored: dict[str, Product]) -> None:
    """New, update (with what changes) or unchanged, against the catalogue as it is now."""
    for row in rows:
        if row.status == ERROR:
            continue
        values = row.values
        product = stored.get(values["code"])
        row.changes = {}
        if product is None:
            row.product_id = None
            row.currency = values["currency"] or "CNY"
            row.status = NEW
            row.args = {"code": values["code"], "name": values["name"], "unit": values["unit"],
                        "list_price": values["list_price"], "currency": values["currency"] or "CNY",
                        "active": True if values["active"] is None else values["active"]}
            continue
        row.product_id = product.id
        row.currency = values["currency"] or product.currency
        for name in EDITABLE:
            new = values[name]
            if new is None:
                continue
            old = getattr(product, name)
            if name == "list_price":
                if Decimal(new) != old:
                    row.changes[name] = (str(types.money(old)), new)
            elif new != old:
                row.changes[name] = (old, new)
        if row.changes:
            row.status = UPDATE
            row.args = {"id": product.id, **{name: new for name, (_old, new) in row.changes.items()}}
        else:
            row.status, row.args = UNCHANGED, None


def _shown(value: Any, language: str) -> str:
    if isinstance(value, bool):
        return ("是" if value else "否") if language == "zh" else ("yes" if value else "no")
    return str(value)


def change_note(row: ProductRow) -> tuple[str, str]:
    """What an update changes, (zh, en): 目录价 12.00 → 13.50；单位 台 → 套 / list price 12.00 → 13.50; unit …"""
    parts: dict[str, list[str]] = {"zh": [], "en": []}
    for name, (old, new) in row.changes.items():
        label = FIELDS[name].label
        parts["zh"].append(f"{label.zh} {_shown(old, 'zh')} → {_shown(new, 'zh')}")
        parts["en"].append(f"{label.en.lower()} {_shown(old, 'en')} → {_shown(new, 'en')}")
    return "；".join(parts["zh"]), "; ".join(parts["en"])


# ---- The import

def import_rows(store: Store, user_id: str, preview: Preview, progress: ProgressLike | None = None, *,
                language: str = "en", chunk_rows: int = CHUNK_ROWS) -> ImportResult:
    """Write the preview's new rows and updates as ``user_id``, one transaction per chunk.

    A user who does not keep the catalogue is refused (DomainError) before anything is written.
    Before each chunk its rows are compared with the catalogue again (someone may have changed it
    since the preview) and progress is reported; a cancel stops there, keeping what was committed.
    A row the mutation refuses is reported and the rest of its chunk is written.
    """
    with store.read() as session:
        if not may_import(session.get(User, user_id)):
            raise _refused()
    rows = preview.importable
    result = ImportResult(unchanged=preview.count(UNCHANGED), errors=preview.count(ERROR))
    total = len(rows)
    chinese = language.lower().startswith("zh")
    done = 0
    for start in range(0, total, chunk_rows):
        what = f"已导入 {result.imported} / {total} 行" if chinese else f"{result.imported} of {total} rows imported"
        if progress is not None and not progress.set(done / total if total else 0.0, what):
            result.cancelled = True
            break
        chunk = rows[start:start + chunk_rows]
        done += len(chunk)
        with store.read() as session:
            _compare(chunk, _stored(session, [r.code for r in chunk]))
        for row in chunk:
            if row.status == UNCHANGED:
                result.unchanged += 1
        pending = [r for r in chunk if r.status in IMPORTABLE]
        try:
            _write_chunk(store, user_id, pending, result, preview.headers)
        except Exception as exc:  # noqa: BLE001 - returned with the counts: what was committed is kept and said
            result.failure = exc
            done -= len(chunk)
            break
    result.not_attempted = total - done
    if progress is not None and not result.cancelled and result.failure is None:
        progress.set(1.0, f"已导入 {result.imported} 行" if chinese else f"{result.imported} rows imported")
    return result


_FIELD_COLUMN = {"id": "code", "code": "code", "name": "name", "unit": "unit", "list_price": "list_price",
                 "currency": "currency", "active": "active"}


def _write_chunk(store: Store, user_id: str, pending: list[ProductRow], result: ImportResult,
                 headers: dict[str, str]) -> None:
    chunk = csv_import.run_chunk(store, user_id, [(r.mutation, dict(r.args or {})) for r in pending])
    for index, exc in chunk.refused:
        bad = pending[index]
        if exc.code == "no_change":  # changed to the file's values since the preview
            bad.status, bad.args = UNCHANGED, None
            result.unchanged += 1
            continue
        column = _column(headers, _FIELD_COLUMN[exc.field]) if exc.field in _FIELD_COLUMN else ""
        bad.status, bad.args = ERROR, None
        bad.problems.append(RowProblem(bad.row, column, exc.message_zh, exc.message_en))
        result.refused.append(bad.problems[-1])
        result.errors += 1
    for index in chunk.committed:
        row = pending[index]
        if row.product_id is None:
            result.created += 1
        else:
            result.updated += 1
        row.status = IMPORTED
        result.imported_rows.append(row.row)
    if chunk.last_outcome is not None:
        result.last_outcome = chunk.last_outcome

