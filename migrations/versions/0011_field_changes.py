"""Each customer and contact keeps the history of its changes as the server recorded them (who, when,
field, old and new value), synced read-only from the server; a change of the user's that someone
else's edit replaced unseen becomes a sync problem of its own kind ("overwritten"), so the user sees
their value and can apply it again (docs/design-sync-client.md, "Overwritten changes").

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None
# The step as the start-up progress window names it (desktop.migrate.step_names).
summary_zh = "建立客户和联系人的修改记录"
summary_en = "Setting up the change history of customers and contacts"

TS = sa.String(27)  # UTC time as fixed-width text (desktop.types.UTCDateTime)
OLD_SOURCES = "source IN ('rejected', 'replay')"
NEW_SOURCES = "source IN ('rejected', 'replay', 'overwritten')"


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
    with op.batch_alter_table("sync_problems") as batch:  # a CHECK changes only by rebuilding the table
        batch.drop_constraint("ck_sync_problems_source", type_="check")
        batch.create_check_constraint("ck_sync_problems_source", NEW_SOURCES)


def downgrade() -> None:
    op.execute("DELETE FROM sync_problems WHERE source = 'overwritten'")
    with op.batch_alter_table("sync_problems") as batch:
        batch.drop_constraint("ck_sync_problems_source", type_="check")
        batch.create_check_constraint("ck_sync_problems_source", OLD_SOURCES)
    op.drop_index("ix_field_changes_device", "field_changes")
    op.drop_index("ix_field_changes_field", "field_changes")
    op.drop_index("ix_field_changes_customer", "field_changes")
    op.drop_table("field_changes")
