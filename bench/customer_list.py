"""Smoothness of the customer list and the customer detail on the large data set (read only).

    python -m bench.customer_list [--data-dir bench/data/large] [--runs 5]

Needs the data set that ``python -m bench.core`` builds (100k customers, 1M touchpoints); it only
reads it. Measures, warm (median of ``--runs``, after one untimed run):
- ordered_rids: every scope's list, sorted by each column, and with text filters (Chinese, full-width,
  and phone numbers: a common prefix, and one contact's whole number written +86 ddd-dddd-dddd);
- a page of 200 display rows (rows_by_rid) at random positions;
- the owner and region choices;
- a customer's trail read page by page to the end, and search within one customer's touchpoints,
  including the worst case (a customer with thousands of touchpoints) simulated with random rids,
  next to the per-candidate FTS lookup the search deliberately avoids.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from desktop import customer_list, search
from desktop.customer_list import COLUMNS, CustomerFilter
from desktop.models import Touchpoint, User
from desktop.paths import database_path
from desktop.search_text import match_expression
from desktop.store import open_store
from desktop.timeline import customer_timeline

TEXT_QUERIES = ["精密", "恒通", "苏州", "机械", "有限公司", "机", "不存在的客户"]
TOUCHPOINT_QUERIES = ["报价", "铭牌", "设备铭牌", "户关注报价单"]
SIMULATED_TOUCHPOINTS = 5000  # a customer with this many touchpoints (random rids of the data set)


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """Median milliseconds of ``runs`` calls after one untimed warm-up call, and the last result."""
    result = fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.customer_list")
    parser.add_argument("--data-dir", type=Path, default=Path("bench/data/large"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    args = parser.parse_args(argv)
    path = database_path(args.data_dir)
    if not path.exists():
        parser.error(f"{path} does not exist: build it with python -m bench.core")
    store = open_store(path)
    figures: dict[str, float] = {}
    rng = random.Random(7)

    def report(key: str, ms: float, note: str = "") -> None:
        figures[key] = ms
        print(f"  {key:<44} {ms:8.2f} ms  {note}")

    with store.read() as session:
        users = {u.username: u for u in session.scalars(select(User))}
        scopes = [("all", "admin"), ("team", "manager.wang"), ("all", "service.ma"), ("mine", "rep.li")]
        print("ordered_rids (the whole ordered list of rids):")
        for scope, username in scopes:
            flt = CustomerFilter(scope, users[username])
            for column in COLUMNS:
                ms, rids = timed(lambda flt=flt, column=column: customer_list.ordered_rids(session, flt, column),
                                 args.runs)
                report(f"{scope}/{username} by {column}", ms, f"{len(rids):,} rows")
            ms, rids = timed(lambda flt=flt: customer_list.ordered_rids(session, flt, "name", True), args.runs)
            report(f"{scope}/{username} by name, descending", ms, f"{len(rids):,} rows")

        print("text filter (customer_search MATCH), all customers, by name:")
        admin = users["admin"]
        for query in TEXT_QUERIES:
            flt = CustomerFilter("all", admin, text=query)
            ms, rids = timed(lambda flt=flt: customer_list.ordered_rids(session, flt), args.runs)
            report(f"text {query!r}", ms, f"{len(rids):,} rows")
        number = session.connection().exec_driver_sql(
            "SELECT phone FROM contacts ORDER BY id LIMIT 1 OFFSET 1000").scalar_one()
        for query in ["１３８", "1380", f"+86 {number[:3]}-{number[3:7]}-{number[7:]}"]:
            flt = CustomerFilter("all", admin, text=query)
            ms, rids = timed(lambda flt=flt: customer_list.ordered_rids(session, flt), args.runs)
            report(f"phone {query!r}", ms, f"{len(rids):,} rows")
        flt = CustomerFilter("all", admin, text="精密", region="江苏")
        ms, rids = timed(lambda: customer_list.ordered_rids(session, flt, "last_touchpoint", True), args.runs)
        report("text '精密' + region, by last touchpoint", ms, f"{len(rids):,} rows")

        print("a page of 200 display rows at random positions (rows_by_rid):")
        everything = customer_list.ordered_rids(session, CustomerFilter("all", admin), "name")
        page_times = []
        for _ in range(50):
            start = rng.randrange(0, len(everything) - 200)
            started = time.perf_counter()
            rows = customer_list.rows_by_rid(session, everything[start:start + 200])
            page_times.append(time.perf_counter() - started)
            assert len(rows) == 200
        ordered = sorted(page_times)
        report("page of 200, median", statistics.median(page_times) * 1000)
        report("page of 200, p95", ordered[int(0.95 * (len(ordered) - 1))] * 1000)

        print("filter choices:")
        ms, owners = timed(lambda: customer_list.owners(session, CustomerFilter("all", admin)), args.runs)
        report("owners (all)", ms, f"{len(owners)} owners")
        ms, owners = timed(lambda: customer_list.owners(session, CustomerFilter("all", users["service.ma"])),
                           args.runs)
        report("owners (service engineer's territory)", ms, f"{len(owners)} owners")
        ms, regions = timed(lambda: customer_list.regions(session), args.runs)
        report("regions", ms, f"{len(regions)} regions")

        print("customer detail:")
        busiest, count = session.execute(
            select(Touchpoint.customer_id, func.count()).group_by(Touchpoint.customer_id)
            .order_by(func.count().desc()).limit(1)).one()

        def whole_trail() -> int:
            seen, page = 0, customer_timeline(session, busiest, limit=50)
            while page:
                seen += len(page)
                page = customer_timeline(session, busiest, limit=50, before=(page[-1].occurred_at, page[-1].rid))
            return seen

        ms, seen = timed(whole_trail, args.runs)
        report("busiest customer's whole trail, pages of 50", ms, f"{seen} touchpoints")
        for query in TOUCHPOINT_QUERIES:
            ms, found = timed(lambda q=query: search.search_customer_touchpoints(session, busiest, q), args.runs)
            report(f"search {query!r} in the busiest customer", ms, f"{len(found)} of {count}")

        # A customer with thousands of touchpoints: the data set has none, so take random rids of
        # the data set as its touchpoints. The first query is the one search_customer_touchpoints
        # runs (one pass over the doclists, membership tested by SQLite); the second lets FTS5 test
        # each candidate rowid (rowid = ?), which the search avoids, on far fewer candidates.
        conn = session.connection()
        all_rids = [r for (r,) in conn.exec_driver_sql("SELECT rid FROM touchpoints")]
        candidates = json.dumps(rng.sample(all_rids, SIMULATED_TOUCHPOINTS))
        few = json.dumps(rng.sample(all_rids, 200))
        for query in TOUCHPOINT_QUERIES:
            expression = match_expression(query)
            ms, found = timed(lambda e=expression: conn.exec_driver_sql(
                "SELECT rowid FROM touchpoint_search WHERE touchpoint_search MATCH ? "
                "AND +rowid IN (SELECT value FROM json_each(?))", (e, candidates)).fetchall(), args.runs)
            report(f"search {query!r}, {SIMULATED_TOUCHPOINTS} touchpoints (as built)", ms, f"{len(found)} hits")
            ms, found = timed(lambda e=expression: conn.exec_driver_sql(
                "SELECT s.rowid FROM json_each(?) j CROSS JOIN touchpoint_search s ON s.rowid = j.value "
                "WHERE touchpoint_search MATCH ?", (few, e)).fetchall(), 1)
            report(f"search {query!r}, 200 candidates via rowid = ? (avoided)", ms, f"{len(found)} hits")
    store.close()
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
