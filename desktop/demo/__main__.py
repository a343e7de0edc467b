"""python -m desktop.demo --data-dir DIR --customers N --touchpoints M: make a data set of any size.

The database is built beside its final name (``fieldmark.db.partial``) with journaling off, then
switched to WAL and renamed into place: an interrupted run leaves no half-filled database behind.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from desktop.demo.evidence import add_evidence
from desktop.demo.generator import generate
from desktop.demo.quotes import add_quotes
from desktop.paths import database_path
from desktop.store import open_store


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m desktop.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="folder for the new database (must not hold one)")
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--touchpoints", type=int, default=6000)
    parser.add_argument("--months", type=int, default=6, help="how far back the touchpoints go")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--evidence", type=int, default=150,
                        help="how many of the most recent visits get photos and recordings (0: none)")
    parser.add_argument("--quotes", type=int, default=None,
                        help="how many quotes, revisions included (default: one per five customers, at least 60; "
                             "0: none, and no products or rates either)")
    args = parser.parse_args(argv)
    path = database_path(args.data_dir)
    if path.exists():
        print(f"{path} already exists; choose an empty folder", file=sys.stderr)
        return 2
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    last = [0.0]

    def progress(done: float, what: str) -> bool:
        if done - last[0] >= 0.05 or done >= 1.0:
            last[0] = done
            print(f"  {done:6.1%}  {what}", file=sys.stderr)
        return True

    started = time.perf_counter()
    store = open_store(partial, build=True)
    summary = generate(store, customers=args.customers, touchpoints=args.touchpoints, months=args.months,
                       seed=args.seed, progress=progress)
    with_evidence = add_evidence(store, limit=args.evidence, seed=args.seed) if args.evidence else 0
    n_quotes = args.quotes if args.quotes is not None else max(60, args.customers // 5)
    quotes_started = time.perf_counter()
    quotes = add_quotes(store, quotes=n_quotes, seed=args.seed) if n_quotes else None
    quotes_seconds = time.perf_counter() - quotes_started
    store.close()
    open_store(partial).close()  # back to WAL, as the app opens it
    os.replace(partial, path)
    elapsed = time.perf_counter() - started
    size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    print(f"users={summary.users} customers={summary.customers} contacts={summary.contacts} "
          f"touchpoints={summary.touchpoints} visits_with_evidence={with_evidence}")
    if quotes is not None:
        states = " ".join(f"{state}={count}" for state, count in sorted(quotes.by_state.items()))
        print(f"products={quotes.products} rates={quotes.rates} quotes={quotes.quotes} quote_lines={quotes.lines} "
              f"approvals={quotes.approvals} ({states}) quotes_s={quotes_seconds:.1f}")
    phase = summary.touchpoint_seconds
    print(f"elapsed={elapsed:.1f}s touchpoints_per_s={summary.touchpoints / elapsed:,.0f} "
          f"touchpoint_phase={phase:.1f}s touchpoint_phase_per_s={summary.touchpoints / phase if phase else 0:,.0f} "
          f"db_size_mb={size / 1e6:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
