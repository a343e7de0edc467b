"""The start-up upgrade 0007 -> 0008 on the large data set: how long the user waits, how often the progress
window hears news, and what the hook costs.

    python -m bench.startup_migration [--data-dir bench/data/large]

Makes ``<data-dir>-0007`` once (a copy of the large data set taken back to 0007, as the tests do), then
upgrades fresh copies of it. Baseline, in the same run: a bare SQLite online backup of that file (the
disk and the machine as they are now, no code of ours).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from alembic import command

from bench.core import build
from desktop import migrate
from desktop.paths import database_path
from desktop.store import Store, make_engine, open_store


def at_0007(large: Path) -> Path:
    """The large data set's database taken back to 0007 (made once, kept beside it)."""
    target = large.with_name(large.name + "-0007") / "fieldmark.db"
    if target.exists():
        return target
    partial = target.with_name("partial.db")
    migrate.backup_database(database_path(large), partial)
    engine = make_engine(partial)
    try:
        cfg = migrate.alembic_config()
        with engine.connect() as conn:
            conn = conn.execution_options(fm_writer="migration")
            with conn.begin():
                cfg.attributes["connection"] = conn
                command.downgrade(cfg, "0007")
    finally:
        engine.dispose()
    with sqlite3.connect(partial) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    partial.rename(target)
    return target


def upgrade_copy(source: Path, folder: Path, *, with_progress: bool, scripts: str | None = None) -> dict[str, float]:
    """Upgrade a copy of source as the app does at start-up; wall time and the longest silence."""
    path = folder / "fieldmark.db"
    shutil.copy(source, path)
    times: list[float] = []
    said: list[str] = []

    def heard(now: migrate.UpgradeProgress) -> None:
        times.append(time.perf_counter())
        said.append(f"step {now.step}: {now.name_en} {now.detail_en}".strip())

    started = time.perf_counter()
    if with_progress:
        # As the app runs it: on a thread of its own, while the main thread (the event loop's) ticks every
        # 10 ms; the longest tick says how long the window could have waited for the interpreter.
        result: list[Store] = []
        worker = threading.Thread(target=lambda: result.append(open_store(path, progress=heard, script_location=scripts)))
        worker.start()
        last, longest_tick = time.perf_counter(), 0.0
        while worker.is_alive():
            time.sleep(0.01)
            now = time.perf_counter()
            longest_tick, last = max(longest_tick, now - last), now
        worker.join()
        store = result[0]
    else:
        store = open_store(path, script_location=scripts)
    elapsed = time.perf_counter() - started
    store.close()
    assert migrate.current_revision(store.engine) == migrate.head_revision(scripts)
    figures = {"seconds": elapsed}
    if times:
        marks = [started, *times, started + elapsed]
        gaps = [b - a for a, b in zip(marks, marks[1:], strict=False)]
        longest = max(range(len(gaps)), key=gaps.__getitem__)
        figures["reports"] = len(times)
        figures["longest_silence_s"] = gaps[longest]
        figures["longest_tick_s"] = longest_tick
        print(f"  longest gap after: {said[longest - 1] if longest else 'the start'}")
    shutil.rmtree(folder / "backups", ignore_errors=True)
    path.unlink()
    return figures


OPEN_AT_HEAD = """
import sys, time
from pathlib import Path
from desktop import migrate
from desktop.store import open_store
t = time.perf_counter()
if hasattr(migrate, "plan_upgrade"):  # the start-up's check; code before it had none
    migrate.plan_upgrade(Path(sys.argv[1]))
open_store(Path(sys.argv[1])).close()
print(time.perf_counter() - t)
"""


def open_at_head(path: Path, code: Path | None, runs: int = 6) -> list[float]:
    """A database needing nothing, opened as a start-up does (the check, then open_store), each in a new
    process: the first open pays for reading the migration scripts. ``code``: another checkout's."""
    env = {**os.environ, "PYTHONPATH": str(code)} if code else None
    return [float(subprocess.run([sys.executable, "-c", OPEN_AT_HEAD, str(path)], check=True, capture_output=True,
                                 text=True, cwd=code, env=env).stdout) for _ in range(runs)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.startup_migration")
    parser.add_argument("--data-dir", type=Path, default=Path("bench/data/large"))
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--touchpoints", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--open-only", action="store_true", help="only time opening a database that needs nothing")
    parser.add_argument("--code", type=Path, default=None, help="with --open-only: open with another checkout's code")
    parser.add_argument("--also-scripts", default=None,
                        help="also upgrade with the migration scripts in this folder (e.g. another 0008), no reporter")
    args = parser.parse_args(argv)
    if args.open_only:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "fieldmark.db"
            open_store(path).close()
            times = open_at_head(path, args.code)
            print(f"a database at head, opened in a new process: {statistics.median(times) * 1000:.1f} ms median "
                  f"({', '.join(f'{t * 1000:.1f}' for t in times)})")
        return 0
    if not database_path(args.data_dir).exists():
        build(args.data_dir, args.customers, args.touchpoints)
    source = at_0007(args.data_dir)
    with sqlite3.connect(source) as db:
        counts = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                  for t in ("customers", "contacts", "touchpoints")}
    print(f"data set at 0007: {counts}, {source.stat().st_size / 1e6:.0f} MB")
    with tempfile.TemporaryDirectory(dir=source.parent) as tmp:
        started = time.perf_counter()
        migrate.backup_database(source, Path(tmp) / "baseline.db")
        print(f"baseline: bare SQLite online backup of the file: {time.perf_counter() - started:.1f} s")
        # Alternated, twice each: the machine's load drifts over minutes.
        for _round in range(args.rounds):
            bare = upgrade_copy(source, Path(tmp), with_progress=False)
            print(f"0007 -> 0008 without a reporter (alembic CLI, tests): {bare['seconds']:.1f} s")
            app = upgrade_copy(source, Path(tmp), with_progress=True)
            print(f"0007 -> 0008 as the app runs it (backup, upgrade, check, progress reported): "
                  f"{app['seconds']:.1f} s, {app['reports']:.0f} reports, longest gap between two "
                  f"{app['longest_silence_s']:.2f} s; main thread's longest 10 ms tick {app['longest_tick_s'] * 1000:.0f} ms")
            if args.also_scripts:
                other = upgrade_copy(source, Path(tmp), with_progress=False, scripts=args.also_scripts)
                print(f"0007 -> 0008 with the scripts in {args.also_scripts}: {other['seconds']:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
