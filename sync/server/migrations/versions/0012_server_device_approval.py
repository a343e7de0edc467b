"""Devices an administrator approves: ``server_devices.approved_at``, null while a device registered
under ``fieldmark-server serve --approve-devices`` waits for ``fieldmark-server device approve``.
Devices registered before this count as approved when they registered.

Revision ID: s0012
Revises: s0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0012"
down_revision = "s0011"
branch_labels = None
depends_on = None
summary_zh = "设备需经管理员批准（记录批准时间）"
summary_en = "Devices approved by an administrator (the time of approval)"


def upgrade() -> None:
    with op.batch_alter_table("server_devices") as batch:
        batch.add_column(sa.Column("approved_at", sa.String(27), nullable=True))  # UTC time as text, as s0001
    op.execute("UPDATE server_devices SET approved_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("server_devices") as batch:
        batch.drop_column("approved_at")
