"""A first pull loads the server's snapshot into tables whose secondary indexes are set aside, and
makes them again once at the end: ``sync_bulk`` holds, while that lasts, where the load stands (the
last frame's token, the snapshot's change-log head, rows loaded of how many, whether it spans more
than one answer) and the SQL of the indexes set aside, so that a crash never leaves the store
without them (desktop.bulk_pull).

Revision ID: 0013
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None
# The step as the start-up progress window names it (desktop.migrate.step_names).
summary_zh = "为首次下载准备快速载入"
summary_en = "Preparing the fast first download"

TS = sa.String(27)  # UTC time as fixed-width text (desktop.types.UTCDateTime)


def upgrade() -> None:
    op.create_table(
        "sync_bulk",
        sa.Column("singleton", sa.Integer, primary_key=True),
        sa.Column("token", sa.String(200)),
        sa.Column("head", sa.Integer, nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("loaded", sa.Integer, nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("dropped", sa.JSON, nullable=False),
        sa.Column("set_aside", sa.Boolean, nullable=False),
        sa.Column("resumed", sa.Boolean, nullable=False),
        sa.CheckConstraint("singleton = 1", name="ck_sync_bulk_singleton"),
    )


def downgrade() -> None:
    op.drop_table("sync_bulk")
