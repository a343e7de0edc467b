"""The server's identity and epoch: one row naming this server (a random id, made here) and the epoch
of its change log (1). Every cursor carries both, so a cursor issued before a restore from a backup
or a change-log reset (``fieldmark-server epoch new``), or by another server, is recognised
(docs/design-sync-server.md, "Restores and resets").

Revision ID: s0010
Revises: s0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "s0010"
down_revision = "s0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "server_identity",
        sa.Column("singleton", sa.Integer, primary_key=True),
        sa.Column("server_id", sa.String(36), nullable=False),
        sa.Column("epoch", sa.Integer, nullable=False),
        sa.Column("epoch_started_at", sa.String(27), nullable=False),  # desktop.types.UTCDateTime
        sa.Column("note", sa.String(500), nullable=False),
    )
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    op.bulk_insert(table, [{"singleton": 1, "server_id": str(uuid.uuid4()), "epoch": 1, "epoch_started_at": now,
                            "note": ""}])


def downgrade() -> None:
    op.drop_table("server_identity")
