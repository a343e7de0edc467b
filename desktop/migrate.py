"""Schema migrations at start-up: back up, upgrade with Alembic, restore the backup if anything fails.

- The backup uses SQLite's online backup API: a plain file copy can miss pages still in the WAL.
- Migrations run with ``foreign_keys=OFF``: Alembic's batch mode rebuilds a table by copying it and
  dropping the old one, and with foreign keys on, that DROP would cascade-delete child rows. After
  the upgrade, ``PRAGMA foreign_key_check`` must find nothing, or the migration counts as failed.
- A database stamped with a revision this version does not know was written by a newer version;
  it is refused and left untouched.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

KEEP_BACKUPS = 5


class MigrationError(Exception):
    """Base for start-up database problems; carries a message in Chinese and in English."""

    def __init__(self, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.message_zh = message_zh
        self.message_en = message_en

    def message(self, language: str) -> str:
        return self.message_zh if language.lower().startswith("zh") else self.message_en


class DatabaseTooNew(MigrationError):
    """The database was written by a newer Fieldmark."""


class NotAFieldmarkDatabase(MigrationError):
    """The file holds tables but no Fieldmark schema stamp."""


class MigrationFailed(MigrationError):
    """The upgrade failed; the backup (if any) has been restored."""

    def __init__(self, message_zh: str, message_en: str, backup: Path | None) -> None:
        super().__init__(message_zh, message_en)
        self.backup = backup


def default_script_location() -> str:
    return str(resources.files("migrations"))


def alembic_config(script_location: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", script_location or default_script_location())
    return cfg


def head_revision(script_location: str | None = None) -> str:
    """The schema version this code writes (the Alembic head)."""
    head = ScriptDirectory.from_config(alembic_config(script_location)).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def backup_database(source: Path, target: Path) -> Path:
    """Copy a live SQLite database (WAL included) to target with the online backup API."""
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(source)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    return target


def restore_database(backup: Path, target: Path) -> None:
    """Write the backup's pages over target through SQLite, so target's WAL stays consistent."""
    src = sqlite3.connect(backup)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
            dst.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            dst.close()
    finally:
        src.close()


def _prune_backups(folder: Path, stem: str) -> None:
    backups = sorted(folder.glob(f"{stem}-{'[0-9]' * 8}T*.db"))
    for old in backups[:-KEEP_BACKUPS]:
        old.unlink(missing_ok=True)


def _read_stamp(path: Path) -> tuple[str | None, bool]:
    """(schema revision stamped in the file, whether it holds any table), without changing the file."""
    if not path.exists() or path.stat().st_size == 0:
        return None, False
    conn = sqlite3.connect(path)
    try:
        tables = {name for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'")}
        if "alembic_version" not in tables:
            return None, bool(tables)
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return (row[0] if row else None), True
    finally:
        conn.close()


def upgrade(engine: Engine, path: Path, *, backup_dir: Path, script_location: str | None = None) -> Path | None:
    """Bring the database at path to the head revision. Returns the backup made, if any."""
    cfg = alembic_config(script_location)
    script = ScriptDirectory.from_config(cfg)
    head = script.get_current_head()
    # Read on a plain connection: the engine's connections switch the file to WAL, which rewrites
    # its header, and a file we refuse must be left exactly as it was.
    current, has_tables = _read_stamp(path)
    if current == head:
        return None
    if current is None:
        if has_tables:
            raise NotAFieldmarkDatabase(
                f"{path} 不是 Fieldmark 数据库（含有其他表），未做任何改动。",
                f"{path} is not a Fieldmark database (it holds other tables); nothing was changed.")
    else:
        known = {rev.revision for rev in script.walk_revisions()}
        if current not in known:
            raise DatabaseTooNew(
                f"此数据库由更新版本的 Fieldmark 写入（结构版本 {current}），请升级本程序后再打开。文件未做任何改动。",
                f"This database was written by a newer Fieldmark (schema {current}); "
                "please upgrade the app to open it. The file was not changed.")

    backup: Path | None = None
    if current is not None:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        backup = backup_database(path, backup_dir / f"{path.stem}-{stamp}-{current}.db")
    try:
        _run_upgrade(engine, cfg)
    except Exception as exc:
        engine.dispose()
        if backup is not None:
            restore_database(backup, path)
            raise MigrationFailed(
                f"数据库升级失败，已从备份恢复，数据没有丢失。备份文件：{backup}。原因：{exc}",
                f"The database upgrade failed and the backup was restored; no data was lost. "
                f"Backup: {backup}. Cause: {exc}", backup) from exc
        raise MigrationFailed(f"新建数据库失败：{exc}", f"Creating the database failed: {exc}", None) from exc
    if backup is not None:
        _prune_backups(backup_dir, path.stem)
    return backup


def _run_upgrade(engine: Engine, cfg: Config) -> None:
    with engine.connect() as conn:
        # Must be set outside a transaction (SQLite ignores it inside one), hence on the raw connection.
        raw = conn.connection.dbapi_connection
        assert raw is not None
        raw.execute("PRAGMA foreign_keys=OFF")
        try:
            conn = conn.execution_options(fm_writer="migration")
            with conn.begin():
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                problems: list[Any] = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if problems:
                    raise RuntimeError(f"foreign key check failed after migration: {problems[:5]}")
        finally:
            raw.execute("PRAGMA foreign_keys=ON")
