"""Benchmarks of the offline core on a large synthetic data set.

    python -m bench.core [--data-dir bench/data/large] [--customers 100000] [--touchpoints 1000000]

Builds the data set with the demo generator (timed) unless it exists, then measures, in one run:
- baseline: a bare SQLite insert + commit with WAL and synchronous=FULL on the same disk;
- touchpoint.log through the mutation path (data + outbox + audit, one transaction);
- search, top 50, for 2- to 6-character Chinese queries;
- a customer's latest 100 touchpoints.
Prints a table and writes the figures as JSON next to the data set.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from desktop import mutations, search, timeutil
from desktop.models import Customer, Touchpoint, User
from desktop.paths import database_path
from desktop.store import open_store
from desktop.timeline import customer_timeline

QUERIES = ["铭牌", "报价", "交期", "汇率", "账期", "王伟", "设备铭", "热处理", "报价单", "技术方案", "设备铭牌", "激光切割",
           "图纸变更", "铭牌照片", "售后维修响应", "设备铭牌照片", "激光切割精度",
           # every bigram common, the phrase nowhere: FTS must walk whole doclists to say "no match"
           "户关注报价单", "拜访报价"]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def build(data_dir: Path, customers: int, touchpoints: int) -> dict[str, float]:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "desktop.demo", "--data-dir", str(data_dir), "--customers",
                          str(customers), "--touchpoints", str(touchpoints)], check=True, capture_output=True,
                         text=True).stdout
    elapsed = time.perf_counter() - started
    print(out.strip())
    return {"generator_seconds": elapsed, "generator_touchpoints_per_s": touchpoints / elapsed}


def baseline_commit(folder: Path, n: int) -> list[float]:
    path = folder / "baseline.db"
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
    times = []
    for i in range(n):
        t = time.perf_counter()
        db.execute("BEGIN")
        db.execute("INSERT INTO t (body) VALUES (?)", (f"row {i}",))
        db.execute("COMMIT")
        times.append(time.perf_counter() - t)
    db.close()
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.core")
    parser.add_argument("--data-dir", type=Path, default=Path("bench/data/large"))
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--touchpoints", type=int, default=1_000_000)
    parser.add_argument("--mutations", type=int, default=300)
    args = parser.parse_args(argv)
    figures: dict[str, float] = {}
    path = database_path(args.data_dir)
    if not path.exists():
        figures.update(build(args.data_dir, args.customers, args.touchpoints))
    figures["db_size_mb"] = sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1e6

    with tempfile.TemporaryDirectory(dir=args.data_dir) as tmp:
        base = baseline_commit(Path(tmp), args.mutations)
    figures["baseline_commit_median_ms"] = statistics.median(base) * 1000

    store = open_store(path)
    rng = random.Random(1)
    with store.read() as s:
        rep = s.scalars(select(User).where(User.username == "rep.li")).one()
        customer_ids = s.scalars(select(Customer.id).where(Customer.owner_id == rep.id)).all()
        counts = s.execute(select(Touchpoint.customer_id, func.count()).group_by(Touchpoint.customer_id)
                           .order_by(func.count().desc()).limit(1)).one()
        figures["touchpoints"] = s.scalar(select(func.count()).select_from(Touchpoint))
        figures["customers"] = s.scalar(select(func.count()).select_from(Customer))

    # touchpoint.log through the whole mutation path
    log_times = []
    for i in range(args.mutations):
        args_ = {"customer_id": rng.choice(customer_ids), "channel": "call",
                 "occurred_at": timeutil.to_text(timeutil.utcnow()),
                 "summary": f"基准测试拜访 {i}：拍摄门头和设备铭牌照片，客户关注交期。", "next_step": "发送报价单"}
        t = time.perf_counter()
        mutations.run(store, rep.id, "touchpoint.log", args_)
        log_times.append(time.perf_counter() - t)
    figures["touchpoint_log_median_ms"] = statistics.median(log_times) * 1000
    figures["touchpoint_log_p95_ms"] = pct(log_times, 95) * 1000

    # search, top 50
    per_query: dict[str, list[float]] = {q: [] for q in QUERIES}
    hits: dict[str, int] = {}
    with store.read() as s:
        for _round in range(10):
            for q in QUERIES:
                t = time.perf_counter()
                found = search.search_touchpoints(s, q, limit=50)
                per_query[q].append(time.perf_counter() - t)
                hits[q] = len(found)
    all_search = [x for xs in per_query.values() for x in xs]
    figures["search_p50_ms"] = statistics.median(all_search) * 1000
    figures["search_p95_ms"] = pct(all_search, 95) * 1000
    figures["search_max_ms"] = max(all_search) * 1000

    # a customer's latest 100 touchpoints: random customers and the busiest one
    with store.read() as s:
        sample = rng.sample(list(s.scalars(select(Customer.id))), 500)
        timeline = []
        for cid in sample:
            t = time.perf_counter()
            customer_timeline(s, cid, limit=100)
            timeline.append(time.perf_counter() - t)
        busiest = []
        for _ in range(50):
            t = time.perf_counter()
            rows = customer_timeline(s, counts[0], limit=100)
            busiest.append(time.perf_counter() - t)
    figures["timeline_median_ms"] = statistics.median(timeline) * 1000
    figures["timeline_p95_ms"] = pct(timeline, 95) * 1000
    figures["timeline_busiest_customer_rows"] = len(rows)
    figures["timeline_busiest_median_ms"] = statistics.median(busiest) * 1000
    store.close()

    print(f"data set: {figures['customers']:,.0f} customers, {figures['touchpoints']:,.0f} touchpoints, "
          f"{figures['db_size_mb']:.0f} MB on disk")
    if "generator_seconds" in figures:
        print(f"generator: {figures['generator_seconds']:.1f} s, "
              f"{figures['generator_touchpoints_per_s']:,.0f} touchpoints/s")
    print(f"baseline bare commit (WAL, synchronous=FULL): median {figures['baseline_commit_median_ms']:.3f} ms")
    print(f"touchpoint.log (data+outbox+audit): median {figures['touchpoint_log_median_ms']:.2f} ms, "
          f"p95 {figures['touchpoint_log_p95_ms']:.2f} ms")
    print(f"search top 50 ({len(QUERIES)} queries x 10): p50 {figures['search_p50_ms']:.2f} ms, "
          f"p95 {figures['search_p95_ms']:.2f} ms, max {figures['search_max_ms']:.2f} ms")
    for q in QUERIES:
        print(f"    {q:<8} {len(q)} chars  {hits[q]:>2} hits  p95 {pct(per_query[q], 95) * 1000:6.2f} ms")
    print(f"latest 100 touchpoints of a customer: median {figures['timeline_median_ms']:.2f} ms, "
          f"p95 {figures['timeline_p95_ms']:.2f} ms; busiest customer ({figures['timeline_busiest_customer_rows']:.0f} "
          f"rows) median {figures['timeline_busiest_median_ms']:.2f} ms")
    (args.data_dir / "figures.json").write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
