"""A new desktop's first pull from a real server process, and a sync with nothing to do.

    python -m bench.sync_pull [--customers 100000] [--touchpoints 1000000] [--empty-syncs 300] [--reread]
                              [--no-schema-baseline] [--postgres] [--log-pull]

Builds (once, cached under bench/data/) a SQLite server database holding the demo generator's
organisation at the given size (the rows its producer makes, desktop.demo.generator) - users, customers,
contacts, touchpoints, each row with its change-log entry - loaded in bulk, not timed. Then starts ``fieldmark-server`` on it, signs a fresh desktop in as
``finance.sun`` (finance sees every customer), and times ``SyncClient.pull()`` of everything into the
fresh store - a first pull, so the server's snapshot loaded in bulk (sync.first_pull); the wire bytes
per row are printed with it. ``--postgres`` copies the data set into a private PostgreSQL cluster
first (not timed) and serves it from there. Beside it, in the same run and on the same disk, the same row tuples are written with a
bare ``executemany`` (WAL, synchronous=FULL, one transaction): into plain tables with the same columns
(no index, no constraint, no trigger), and into a fresh desktop schema (its indexes, foreign keys and
search triggers). Finally, ``SyncClient.sync()`` with nothing to push and nothing to pull is timed many
times on that desktop, which now holds the whole data set, against the server, which holds it too.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from desktop import rows, timeutil
from desktop.demo import generator
from desktop.models import DATA_TABLES
from desktop.store import configure_connection, open_store
from sync.client import SyncClient
from sync.server.db import create_schema, make_engine
from sync.token_store import FileTokenStore
from tests.server_process import ServerProcess

DATA = Path("bench/data")
USER = "finance.sun"


def build_server(folder: Path, customers: int, touchpoints: int) -> Path:
    """The server's database holding the data set (made once; an interrupted build leaves nothing)."""
    path = folder / "fieldmark-server.db"
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / "building.db"
    for stale in folder.glob("building.db*"):
        stale.unlink()
    started = time.perf_counter()
    engine = make_engine(f"sqlite:///{partial}")
    create_schema(engine)
    engine.dispose()
    db = sqlite3.connect(partial, isolation_level=None)
    db.execute("PRAGMA journal_mode=DELETE")
    db.execute("PRAGMA synchronous=OFF")
    now = timeutil.to_text(timeutil.utcnow())
    params = generator._Params(customers, touchpoints, 6, 2026, max(0, customers // 400 - 4), timeutil.utcnow())
    counts = dict.fromkeys(generator.COLUMNS, 0)
    db.execute("BEGIN")
    for table, chunk, _bodies in generator._chunks(params, touchpoints >= generator.PARALLEL_FROM):
        if table == "last_reached":
            db.executemany("UPDATE contacts SET last_reached_at = ? WHERE id = ?", chunk)
            continue
        columns = generator.COLUMNS[table]
        db.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", chunk)
        # The scope key: the customer the row belongs to (none for users).
        scope = (lambda r: None) if table == "users" else (lambda r: r[0]) if table == "customers" else (lambda r: r[1])
        db.executemany("INSERT INTO server_change_log (table_name, row_id, customer_id, committed_at) "
                       "VALUES (?, ?, ?, ?)", [(table, r[0], scope(r), now) for r in chunk])
        counts[table] += len(chunk)
    db.execute("COMMIT")
    problems = db.execute("PRAGMA foreign_key_check").fetchall()
    if problems:
        raise RuntimeError(f"the built server database has dangling references: {problems[:5]}")
    db.execute("PRAGMA journal_mode=WAL")
    db.close()
    os.replace(partial, path)
    print(f"built {path} in {time.perf_counter() - started:.1f} s: "
          + ", ".join(f"{n:,} {t}" for t, n in counts.items()), flush=True)
    return path


def copy_to_postgres(source: Path, url: str) -> None:
    """The server database's rows copied into a fresh PostgreSQL database (its schema made first), not timed."""
    import psycopg

    started = time.perf_counter()
    engine = make_engine(url)
    create_schema(engine)
    engine.dispose()
    src = sqlite3.connect(source)
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as pg:
        pg.execute("SET session_replication_role = replica")  # rows come in id order; the source is checked
        for table in ("users", "customers", "contacts", "touchpoints", "server_change_log"):
            names = [r[1] for r in src.execute(f"PRAGMA table_info({table})")]
            with pg.cursor().copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
                for row in src.execute(f"SELECT {', '.join(names)} FROM {table}"):
                    copy.write_row(row)
        pg.execute("ANALYZE")
    src.close()
    print(f"copied into PostgreSQL in {time.perf_counter() - started:.1f} s", flush=True)


def table_rows(path: Path) -> dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]]:
    """Every synced row of a desktop database, as the tuples of its travelling columns."""
    db = sqlite3.connect(path)
    out = {}
    for table in DATA_TABLES:
        names = rows.columns(table)
        out[table] = (names, db.execute(f"SELECT {', '.join(names)} FROM {table}").fetchall())
    db.close()
    return out


def baseline(folder: Path, data: dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]], *,
             desktop_schema: bool) -> tuple[float, float]:
    """Seconds (wall, CPU) to executemany the rows in one transaction (WAL, synchronous=FULL)."""
    path = folder / ("baseline-schema.db" if desktop_schema else "baseline-plain.db")
    if desktop_schema:
        open_store(path).close()  # the desktop's tables, indexes and search triggers, empty
    db = sqlite3.connect(path)
    configure_connection(db)  # WAL, synchronous=FULL, foreign keys, the search-text function
    db.execute("PRAGMA defer_foreign_keys=ON")  # checked at commit: rows may come in id order, not parent first
    if not desktop_schema:
        for table, (names, _values) in data.items():
            db.execute(f"CREATE TABLE {table} ({', '.join(names)})")
    started, cpu = time.perf_counter(), time.process_time()
    db.execute("BEGIN")
    for table, (names, values) in data.items():
        db.executemany(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})", values)
    db.execute("COMMIT")
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    db.close()
    return elapsed, cpu


def cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a running process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    """CPU seconds of this process's ended children (a worker process the pull may have had)."""
    deadline = time.monotonic() + 10
    while multiprocessing.active_children() and time.monotonic() < deadline:  # reaps the ended ones
        time.sleep(0.05)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sync_pull")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--touchpoints", type=int, default=1_000_000)
    parser.add_argument("--empty-syncs", type=int, default=300)
    parser.add_argument("--reread", action="store_true",
                        help="then start a new epoch on the server and time the whole re-read (desktop.reread)")
    parser.add_argument("--no-schema-baseline", action="store_true",
                        help="skip the baseline into the desktop schema (the slow one)")
    parser.add_argument("--log-pull", action="store_true",
                        help="pull the change log page by page, as before snapshots (for comparison)")
    parser.add_argument("--postgres", action="store_true",
                        help="serve the data set from PostgreSQL (a private cluster, tests/postgres.py), copied in first")
    args = parser.parse_args(argv)
    server_dir = DATA / f"sync-server-{args.customers}-{args.touchpoints}"
    build_server(server_dir, args.customers, args.touchpoints)
    print(f"machine: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
          f"SQLite {sqlite3.sqlite_version}, Python {platform.python_version()}", flush=True)
    cluster = url = None
    if args.postgres:
        from tests.postgres import PostgresCluster

        cluster = PostgresCluster()
        url = cluster.database()
        copy_to_postgres(server_dir / "fieldmark-server.db", url)
    server = ServerProcess(server_dir if url is None else Path(tempfile.mkdtemp(prefix="sync-pg-", dir=DATA)), url)
    work = Path(tempfile.mkdtemp(prefix="sync-pull-", dir=DATA))
    try:
        store = open_store(work / "desktop" / "fieldmark.db")
        client = SyncClient(store, server.url, FileTokenStore(work / "token"), sleep=lambda _s: None,
                            snapshots=not args.log_pull)
        client.sign_in(USER, "fieldmark", "benchmark")
        cpu, children, server_cpu = time.process_time(), children_cpu(), cpu_of(server.process.pid)
        started = time.perf_counter()
        report = client.pull()
        elapsed = time.perf_counter() - started
        server_cpu = cpu_of(server.process.pid) - server_cpu
        cpu = time.process_time() - cpu + children_cpu() - children
        data = table_rows(store.path)
        total = sum(len(values) for _names, values in data.values())
        # Rows: what the desktop holds afterwards. Changes count more: a page also carries the rows its
        # changes refer to, so most customers and contacts travel several times.
        print(f"pull: {total:,} rows ({report.changes:,} changes, {report.pages} pages) in {elapsed:.1f} s, "
              f"{total / elapsed:,.0f} rows/s; desktop now holds "
              + ", ".join(f"{len(v):,} {t}" for t, (_n, v) in data.items()), flush=True)
        print(f"pull CPU: desktop {cpu:.1f} s (any child process included), server {server_cpu:.1f} s; "
              f"wall {elapsed:.1f} s", flush=True)
        if report.snapshot is not None:
            snap = report.snapshot
            print(f"snapshot: {snap.rows:,} rows in {snap.frames} frames, {snap.wire_bytes:,} bytes on the wire, "
                  f"{snap.wire_bytes / max(snap.rows, 1):.0f} bytes/row", flush=True)
        runs = [("plain tables (no index, constraint or trigger)", baseline(work, data, desktop_schema=False))]
        if not args.no_schema_baseline:
            runs.append(("desktop schema (indexes, foreign keys, search triggers)",
                         baseline(work, data, desktop_schema=True)))
        del data
        for name, (seconds, base_cpu) in runs:
            print(f"baseline executemany, {name}: {total:,} rows in {seconds:.1f} s ({base_cpu:.1f} s CPU), "
                  f"{total / seconds:,.0f} rows/s; pull / baseline = {seconds / elapsed:.2f} wall, "
                  f"{base_cpu / cpu:.2f} desktop CPU, {base_cpu / (cpu + server_cpu):.2f} desktop + server CPU",
                  flush=True)

        times = []
        for _ in range(args.empty_syncs):
            started = time.perf_counter()
            done = client.sync()
            times.append(time.perf_counter() - started)
            assert done.push.sent == 0 and done.pull.changes == 0, done
        print(f"empty sync x{len(times)}: median {statistics.median(times) * 1000:.1f} ms, "
              f"p95 {pct(times, 95) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms", flush=True)
        if args.reread:  # the operator's `epoch new`: the desktop, holding everything, reads it all again
            if server.admin("epoch", "new").returncode != 0:
                raise RuntimeError("epoch new failed")
            started = time.perf_counter()
            again = client.sync()
            seconds = time.perf_counter() - started
            print(f"re-read after `epoch new`: {again.pull.changes:,} changes, {again.pull.pages} pages in "
                  f"{seconds:.1f} s; re-read / first pull = {seconds / elapsed:.2f}", flush=True)
        store.close()
    finally:
        server.stop()
        if cluster is not None:
            cluster.stop()
            shutil.rmtree(server.data_dir, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
