"""Schema migrations at start-up: back up, upgrade with Alembic, restore the backup if anything fails.

- The backup uses SQLite's online backup API: a plain file copy can miss pages still in the WAL.
- Migrations run with ``foreign_keys=OFF``: Alembic's batch mode rebuilds a table by copying it and
  dropping the old one, and with foreign keys on, that DROP would cascade-delete child rows. After
  the upgrade, ``PRAGMA foreign_key_check`` must find nothing, or the migration counts as failed.
- A database stamped with a revision this version does not know was written by a newer version;
  it is refused and left untouched.
- The whole upgrade is one transaction: a process killed half-way leaves the file as it was (SQLite
  ignores the uncommitted pages), and the next start upgrades it again.
- Progress: ``upgrade`` reports each step (backup, each revision, the foreign-key check) to an optional
  reporter; a migration with long inner loops reports finer progress through :func:`report` or
  :func:`in_batches`, which do nothing when no one listens (the alembic CLI, the tests).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

KEEP_BACKUPS = 5
BACKUP_PAGES_PER_STEP = 2048  # 8 MiB at SQLite's default page size: a step of the backup's progress
BATCH_ROWS = 20_000  # rows per statement of in_batches: fine progress, no measurable cost


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

    def __init__(self, message_zh: str, message_en: str, backup: Path | None, *, cause: str = "") -> None:
        super().__init__(message_zh, message_en)
        self.backup = backup
        self.cause = cause

    def for_window(self, language: str) -> str:
        """The message without the technical cause (an SQL error, a traceback's last line): that goes
        to the log file for support staff, not into a window."""
        text = self.message(language)
        marker = "原因：" if language.lower().startswith("zh") else "Cause: "
        if self.cause and text.endswith(marker + self.cause):
            return text[:-len(marker + self.cause)].rstrip()
        return text


@dataclass(frozen=True)
class UpgradeProgress:
    """Where an upgrade stands: step ``step`` of ``steps`` (1-based), named in both languages, with the
    fraction done of that step and what it is doing now (empty when the step says it all)."""

    step: int
    steps: int
    name_zh: str
    name_en: str
    fraction: float = 0.0
    detail_zh: str = ""
    detail_en: str = ""
    backed_up: bool = False
    start: float = 0.0  # where the step starts on the whole upgrade's bar, and how much of it it takes
    share: float = 1.0

    @property
    def overall(self) -> float:
        """The fraction of the whole upgrade done, for a progress bar."""
        return self.start + self.share * min(max(self.fraction, 0.0), 1.0)

    def name(self, language: str) -> str:
        return self.name_zh if language.lower().startswith("zh") else self.name_en

    def detail(self, language: str) -> str:
        return self.detail_zh if language.lower().startswith("zh") else self.detail_en


Reporter = Callable[[UpgradeProgress], None]
BACKUP_STEP = ("备份数据库", "Backing up the database")
CHECK_STEP = ("检查数据之间的关联", "Checking the links between the records")
BACKUP_WEIGHT, CHECK_WEIGHT = 0.1, 0.15  # against 1 for a revision (UpgradePlan.shares)

# The step under way: set by upgrade() for the migrations it runs on this thread; None otherwise.
_step: ContextVar[Callable[[float, str, str], None] | None] = ContextVar("fieldmark_migration_step", default=None)


def report(fraction: float, detail_zh: str = "", detail_en: str = "") -> None:
    """For migrations: how far the current revision is (0..1) and what it does now, in both languages.
    Does nothing when the upgrade was not started with a reporter."""
    step = _step.get()
    if step is not None:
        step(fraction, detail_zh, detail_en)


def in_batches(conn: Connection, table: str, statement: str, detail_zh: str = "", detail_en: str = "", *,
               start: float = 0.0, share: float = 1.0, rows: int = BATCH_ROWS) -> None:
    """For migrations: run statement (bound to ``:low`` and ``:high``, a rowid range of table) over
    every row of table, a batch at a time, reporting progress from start to start + share. The same
    work as one statement over the whole table, in the same transaction; only the progress is finer."""
    total, high = conn.execute(text(f"SELECT count(*), max(rowid) FROM {table}")).one()
    report(start, detail_zh, detail_en)
    sql = text(statement)
    # Each batch ends at the rows-th rowid from where it starts: rowids may have gaps (deleted rows).
    boundary = text(f"SELECT rowid FROM {table} WHERE rowid >= :low ORDER BY rowid LIMIT 1 OFFSET :skip")
    low, done = conn.execute(text(f"SELECT min(rowid) FROM {table}")).scalar(), 0
    while low is not None and low <= high:
        last = conn.execute(boundary, {"low": low, "skip": rows - 1}).scalar()
        last = high if last is None else last
        conn.execute(sql, {"low": low, "high": last})
        done += rows
        report(start + share * min(1.0, done / total), detail_zh, detail_en)
        low = last + 1


def step_names(script: Any) -> tuple[str, str]:
    """A revision's step as the progress window names it: its ``summary_zh``/``summary_en``, or its id."""
    module = script.module
    return (getattr(module, "summary_zh", f"应用结构版本 {script.revision}"),
            getattr(module, "summary_en", f"Applying schema version {script.revision}"))


def default_script_location() -> str:
    return str(resources.files("migrations"))


def alembic_config(script_location: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", script_location or default_script_location())
    return cfg


_packaged_scripts: ScriptDirectory | None = None


def _scripts(cfg: Config, script_location: str | None) -> ScriptDirectory:
    # The packaged migrations cannot change while the app runs: read them once, so checking at start-up
    # whether the database needs upgrading costs a file read, not a second parse of every revision.
    global _packaged_scripts
    if script_location is not None:
        return ScriptDirectory.from_config(cfg)
    if _packaged_scripts is None:
        _packaged_scripts = ScriptDirectory.from_config(cfg)
    return _packaged_scripts


def head_revision(script_location: str | None = None) -> str:
    """The schema version this code writes (the Alembic head)."""
    head = _scripts(alembic_config(script_location), script_location).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def backup_database(source: Path, target: Path, progress: Callable[[float], None] | None = None) -> Path:
    """Copy a live SQLite database (WAL included) to target with the online backup API."""
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(source)
    try:
        dst = sqlite3.connect(target)
        try:
            if progress is None:
                src.backup(dst)
            else:
                src.backup(dst, pages=BACKUP_PAGES_PER_STEP,
                           progress=lambda _status, remaining, total: progress(1 - remaining / (total or 1)))
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


@dataclass(frozen=True)
class UpgradePlan:
    """What bringing a database to head takes: the revision it is at (None: a new file) and the
    revisions to apply, oldest first."""

    current: str | None
    revisions: tuple[Any, ...]

    @property
    def creating(self) -> bool:
        """A new, empty file: made in a moment, nothing to back up."""
        return self.current is None

    def steps(self) -> list[tuple[str, str]]:
        """The steps as the progress window lists them (Chinese, English)."""
        return ([BACKUP_STEP] if not self.creating else []) + [step_names(r) for r in self.revisions] + [CHECK_STEP]

    def shares(self) -> list[float]:
        """Each step's part of the progress bar. On the large data set (docs/PERFORMANCE.md) the backup
        took about a twelfth of what 0008 did and the check about a tenth: a bar of equal thirds would race
        through the backup and then crawl."""
        weights = ([BACKUP_WEIGHT] if not self.creating else []) + [1.0] * len(self.revisions) + [CHECK_WEIGHT]
        return [w / sum(weights) for w in weights]


def plan_upgrade(path: Path, script_location: str | None = None) -> UpgradePlan | None:
    """What the database at path needs to reach head; None when it is there. Cheap (reads the stamp
    only) and changes nothing; a file this version must refuse raises here already."""
    cfg = alembic_config(script_location)
    script = _scripts(cfg, script_location)
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
    revisions = tuple(reversed(list(script.iterate_revisions(head, current or "base"))))
    return UpgradePlan(current, revisions)


def upgrade(engine: Engine, path: Path, *, backup_dir: Path, script_location: str | None = None,
            progress: Reporter | None = None) -> Path | None:
    """Bring the database at path to the head revision. Returns the backup made, if any.

    ``progress`` hears of each step as it starts and of the finer progress within it."""
    plan = plan_upgrade(path, script_location)
    if plan is None:
        return None
    cfg = alembic_config(script_location)
    steps, shares = plan.steps(), plan.shares()
    state = {"step": 0, "backed_up": False}

    def tell(fraction: float = 0.0, detail_zh: str = "", detail_en: str = "") -> None:
        if progress is not None:
            n = state["step"]
            progress(UpgradeProgress(n + 1, len(steps), *steps[n], fraction, detail_zh, detail_en,
                                     bool(state["backed_up"]), sum(shares[:n]), shares[n]))

    def next_step() -> None:
        state["step"] = min(state["step"] + 1, len(steps) - 1)
        tell()

    backup: Path | None = None
    current = plan.current
    if current is not None:
        tell()
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        backup = backup_database(path, backup_dir / f"{path.stem}-{stamp}-{current}.db",
                                 None if progress is None else lambda fraction: tell(fraction))
        state["backed_up"] = True
        next_step()
    else:
        tell()
    token = _step.set(tell if progress is not None else None)
    try:
        # Alembic calls on_version_apply (migrations/env.py) after each revision: the next step starts.
        cfg.attributes["on_version_apply"] = lambda **_kw: next_step()
        _run_upgrade(engine, cfg)
    except Exception as exc:
        engine.dispose()
        if backup is not None:
            restore_database(backup, path)
            raise MigrationFailed(
                f"数据库升级失败，已从备份恢复，数据没有丢失。备份文件：{backup}。原因：{exc}",
                f"The database upgrade failed and the backup was restored; no data was lost. "
                f"Backup: {backup}. Cause: {exc}", backup, cause=str(exc)) from exc
        raise MigrationFailed(f"新建数据库失败。原因：{exc}", f"Creating the database failed. Cause: {exc}", None,
                              cause=str(exc)) from exc
    finally:
        _step.reset(token)
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
                problems = _foreign_key_problems(conn)
                if problems:
                    raise RuntimeError(f"foreign key check failed after migration: {problems[:5]}")
        finally:
            raw.execute("PRAGMA foreign_keys=ON")


def _foreign_key_problems(conn: Connection) -> list[Any]:
    """PRAGMA foreign_key_check, a table at a time (the same check), so that on a large database the
    progress window sees it advance: the touchpoints alone take seconds."""
    tables = [name for (name,) in conn.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%' "
        "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")]
    children = [t for t in tables if conn.exec_driver_sql(f'PRAGMA foreign_key_list("{t}")').first() is not None]
    problems: list[Any] = []
    for done, table in enumerate(children):
        report(done / len(children))
        problems += conn.exec_driver_sql(f'PRAGMA foreign_key_check("{table}")').fetchall()
    report(1.0)
    return problems
