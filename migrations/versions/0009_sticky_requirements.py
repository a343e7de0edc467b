"""Each approval keeps what its round required at the decision (the requirements with their reasons),
so a requirement that fired in a round stays in force for the rest of it: a quote can no longer wait
for an approval nobody may give once the rate moves back (docs/design-quotes.md, "No dead state").
Existing approvals get an empty list: their rounds keep what they required at submission.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None
# The step as the start-up progress window names it (desktop.migrate.step_names).
summary_zh = "为审批记录保存当轮所需的审批"
summary_en = "Keeping with each approval what its round required"


def upgrade() -> None:
    with op.batch_alter_table("approvals", recreate="never") as batch:
        batch.add_column(sa.Column("required", sa.JSON, nullable=False, server_default="[]"))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+), as 0006 does.
    with op.batch_alter_table("approvals", recreate="never") as batch:
        batch.drop_column("required")
