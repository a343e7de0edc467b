"""The change history of customers and contacts, as on the desktop (migrations/versions/0011, whose
reasons this repeats: the two Alembic lines are frozen separately): one row per field an applied update
changed, with the server's receipt time beside the device's, and who lost their value when it
overwrote an edit its author had not seen. Each processed mutation keeps the device's time beside the
server's.

Revision ID: s0011
Revises: s0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0011"
down_revision = "s0010"
branch_labels = None
depends_on = None
summary_zh = "建立客户和联系人的修改记录"
summary_en = "Setting up the change history of customers and contacts"

TS = sa.String(27)  # UTC time as fixed-width text, as on the desktop


def upgrade() -> None:
    op.create_table(
        "field_changes",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("customer_id", sa.String(36), sa.ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("table_name", sa.String(32), nullable=False),
        sa.Column("row_id", sa.String(36), nullable=False),
        sa.Column("row_version", sa.Integer, nullable=False),
        sa.Column("base_version", sa.Integer),
        sa.Column("seen_version", sa.Integer),
        sa.Column("field", sa.String(64)),
        sa.Column("old_value", sa.JSON),
        sa.Column("new_value", sa.JSON),
        sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("mutation_id", sa.String(36), nullable=False),
        sa.Column("changed_at", TS, nullable=False),
        sa.Column("client_time", TS, nullable=False),
        sa.Column("overwrote_user_id", sa.String(36), sa.ForeignKey("users.id")),
        sa.Column("overwrote_mutation_id", sa.String(36)),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_field_changes_customer", "field_changes", ["customer_id", "changed_at"])
    op.create_index("ix_field_changes_field", "field_changes", ["table_name", "row_id", "field", "row_version"])
    op.create_index("ix_field_changes_device", "field_changes", ["table_name", "row_id", "device_id", "row_version"])
    op.add_column("server_processed", sa.Column("client_time", TS))


def downgrade() -> None:
    with op.batch_alter_table("server_processed") as batch:
        batch.drop_column("client_time")
    op.drop_index("ix_field_changes_device", "field_changes")
    op.drop_index("ix_field_changes_field", "field_changes")
    op.drop_index("ix_field_changes_customer", "field_changes")
    op.drop_table("field_changes")
