"""Quotes keep their gross amount, as on the desktop (migrations/versions/0006, whose reasons and
backfill this repeats: the two Alembic lines are frozen separately).

Revision ID: s0006
Revises: s0005
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from alembic import op

revision = "s0006"
down_revision = "s0005"
branch_labels = None
depends_on = None

MONEY = sa.String(32)  # desktop.types.Money


def upgrade() -> None:
    with op.batch_alter_table("quotes") as batch:
        batch.add_column(sa.Column("gross_amount", MONEY, nullable=False, server_default="0.00"))
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
    with op.batch_alter_table("quotes") as batch:
        batch.drop_column("gross_amount")
