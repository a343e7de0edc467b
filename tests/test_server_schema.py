"""The server's own Alembic line builds exactly the tables the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, text

from desktop.models import DATA_TABLES, Base
from sync.server.db import create_schema, make_engine
from sync.server.models import ServerBase


def _url(kind: str, tmp_path, request) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'server.db'}"
    return request.getfixturevalue("postgres").database()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_migrations_match_the_models(kind, tmp_path, request):
    engine = make_engine(_url(kind, tmp_path, request))
    create_schema(engine)
    create_schema(engine)  # a second start finds nothing to do
    target = MetaData()
    for table in [Base.metadata.tables[name] for name in DATA_TABLES] + list(ServerBase.metadata.tables.values()):
        table.to_metadata(target)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "compare_type": True,
            "include_object": lambda obj, name, type_, reflected, other:
                type_ != "table" or name in target.tables})
        assert compare_metadata(context, target) == []
    engine.dispose()


def test_a_database_from_a_newer_server_is_refused(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'server.db'}")
    create_schema(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE server_alembic_version SET version_num = 's9999'"))
    with pytest.raises(RuntimeError, match="newer Fieldmark server"):
        create_schema(engine)
