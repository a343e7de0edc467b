"""Pushing a queue of mutations to a real server process over loopback HTTP.

    python -m bench.sync_push [--mutations 10000] [--postgres] [--updates]

Starts ``fieldmark-server`` on SQLite (or on a private PostgreSQL cluster with --postgres), signs a
rep in, creates one customer, then pushes N touchpoint.log mutations in batches of 200 as the
desktop would, and prints the time and the rate; a bare baseline (the same number of one-row
inserts committed in batches of 200 on the same database) is printed beside it. ``--updates`` pushes
customer.update mutations instead (the phone, then the notes, of 100 customers in turn, each sent with
the base version the device had), which the server records in the change history and checks for
overwrites.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path

from desktop import timeutil
from desktop.ids import uuid7
from desktop.mutations import prepare
from sync import protocol
from tests import postgres
from tests.server_process import Api, ServerProcess


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sync_push")
    parser.add_argument("--mutations", type=int, default=10_000)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--updates", action="store_true")
    args = parser.parse_args(argv)
    cluster = postgres.start() if args.postgres else None
    url = cluster.database() if cluster else None
    server = ServerProcess(Path(tempfile.mkdtemp(prefix="fieldmark-bench-")), url)
    try:
        api = Api(server, "rep.li")
        customer = prepare("customer.create", {"name": "基准测试客户"})
        api.push(("customer.create", customer))
        items = [("touchpoint.log", prepare("touchpoint.log", {
            "customer_id": customer["id"], "channel": "call", "summary": f"电话沟通交期和报价，第 {i} 次",
            "occurred_at": timeutil.to_text(timeutil.utcnow())})) for i in range(args.mutations)]
        bases: list[int | None] = [None] * len(items)
        if args.updates:
            customers = [prepare("customer.create", {"name": f"基准测试客户{n}号"}) for n in range(100)]
            for start in range(0, len(customers), protocol.PUSH_BATCH):
                api.push(*[("customer.create", c) for c in customers[start:start + protocol.PUSH_BATCH]])
            items, bases = [], []
            for i in range(args.mutations):
                field = "phone" if i // len(customers) % 2 == 0 else "notes"
                items.append(("customer.update", prepare("customer.update", {
                    "id": customers[i % len(customers)]["id"], field: f"0512-{i:07d}"})))
                bases.append(i // len(customers) + 1)
        started = time.perf_counter()
        for start in range(0, len(items), protocol.PUSH_BATCH):
            response = _push(api, items[start:start + protocol.PUSH_BATCH], bases[start:start + protocol.PUSH_BATCH])
            response.raise_for_status()
            assert all(r["status"] == "applied" for r in response.json()["results"])
        elapsed = time.perf_counter() - started
        baseline = _baseline(url, args.mutations, Path(server.data_dir))
        kind = ("PostgreSQL" if cluster else "SQLite") + (" (customer.update)" if args.updates else "")
        print(f"{kind}: pushed {args.mutations:,} mutations in {elapsed:.1f} s ({args.mutations / elapsed:,.0f}/s); "
              f"baseline {args.mutations:,} bare inserts in batches of {protocol.PUSH_BATCH}: {baseline:.2f} s")
    finally:
        server.stop()
        if cluster:
            cluster.stop()
    return 0


def _push(api: Api, items: list, bases: list[int | None]):
    """One batch, each mutation with the base version the device would have sent."""
    mutations = []
    for (name, args), base in zip(items, bases, strict=True):
        api.seq += 1
        mutations.append({"seq": api.seq, "mutation_id": uuid7(), "name": name, "args": args, "base_version": base,
                          "schema_version": "0002", "client_time": args.get("at")})
    return api.post("/v1/push", {"device_id": api.device_id, "mutations": mutations})


def _baseline(url: str | None, n: int, folder: Path) -> float:
    if url is None:
        db = sqlite3.connect(folder / "baseline.db", isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
        started = time.perf_counter()
        for start in range(0, n, protocol.PUSH_BATCH):
            db.execute("BEGIN")
            db.executemany("INSERT INTO t (body) VALUES (?)", [(f"row {i}",) for i in range(start, start + 200)])
            db.execute("COMMIT")
        return time.perf_counter() - started
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as db:
        db.execute("CREATE TABLE bench_t (id serial PRIMARY KEY, body text)")
        db.commit()
        started = time.perf_counter()
        for start in range(0, n, protocol.PUSH_BATCH):
            with db.cursor() as cur:
                cur.executemany("INSERT INTO bench_t (body) VALUES (%s)", [(f"row {i}",) for i in range(start, start + 200)])
            db.commit()
        return time.perf_counter() - started


if __name__ == "__main__":
    raise SystemExit(main())
