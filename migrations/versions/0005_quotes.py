"""Quotes: products, cached exchange rates, approval policies, quotes with their lines, approvals.

- ``products``: unit and list price in CNY or USD.
- ``exchange_rates``: cached rates with their date and source (a quote locks one when submitted).
- ``approval_policies``: ordered approval rules as data (desktop.approval_policy), versioned.
- ``quotes`` / ``quote_lines``: one row per revision of a quote; totals stored only as computed
  (desktop.quote_math).
- ``approvals``: each decision on a submission.
- ``device_state.next_quote_seq``: the device's own quote number sequence (desktop.quotes).

Money is text rounded to cents; rates, quantities and percentages are exact decimal text.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None
# The step as the start-up progress window names it (desktop.migrate.step_names).
summary_zh = "增加报价、产品与汇率"
summary_en = "Adding quotes, products and exchange rates"

TS = sa.String(27)  # UTC time as fixed-width text (desktop.types.UTCDateTime)
MONEY = sa.String(32)  # desktop.types.Money
DECIMAL = sa.String(32)  # desktop.types.DecimalText


def upgrade() -> None:
    with op.batch_alter_table("device_state", recreate="never") as batch:
        batch.add_column(sa.Column("next_quote_seq", sa.Integer, nullable=False, server_default=sa.text("1")))
    create_quote_tables()


def downgrade() -> None:
    drop_quote_tables()
    with op.batch_alter_table("device_state") as batch:
        batch.drop_column("next_quote_seq")


def create_quote_tables() -> None:
    op.create_table(
        "products",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("code", sa.String(32), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("list_price", MONEY, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.CheckConstraint("currency IN ('CNY', 'USD')", name="ck_products_currency"),
    )
    op.create_table(
        "exchange_rates",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("pair", sa.String(7), nullable=False),
        sa.Column("rate", DECIMAL, nullable=False),
        sa.Column("rate_date", sa.String(10), nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("fetched_at", TS, nullable=False),
        sa.Column("recorded_by", sa.String(36), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.UniqueConstraint("pair", "rate_date", "source", name="uq_exchange_rates_pair_date_source"),
    )
    op.create_index("ix_exchange_rates_pair_date", "exchange_rates", ["pair", "rate_date"])
    op.create_table(
        "approval_policies",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("rules", sa.JSON, nullable=False),
        sa.Column("updated_by", sa.String(36), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "quotes",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("number", sa.String(40), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("supersedes_id", sa.String(36), sa.ForeignKey("quotes.id")),
        sa.Column("copied_from_id", sa.String(36)),
        sa.Column("customer_id", sa.String(36), sa.ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("contact_id", sa.String(36), sa.ForeignKey("contacts.id", ondelete="SET NULL")),
        sa.Column("owner_id", sa.String(36), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("vat_pct", DECIMAL, nullable=False),
        sa.Column("discount_pct", DECIMAL, nullable=False),
        sa.Column("valid_until", sa.String(10)),
        sa.Column("terms", sa.Text, nullable=False),
        sa.Column("drawing_version", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("locked_rate", DECIMAL),
        sa.Column("locked_rate_date", sa.String(10)),
        sa.Column("locked_rate_source", sa.String(64)),
        sa.Column("policy_id", sa.String(36)),
        sa.Column("policy_version", sa.Integer),
        sa.Column("approval_round", sa.Integer, nullable=False),
        sa.Column("required", sa.JSON, nullable=False),
        sa.Column("subtotal", MONEY, nullable=False),
        sa.Column("discount_amount", MONEY, nullable=False),
        sa.Column("net_amount", MONEY, nullable=False),
        sa.Column("vat_amount", MONEY, nullable=False),
        sa.Column("total", MONEY, nullable=False),
        sa.Column("submitted_at", TS),
        sa.Column("decided_at", TS),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.CheckConstraint("currency IN ('CNY', 'USD')", name="ck_quotes_currency"),
        sa.CheckConstraint("status IN ('draft', 'awaiting_approval', 'approved', 'rejected', 'sent', 'superseded')",
                           name="ck_quotes_status"),
        sa.UniqueConstraint("number", "revision", name="uq_quotes_number_revision"),
    )
    op.create_index("ix_quotes_customer", "quotes", ["customer_id"])
    op.create_index("ix_quotes_status", "quotes", ["status"])
    op.create_table(
        "quote_lines",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("quote_id", sa.String(36), sa.ForeignKey("quotes.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("product_id", sa.String(36), sa.ForeignKey("products.id")),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("quantity", DECIMAL, nullable=False),
        sa.Column("unit_price", DECIMAL, nullable=False),
        sa.Column("discount_pct", DECIMAL, nullable=False),
        sa.Column("net", MONEY, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_quote_lines_quote", "quote_lines", ["quote_id", "position"])
    op.create_table(
        "approvals",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("quote_id", sa.String(36), sa.ForeignKey("quotes.id", ondelete="CASCADE"), nullable=False),
        sa.Column("quote_version", sa.Integer, nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("approver_id", sa.String(36), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("rules", sa.JSON, nullable=False),
        sa.Column("decision", sa.String(8), nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("decided_at", TS, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.CheckConstraint("decision IN ('approve', 'reject')", name="ck_approvals_decision"),
    )
    op.create_index("ix_approvals_quote", "approvals", ["quote_id", "round"])


def drop_quote_tables() -> None:
    for table in ("approvals", "quote_lines", "quotes", "approval_policies", "exchange_rates", "products"):
        op.drop_table(table)
