"""The approvals list (desktop.quote_decisions.awaiting) in CPU time, on a data set bench.quotes built.

    python -m bench.inbox_cpu bench/data/quotes/fieldmark.db [--runs 25]

CPU time (``time.process_time``) rather than wall time: on a machine shared with other work the
wall clock mostly measures the others, while the CPU this process spends does not depend on them as
much. It makes two versions of the code comparable on one database: run it from each tree in turn,
alternating (code older than the change that added ``approvals.required`` ignores the column). The
baseline, in the same run, is reading the pending quotes' columns in plain SQL. Reported: the minimum
and the median of ``--runs`` runs after two untimed ones.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from desktop import quote_decisions, timeutil
from desktop.models import User

LISTING = ("SELECT id, version, number, customer_id, owner_id, currency, total, gross_amount, net_amount, "
           "locked_rate FROM quotes WHERE status = 'awaiting_approval' ORDER BY submitted_at, number")


def cpu_ms(fn: Callable[[], Any], runs: int) -> tuple[float, float, Any]:
    """Min and median CPU milliseconds of ``runs`` calls after two untimed ones, and the last result."""
    result = fn()
    result = fn()
    times = []
    for _ in range(runs):
        started = time.process_time()
        result = fn()
        times.append((time.process_time() - started) * 1000)
    return min(times), statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", type=Path)
    parser.add_argument("--runs", type=int, default=25)
    args = parser.parse_args()
    engine = create_engine(f"sqlite:///{args.database}")
    now = timeutil.utcnow()

    def baseline() -> int:
        with Session(engine) as session:
            return len(session.connection().exec_driver_sql(LISTING).fetchall())

    low, median, count = cpu_ms(baseline, args.runs)
    print(f"  baseline: the pending quotes' columns, plain SQL   {low:8.1f} ms min {median:8.1f} ms median  "
          f"{count:,} rows")
    for role in ("finance", "finance_director"):
        with Session(engine) as session:
            user_id = session.scalars(select(User.id).where(User.role == role).order_by(User.username)).first()

        def listing(user_id: str | None = user_id) -> int:
            with Session(engine) as session:
                return len(quote_decisions.awaiting(session, session.get(User, user_id), now).pending)

        low, median, count = cpu_ms(listing, args.runs)
        print(f"  awaiting() as {role:<17}                  {low:8.1f} ms min {median:8.1f} ms median  "
              f"{count:,} quotes listed")


if __name__ == "__main__":
    main()
