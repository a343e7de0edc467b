"""The change log names the device that holds a row as written: the device whose pushed mutation
wrote it exactly as that device's own run did. Its pulls leave such entries out (sync.server.changes).
Existing entries name none: they are sent as before.

Revision ID: s0013
Revises: s0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0013"
down_revision = "s0009"
branch_labels = None
depends_on = None

summary_zh = "变更日志记录写入该行的设备，该设备拉取时不再收到自己已有的行"
summary_en = "The change log names the device that wrote a row, whose pulls leave out the rows it holds already"


def upgrade() -> None:
    with op.batch_alter_table("server_change_log") as batch:
        batch.add_column(sa.Column("device_id", sa.String(36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("server_change_log") as batch:
        batch.drop_column("device_id")
