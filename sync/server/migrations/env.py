"""Alembic environment for the server: runs on the connection sync.server.schema hands over."""

from __future__ import annotations

from alembic import context

from desktop.models import DATA_TABLES, Base
from sync.server.models import ServerBase

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run the server's migrations through sync.server.schema.upgrade")


def include_object(obj, name, type_, reflected, compare_to):  # noqa: ANN001 - Alembic's hook
    return type_ != "table" or name in DATA_TABLES or name in ServerBase.metadata.tables


context.configure(connection=connection, target_metadata=[Base.metadata, ServerBase.metadata],
                  include_object=include_object, compare_type=True,
                  version_table="server_alembic_version")
with context.begin_transaction():
    context.run_migrations()
