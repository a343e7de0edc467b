"""Bringing the server's database to this version's schema with its own Alembic line."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

MIGRATION_LOCK = 7_346_002  # advisory lock: two server processes starting together migrate once


def config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("sync.server.migrations")))
    return cfg


def upgrade(engine: Engine) -> None:
    """Migrate to head; refuse a database whose revision this version does not know (a newer server's)."""
    cfg = config()
    script = ScriptDirectory.from_config(cfg)
    with engine.connect() as conn:
        # Serialised: server processes starting together (serve --workers N, a command run meanwhile)
        # migrate once; the others wait, then find the schema current. On SQLite the write option
        # makes the transaction BEGIN IMMEDIATE (sync.server.db), which takes the file's writer lock.
        conn = conn.execution_options(write=True)
        with conn.begin():
            if engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK})
            current = MigrationContext.configure(conn, opts={"version_table": "server_alembic_version"}) \
                .get_current_revision()
            if current is not None and current not in {r.revision for r in script.walk_revisions()}:
                raise RuntimeError(f"the database was written by a newer Fieldmark server (schema {current}); "
                                   "upgrade the server")
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")


def current(engine: Engine) -> str | None:
    """The schema revision the database is at (None: never migrated)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn, opts={"version_table": "server_alembic_version"}) \
            .get_current_revision()
