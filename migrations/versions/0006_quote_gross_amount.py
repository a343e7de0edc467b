"""Quotes keep their gross amount (the lines at their unit prices, before any discount) with the
other totals, recomputed by every mutation that changes a quote's lines or terms. The approval
policy's discount rule looks at gross against net; with the gross stored, the approvals inbox
decides over thousands of quotes without reading their lines. Existing quotes get it computed
from their lines here, exactly as desktop.quote_math does (Decimal, rounded half-up once).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None
# The step as the start-up progress window names it (desktop.migrate.step_names).
summary_zh = "计算报价的折前金额"
summary_en = "Computing the quotes' gross amounts"

MONEY = sa.String(32)  # desktop.types.Money


def upgrade() -> None:
    with op.batch_alter_table("quotes", recreate="never") as batch:
        batch.add_column(sa.Column("gross_amount", MONEY, nullable=False, server_default="0.00"))
    fill_gross_amounts()


def fill_gross_amounts() -> None:
    """Every quote's gross amount from its lines."""
    bind = op.get_bind()
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for quote_id, quantity, unit_price in bind.execute(
            sa.text("SELECT quote_id, quantity, unit_price FROM quote_lines")):
        sums[quote_id] += Decimal(quantity) * Decimal(unit_price)
    quotes = sa.table("quotes", sa.column("id", sa.String), sa.column("gross_amount", sa.String))
    rows = [{"quote_id": quote_id, "gross": str(amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))}
            for quote_id, amount in sums.items()]
    if rows:
        bind.execute(quotes.update().where(quotes.c.id == sa.bindparam("quote_id"))
                     .values(gross_amount=sa.bindparam("gross")), rows)


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+): recreating the table would cascade-delete its lines.
    with op.batch_alter_table("quotes", recreate="never") as batch:
        batch.drop_column("gross_amount")
