"""Start-up upgrade of a database written by an older version: a progress window in the user's language,
the event loop live while it runs on its own thread, and a process killed half-way loses nothing."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest
from alembic import command
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop import integrity, migrate, search
from desktop.store import make_engine, open_store
from ui import i18n, startup
from ui.forms import alive
from ui.progress import ProgressDialog

ROOT = Path(__file__).resolve().parent.parent
OLD = "0007"


def _steps() -> int:
    """The progress window's step count from OLD: the backup, each revision after it, the check."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config())
    return len(list(script.iterate_revisions("head", OLD))) + 2
TABLES = ("users", "customers", "contacts", "touchpoints", "attachments", "quotes", "quote_lines", "outbox",
          "audit_log", "approvals", "products", "exchange_rates", "device_state")
# Large enough that rebuilding the touchpoint search index lasts a moment on a loaded machine.
CUSTOMERS, TOUCHPOINTS = 2000, 60_000


def _downgrade(path: Path, revision: str) -> None:
    """Take a database back to revision the way desktop.migrate runs Alembic (on our own connection)."""
    engine = make_engine(path)
    try:
        cfg = migrate.alembic_config()
        with engine.connect() as conn:
            conn = conn.execution_options(fm_writer="migration")
            with conn.begin():
                cfg.attributes["connection"] = conn
                command.downgrade(cfg, revision)
    finally:
        engine.dispose()
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


@pytest.fixture(scope="module")
def folder_at_0007(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo organisation's data folder (made at head by the demo generator), taken back to 0007."""
    folder = tmp_path_factory.mktemp("template-0007") / "data"
    subprocess.run([sys.executable, "-m", "desktop.demo", "--data-dir", str(folder), "--customers", str(CUSTOMERS),
                    "--touchpoints", str(TOUCHPOINTS), "--evidence", "5"], check=True, capture_output=True,
                   timeout=300, cwd=ROOT)
    _downgrade(folder / "fieldmark.db", OLD)
    return folder


@pytest.fixture
def old_folder(folder_at_0007: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(folder_at_0007, folder)
    return folder


def _revision(path: Path) -> str:
    with closing(sqlite3.connect(path)) as db:
        return db.execute("SELECT version_num FROM alembic_version").fetchone()[0]


def _digest(path: Path) -> dict[str, tuple[int, str]]:
    """(rows, hash of every row) of each table: equal digests mean not a value changed."""
    out = {}
    with closing(sqlite3.connect(path)) as db:
        for table in TABLES:
            rows = db.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
            out[table] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
    return out


def _ids(path: Path) -> dict[str, list[str]]:
    with closing(sqlite3.connect(path)) as db:
        return {table: [r[0] for r in db.execute(f"SELECT id FROM {table} ORDER BY id")]
                for table in ("customers", "contacts", "touchpoints", "quotes")}


@pytest.fixture
def chinese(qapp):
    i18n.install(qapp, "zh_CN")
    yield
    i18n.install(qapp, "en")


def _progress_dialog() -> ProgressDialog | None:
    shown = [w for w in QApplication.topLevelWidgets() if isinstance(w, ProgressDialog) and w.isVisible()]
    return shown[0] if shown else None


def test_an_older_database_is_upgraded_behind_a_progress_window_the_event_loop_live(qtbot, old_folder, chinese,
                                                                                    capfd):
    """Opened through the start-up path, a 0007 database shows a progress window in Chinese naming each
    step (the backup first, then 0008, then the check); a timer keeps ticking while the upgrade runs;
    the window cannot be closed half-way; the store opens at head with every row."""
    path = old_folder / "fieldmark.db"
    before = _ids(path)
    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(10)
    labels: list[str] = []
    values: list[int] = []
    opened = []

    def watch() -> None:
        dialog = _progress_dialog()
        if dialog is not None:
            labels.append(dialog.labelText())
            values.append(dialog.value())

    timer.timeout.connect(watch)
    started = time.monotonic()
    startup.open_store_then(path, None, "zh_CN", opened.append)
    assert not opened  # the upgrade runs on its own thread: the event loop goes on
    dialog = _progress_dialog()
    assert dialog is not None and dialog.windowTitle() == "正在升级数据库"
    assert f"第 1 步，共 {_steps()} 步：备份数据库" in dialog.labelText()
    # No Cancel; neither the close box nor Esc takes the window away while the upgrade runs.
    dialog.close()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.isVisible()

    qtbot.waitUntil(lambda: bool(opened), timeout=120_000)
    finished = time.monotonic()
    timer.stop()
    store = opened[0]
    try:
        assert store is not None and store.schema_version == migrate.head_revision()
        assert _revision(path) == migrate.head_revision()
        with store.read() as s:
            assert integrity.check(s) == []
            assert search.search_customers(s, "机械")
    finally:
        store.close()
    assert _ids(path) == before
    assert len(list((old_folder / "backups").glob(f"fieldmark-*-{OLD}.db"))) == 1

    during = [t for t in ticks if started <= t <= finished]
    assert len(during) >= 10, f"the event loop ran {len(during)} times in {finished - started:.1f} s"
    saved = [label for label in labels if label.startswith("正在升级数据库（备份已保存）…")]
    assert any(f"第 2 步，共 {_steps()} 步：补全排序与查找字段，重建搜索索引" in label and "重建拜访记录搜索索引" in label
               for label in saved), labels
    # the check is over too soon for a 10 ms timer to see it; the terminal line says it ran
    assert f"step {_steps()} of {_steps()}: Checking the links between the records" in capfd.readouterr().err
    assert values == sorted(values) and values[-1] > values[0]  # the bar only moves forward
    assert _progress_dialog() is None  # gone once the store is open


def test_a_current_database_opens_at_once_without_a_progress_window(qtbot, store):
    """A database at head needs nothing: it opens here and now, before open_store_then returns."""
    path = store.path
    store.close()
    opened = []
    startup.open_store_then(path, None, "en", opened.append)
    assert len(opened) == 1 and opened[0] is not None and _progress_dialog() is None
    opened[0].close()


def test_a_start_killed_mid_upgrade_leaves_the_data_as_it_was_and_the_next_start_upgrades(old_folder, tmp_path):
    """The app is killed while 0008 rebuilds the touchpoint search index: the file is still at 0007 with
    every row and every value unchanged; the next start upgrades it cleanly, nothing lost."""
    path = old_folder / "fieldmark.db"
    before = _digest(path)
    ids = _ids(path)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    app = subprocess.Popen([sys.executable, "-m", "ui.app", "--data-dir", str(old_folder), "--no-demo", "--lang", "en"],
                           stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env, cwd=ROOT)
    seen = []
    try:
        for line in app.stderr:
            seen.append(line)
            if "Rebuilding the touchpoint search index" in line:
                app.send_signal(signal.SIGKILL)
                break
    finally:
        app.kill()
        app.wait(timeout=30)
    assert any("Rebuilding the touchpoint search index" in line for line in seen), seen
    assert app.returncode == -signal.SIGKILL

    assert _revision(path) == OLD
    assert _digest(path) == before
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert "name_sort" not in [r[1] for r in db.execute("PRAGMA table_info(customers)")]

    shot = tmp_path / "next-start.png"
    subprocess.run([sys.executable, "-m", "ui.app", "--data-dir", str(old_folder), "--no-demo", "--lang", "en",
                    "--screenshot", str(shot)], check=True, capture_output=True, timeout=300, env=env, cwd=ROOT)
    assert shot.exists()
    assert _revision(path) == migrate.head_revision()
    assert _ids(path) == ids
    store = open_store(path)
    try:
        with store.read() as s:
            assert integrity.check(s) == []
            assert s.connection().exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
            assert search.search_touchpoints(s, "报价", limit=5)
    finally:
        store.close()


def test_a_failed_upgrade_restores_the_backup_and_says_so_in_the_users_language(qtbot, old_folder, chinese,
                                                                                 monkeypatch):
    """A 0007 file with a contact whose customer is gone fails the check after the upgrade: the backup is
    restored (every value as it was), the window says so in Chinese without the technical cause, which
    goes to the log file; nothing is handed on to sign in with."""
    path = old_folder / "fieldmark.db"
    with closing(sqlite3.connect(path)) as db:  # foreign keys off: as a damaged file could hold
        db.execute("UPDATE contacts SET customer_id = 'gone' WHERE rowid = (SELECT min(rowid) FROM contacts)")
        db.commit()
    before = _digest(path)
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: shown.append((title, text)))
    opened = []
    startup.open_store_then(path, None, "zh_CN", opened.append)
    assert _progress_dialog() is not None
    qtbot.waitUntil(lambda: bool(opened), timeout=120_000)
    assert opened == [None]
    assert _revision(path) == OLD and _digest(path) == before
    [(title, text)] = shown
    assert title == "无法打开数据库"
    assert text.startswith("数据库升级失败，已从备份恢复，数据没有丢失。备份文件：")
    assert "foreign key" not in text and "原因" not in text
    assert "foreign key check failed" in (old_folder / "fieldmark.log").read_text(encoding="utf-8")
    assert _progress_dialog() is None


def test_switching_to_an_older_data_folder_upgrades_it_behind_the_progress_window(qtbot, qapp, store, org,
                                                                                  old_folder):
    """The folder switch opens another data folder in the same run: an older one is upgraded behind the
    progress window, the folder open now staying open until the other is ready; then its sign-in."""
    from desktop import paths
    from ui.context import AppContext

    chosen = paths._chosen_file()
    remembered = chosen.read_text(encoding="utf-8") if chosen.exists() else None
    application = startup.Application(qapp, AppContext(store, "en"))
    qtbot.addWidget(application.window)
    application.start()
    try:
        assert application.open_folder(old_folder)
        assert _progress_dialog() is not None
        assert application.context.store is store  # still the folder open now, until the other is ready
        qtbot.waitUntil(lambda: application.context.store is not store, timeout=120_000)
        opened = application.context.store
        assert opened.path == old_folder / "fieldmark.db" and opened.schema_version == migrate.head_revision()
        assert _revision(opened.path) == migrate.head_revision() and _progress_dialog() is None
        qtbot.waitUntil(lambda: application.sign_in_dialog is not None and application.sign_in_dialog.isVisible())
        assert paths.chosen_data_dir() == old_folder.resolve()
    finally:
        dialog = application.sign_in_dialog
        if dialog is not None and alive(dialog):
            dialog.blockSignals(True)  # closing it here is not the user cancelling the app
            dialog.close()
            dialog.deleteLater()
        application.context.tasks.shutdown()
        application.context.store.close()
        if remembered is None:
            chosen.unlink(missing_ok=True)
        else:
            chosen.write_text(remembered, encoding="utf-8")


def test_in_batches_reaches_every_row_whatever_the_gaps_between_rowids(tmp_path):
    """A migration's batched statement touches every row once, rowids with gaps (deleted rows) or not,
    and an empty table costs nothing; with no upgrade reporting, it reports to no one."""
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{tmp_path / 'batches.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER, seen INTEGER NOT NULL DEFAULT 0)"))
        conn.execute(text("CREATE TABLE empty (n INTEGER)"))
        conn.execute(text("WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < 1000) "
                          "INSERT INTO t (rowid, n) SELECT n * n, n FROM k"))  # rowids 1, 4, 9, ... 1,000,000
        migrate.in_batches(conn, "t", "UPDATE t SET seen = seen + 1 WHERE rowid BETWEEN :low AND :high", rows=7)
        migrate.in_batches(conn, "empty", "UPDATE empty SET n = 1 WHERE rowid BETWEEN :low AND :high")
        assert conn.execute(text("SELECT count(*), min(seen), max(seen) FROM t")).one() == (1000, 1, 1)
    engine.dispose()


def test_every_schema_version_names_its_step_in_both_languages():
    """The progress window names each revision's step; one without a summary would show its bare id."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config())
    for revision in script.walk_revisions():
        module = revision.module
        assert getattr(module, "summary_zh", "").strip() and getattr(module, "summary_en", "").strip(), \
            revision.revision
