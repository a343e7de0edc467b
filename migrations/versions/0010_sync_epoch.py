"""Sync: which server and epoch the pull cursor belongs to, and a whole re-read after a restore.

- ``sync_state`` gains ``server_id``, ``epoch`` and ``cursor_mark``: the cursor means something only
  for the change log it was read from, and the server refuses one from another server, from an
  earlier epoch, or one that no longer stands on the entry it was issued on (a server restored from a
  backup); and ``reset_notice``: why this computer last read everything again, for the window to say.
- ``sync_reread``: while the device reads its whole scope again, the rows it held before that the
  server has not sent since; those left at the end are rows the server no longer has.

Cursors kept before this have no server or epoch: the server checks what it can (the head) and the
next page brings both.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None
# The step as the start-up progress window names it (desktop.migrate.step_names).
summary_zh = "记录同步位置所属的服务器与纪元"
summary_en = "Recording which server and epoch the sync position belongs to"


def upgrade() -> None:
    with op.batch_alter_table("sync_state", recreate="never") as batch:
        batch.add_column(sa.Column("server_id", sa.String(36)))
        batch.add_column(sa.Column("epoch", sa.Integer))
        batch.add_column(sa.Column("cursor_mark", sa.String(32)))
        batch.add_column(sa.Column("reset_notice", sa.JSON))
    op.create_table(
        "sync_reread",
        sa.Column("table_name", sa.String(32), primary_key=True),
        sa.Column("row_id", sa.String(36), primary_key=True),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("sync_reread")
    with op.batch_alter_table("sync_state", recreate="never") as batch:
        for name in ("reset_notice", "cursor_mark", "epoch", "server_id"):
            batch.drop_column(name)
