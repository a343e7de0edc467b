"""The organisation's limit on offline sign-in: ``sync_state.offline_days``, the number of days since
the last successful contact with the server within which a synced desktop still signs in offline, as
the server sent it (null: the app's own setting, 30 days unless changed; desktop.auth).

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None
# The step as the start-up progress window names it (desktop.migrate.step_names).
summary_zh = "记录单位规定的离线登录期限"
summary_en = "Keeping the organisation's limit on offline sign-in"


def upgrade() -> None:
    with op.batch_alter_table("sync_state", recreate="never") as batch:
        batch.add_column(sa.Column("offline_days", sa.Integer, nullable=True))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+), as 0006 does.
    with op.batch_alter_table("sync_state", recreate="never") as batch:
        batch.drop_column("offline_days")
