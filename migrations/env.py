"""Alembic environment: runs on the connection desktop.migrate hands over (never opens its own)."""

from __future__ import annotations

from alembic import context

from desktop.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through desktop.migrate (fieldmark opens the database itself)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite alters tables by rebuilding them
    compare_type=True,
    # desktop.migrate's progress: the next step starts once a revision is applied (absent from the CLI).
    on_version_apply=context.config.attributes.get("on_version_apply", lambda **_kw: None),
)
with context.begin_transaction():
    context.run_migrations()
