"""A next step with a due date is a follow-up with an owner, open until that owner closes it (done,
postponed to a new date, or handed over) - no longer closed by whatever touchpoint happens to come
next on the customer, someone else's or an imported one.

Existing data: the follow-ups Today's plan showed (the latest submitted touchpoint of a customer with
a dated next step) stay open, owned by the customer's owner, whose plan showed them. Every earlier
dated next step was closed by a later touchpoint under the old rule: those become "done" with no
closing time or closer (nobody closed them on purpose); re-opening them would bury each rep's plan
under months of old steps.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None
# The step as the start-up progress window names it (desktop.migrate.step_names).
summary_zh = "建立待跟进事项"
summary_en = "Setting up follow-ups"

TS = sa.String(27)  # UTC time as fixed-width text (desktop.types.UTCDateTime)

# The same rule as desktop.follow_ups.SETTLE (frozen here: a migration never changes with the code).
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
    with op.batch_alter_table("touchpoints", recreate="never") as batch:
        batch.add_column(sa.Column("follow_up", sa.String(8), nullable=False, server_default=""))
        batch.add_column(sa.Column("follow_up_owner_id", sa.String(36)))
        batch.add_column(sa.Column("follow_up_closed_at", TS))
        batch.add_column(sa.Column("follow_up_closed_by", sa.String(36)))
        batch.add_column(sa.Column("follow_up_done_in", sa.String(36)))
    for statement in SETTLE:
        op.execute(statement)
    op.create_index("ix_touchpoints_follow_up", "touchpoints", ["follow_up_owner_id", "follow_up", "next_step_due"])


def downgrade() -> None:
    op.drop_index("ix_touchpoints_follow_up", "touchpoints")
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+): recreating the table would cascade-delete attachments.
    with op.batch_alter_table("touchpoints", recreate="never") as batch:
        for name in ("follow_up_done_in", "follow_up_closed_by", "follow_up_closed_at", "follow_up_owner_id",
                     "follow_up"):
            batch.drop_column(name)
