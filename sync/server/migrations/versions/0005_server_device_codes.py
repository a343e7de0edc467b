"""Device codes assigned by the server: short, unique, and the middle part of the quote numbers a
device makes ("Q20261127-D3-0007"). Devices registered before this get codes in registration order.

Revision ID: s0005
Revises: s0004
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0005"
down_revision = "s0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("server_devices") as batch:
        batch.add_column(sa.Column("code", sa.String(16), nullable=True))
    devices = sa.table("server_devices", sa.column("id", sa.String), sa.column("code", sa.String),
                       sa.column("created_at", sa.String))
    bind = op.get_bind()
    ids = bind.execute(sa.select(devices.c.id).order_by(devices.c.created_at, devices.c.id)).scalars().all()
    for number, device_id in enumerate(ids, start=1):
        bind.execute(devices.update().where(devices.c.id == device_id).values(code=f"D{number}"))
    op.create_index("ix_server_devices_code", "server_devices", ["code"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_server_devices_code", "server_devices")
    with op.batch_alter_table("server_devices") as batch:
        batch.drop_column("code")
