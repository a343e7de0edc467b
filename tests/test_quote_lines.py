"""Quote lines: a typed line carries its unit, a product's unit is only the default, and quantities,
prices and amounts stop at what the printed quote can show."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from desktop import quote_math
from desktop.errors import DomainError
from desktop.models import QuoteLine
from tests.conftest import make_customer, replay_outbox, run, table_rows


def _quote(store, org) -> str:
    return run(store, org["rep"], "quote.create", customer_id=make_customer(store, org["rep"])).changes.entity_id


def _line(store, line_id: str) -> QuoteLine:
    with store.read() as s:
        return s.scalars(select(QuoteLine).where(QuoteLine.id == line_id)).one()


def test_a_typed_line_keeps_its_unit_and_a_product_line_defaults_to_the_products(store, org, template_db, tmp_path):
    rep, finance = org["rep"], org["finance"]
    q = _quote(store, org)
    typed = run(store, rep, "quote.line_set", quote_id=q, description="现场安装调试", unit=" 次 ", quantity="2",
                unit_price="2800.00").changes.entity_id
    assert _line(store, typed).unit == "次"
    product = run(store, finance, "product.create", code="GR-1", name="导轨 1.5 米", unit="米",
                  list_price="380.00", currency="CNY").changes.entity_id
    default = run(store, rep, "quote.line_set", quote_id=q, product_id=product, quantity="3").changes.entity_id
    own = run(store, rep, "quote.line_set", quote_id=q, product_id=product, unit="套", quantity="1").changes.entity_id
    assert (_line(store, default).unit, _line(store, own).unit) == ("米", "套")
    run(store, rep, "quote.line_set", id=typed, quote_id=q, unit="件")
    assert _line(store, typed).unit == "件"
    with pytest.raises(DomainError) as too_long:
        run(store, rep, "quote.line_set", id=typed, quote_id=q, unit="一二三四五六七八九")
    assert too_long.value.field == "unit" and "单位" in too_long.value.message_zh
    assert _line(store, typed).unit == "件"  # nothing lost
    # The same mutations replayed (as the server runs them) give the same lines.
    replica = replay_outbox(store, template_db, tmp_path / "replica.db")
    assert table_rows(store, "quote_lines") == table_rows(replica, "quote_lines")


def test_the_largest_figures_allowed_are_the_largest_that_print(store, org):
    rep = org["rep"]
    q = _quote(store, org)
    for field, value in (("quantity", "10000000.001"), ("unit_price", "1000000000")):
        args = {"quantity": "1", "unit_price": "1", field: value}
        with pytest.raises(DomainError) as refused:
            run(store, rep, "quote.line_set", quote_id=q, description="x", **args)
        assert refused.value.field == field and "之间" in refused.value.message_zh
        assert "e+" not in refused.value.message_en  # the limit is written out, not in scientific notation
    # Each limit on its own is allowed, but their product is more than an amount cell prints.
    with pytest.raises(DomainError) as too_much:
        run(store, rep, "quote.line_set", quote_id=q, description="x", quantity="10000000",
            unit_price="999999999.9999")
    assert too_much.value.code == "invalid_value" and "999,999,999,999.99" in too_much.value.message_zh
    assert "lower the quantity" in too_much.value.message_en
    big = run(store, rep, "quote.line_set", quote_id=q, description="x", quantity="1000",
              unit_price="884955752.2123").changes.entity_id  # 884,955,752,212.30 + 13 % VAT: just printable
    assert _line(store, big).net <= quote_math.MAX_AMOUNT
    with pytest.raises(DomainError):  # a second line would take the total past the limit
        run(store, rep, "quote.line_set", quote_id=q, description="y", quantity="1", unit_price="1000000")
    with pytest.raises(DomainError):  # and so would a higher VAT rate
        run(store, rep, "quote.update", id=q, vat_pct="20")
    assert _line(store, big).unit_price == Decimal("884955752.2123")
