"""Evidence files sent to the server: who sent which file (by SHA-256), from which device, and when.

Revision ID: s0003
Revises: s0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0003"
down_revision = "s0002"
branch_labels = None
depends_on = None

TS = sa.String(27)  # UTC time as fixed-width text, as on the desktop


def upgrade() -> None:
    op.create_table(
        "server_uploads",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(36), primary_key=True),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("uploaded_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("server_uploads")
