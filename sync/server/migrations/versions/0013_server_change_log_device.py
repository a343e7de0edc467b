"""The change log names the device that holds a row as written: the device whose pushed mutation
wrote it exactly as that device's own run did. Its pulls leave such entries out (sync.server.changes).
Existing entries name none: they are sent as before. And an index finds a device's mutations that
wait for a file still on its way (server_processed.status "waiting", sync.server.push).

Revision ID: s0013
Revises: s0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0013"
down_revision = "s0012"
branch_labels = None
depends_on = None

summary_zh = "变更日志记录写入该行的设备（其拉取不再收到自己已有的行）；等待文件的修改可快速查到"
summary_en = "The change log names the device that wrote a row (its pulls leave out what it holds); waiting changes are indexed"


def upgrade() -> None:
    with op.batch_alter_table("server_change_log") as batch:
        batch.add_column(sa.Column("device_id", sa.String(36), nullable=True))
        batch.add_column(sa.Column("device_seq", sa.Integer, nullable=True))
    op.create_index("ix_processed_device_status", "server_processed", ["device_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_processed_device_status", table_name="server_processed")
    with op.batch_alter_table("server_change_log") as batch:
        batch.drop_column("device_seq")
        batch.drop_column("device_id")
