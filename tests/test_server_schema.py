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


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_processes_starting_together_on_a_new_database_migrate_it_once(kind, tmp_path, request):
    """Three `fieldmark-server migrate` at once on an empty database (as workers and an administrator's
    command may start together): all succeed, and the schema is this version's."""
    import subprocess
    import sys

    from sync.server import schema

    url = _url(kind, tmp_path, request)
    command = [sys.executable, "-m", "sync.server.cli", "--data-dir", str(tmp_path), "--database-url", url, "migrate"]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    answers = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], [err for _out, err in answers]
    engine = make_engine(url)
    head = schema.ScriptDirectory.from_config(schema.config()).get_current_head()
    assert schema.current(engine) == head
    assert all(head in out for out, _err in answers)
    engine.dispose()


def test_a_database_from_a_newer_server_is_refused(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'server.db'}")
    create_schema(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE server_alembic_version SET version_num = 's9999'"))
    with pytest.raises(RuntimeError, match="newer Fieldmark server"):
        create_schema(engine)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_s0008_fills_the_sort_keys_and_phone_digits_of_existing_rows(kind, tmp_path, request):
    from alembic import command

    from desktop import derived
    from sync.server import schema

    engine = make_engine(_url(kind, tmp_path, request))
    cfg = schema.config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "s0007")
        now = "2026-12-01T00:00:00.000000Z"
        conn.execute(text("INSERT INTO users (id, username, display_name, role, territory, team, password_hash, "
                          "active, created_at, updated_at, version) VALUES ('u1', 'zeng', '曾强', 'field_rep', '', "
                          "'', 'x', true, :now, :now, 1)"), {"now": now})
        conn.execute(text("INSERT INTO customers (id, name, short_name, owner_id, region, city, address, industry, "
                          "segment, status, phone, notes, created_at, updated_at, version) VALUES ('c1', "
                          "'ＡＢＢ（重庆）有限公司', '', 'u1', '', '', '', '', 'standard', 'active', "
                          "'+86 23 6666 0000', '', :now, :now, 1)"), {"now": now})
        conn.execute(text("INSERT INTO contacts (id, customer_id, name, title, decision_role, phone, wechat, email, "
                          "notes, created_at, updated_at, version) VALUES ('k1', 'c1', '单雄信', '', 'user', "
                          "'138-0013-8000', '', '', '', :now, :now, 1)"), {"now": now})
    create_schema(engine)  # on to head, as the server does at start
    with engine.connect() as conn:
        assert tuple(conn.execute(text("SELECT name_sort, name_key, phone_digits FROM customers")).one()) == \
            tuple(derived.customer_columns("ＡＢＢ（重庆）有限公司", "+86 23 6666 0000").values())
        assert tuple(conn.execute(text("SELECT name_sort, phone_digits FROM contacts")).one()) == \
            (derived.contact_columns("单雄信", "")["name_sort"], "13800138000")
        assert conn.execute(text("SELECT name_sort FROM users")).scalar_one().startswith("zeng!qiang ")
    engine.dispose()
