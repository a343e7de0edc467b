"""Each approval keeps what its round required at the decision, as on the desktop
(migrations/versions/0009, whose reasons this repeats: the two Alembic lines are frozen separately).

Revision ID: s0009
Revises: s0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0009"
down_revision = "s0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("approvals") as batch:
        batch.add_column(sa.Column("required", sa.JSON, nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("approvals") as batch:
        batch.drop_column("required")
