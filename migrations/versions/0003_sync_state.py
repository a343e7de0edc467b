"""Sync: where the device stands with the server, changes the server refused, server-counted versions.

- ``sync_state``: one row (made here) with the server's address, the signed-in user, the pull cursor,
  the last success, attempt and error, and the measured clock offset. The device token is not stored
  in the database (sync.token_store).
- ``sync_problems``: a local change the server rejected, or that could not be re-applied on top of
  newer server rows: the user's args beside the server's version of the row.
- ``sync_rows``: the version at which the server last sent a row (when not 1), or null once it said
  to forget it; desktop.integrity accounts for server-counted versions with it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None
# The step as the start-up progress window names it (desktop.migrate.step_names).
summary_zh = "增加同步状态"
summary_en = "Adding the sync state"

TS = sa.String(27)  # UTC time as fixed-width text (desktop.types.UTCDateTime)


def upgrade() -> None:
    op.create_table(
        "sync_state",
        sa.Column("singleton", sa.Integer, primary_key=True),
        sa.Column("server_url", sa.String(500)),
        sa.Column("user_id", sa.String(36)),
        sa.Column("cursor", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("last_success_at", TS),
        sa.Column("last_attempt_at", TS),
        sa.Column("last_error", sa.JSON),
        sa.Column("server_time_offset_s", sa.Float),
        sa.CheckConstraint("singleton = 1", name="ck_sync_state_singleton"),
    )
    op.execute("INSERT INTO sync_state (singleton, cursor) VALUES (1, 0)")
    op.create_table(
        "sync_problems",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("outbox_seq", sa.Integer, sa.ForeignKey("outbox.seq"), nullable=False),
        sa.Column("mutation", sa.String(64), nullable=False),
        sa.Column("args", sa.JSON, nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("entity_id", sa.String(36), nullable=False),
        sa.Column("server_row", sa.JSON),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("field", sa.String(64)),
        sa.Column("message_zh", sa.Text, nullable=False),
        sa.Column("message_en", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("resolved_at", TS),
        sa.CheckConstraint("source IN ('rejected', 'replay')", name="ck_sync_problems_source"),
    )
    op.create_index("ix_sync_problems_open", "sync_problems", ["resolved_at", "outbox_seq"])
    op.create_table(
        "sync_rows",
        sa.Column("table_name", sa.String(32), primary_key=True),
        sa.Column("row_id", sa.String(36), primary_key=True),
        sa.Column("version", sa.Integer),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    for table in ("sync_rows", "sync_problems", "sync_state"):
        op.drop_table(table)
