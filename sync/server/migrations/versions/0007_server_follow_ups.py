"""Follow-ups with an owner who closes them, as on the desktop (migrations/versions/0007, whose reasons
and backfill this repeats: the two Alembic lines are frozen separately).

Revision ID: s0007
Revises: s0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0007"
down_revision = "s0006"
branch_labels = None
depends_on = None

TS = sa.String(27)  # UTC time as fixed-width text, as on the desktop

DATED = "status = 'submitted' AND next_step <> '' AND next_step_due IS NOT NULL"
SETTLE = [
    f"UPDATE touchpoints SET follow_up = 'done', follow_up_owner_id = user_id WHERE {DATED}",
    f"""UPDATE touchpoints SET follow_up = 'open',
            follow_up_owner_id = (SELECT c.owner_id FROM customers c WHERE c.id = touchpoints.customer_id)
        WHERE {DATED} AND NOT EXISTS (
            SELECT 1 FROM touchpoints later WHERE later.customer_id = touchpoints.customer_id
              AND later.status = 'submitted' AND later.occurred_at > touchpoints.occurred_at)""",
]


def upgrade() -> None:
    op.add_column("touchpoints", sa.Column("follow_up", sa.String(8), nullable=False, server_default=""))
    op.add_column("touchpoints", sa.Column("follow_up_owner_id", sa.String(36)))
    op.add_column("touchpoints", sa.Column("follow_up_closed_at", TS))
    op.add_column("touchpoints", sa.Column("follow_up_closed_by", sa.String(36)))
    op.add_column("touchpoints", sa.Column("follow_up_done_in", sa.String(36)))
    for statement in SETTLE:
        op.execute(statement)
    op.create_index("ix_touchpoints_follow_up", "touchpoints", ["follow_up_owner_id", "follow_up", "next_step_due"])


def downgrade() -> None:
    op.drop_index("ix_touchpoints_follow_up", "touchpoints")
    with op.batch_alter_table("touchpoints") as batch:
        for name in ("follow_up_done_in", "follow_up_closed_by", "follow_up_closed_at", "follow_up_owner_id",
                     "follow_up"):
            batch.drop_column(name)
