"""Today's plan's follow-ups and the team page's cut list on the large data set.

    python -m bench.follow_ups [--data-dir bench/data/large]

Builds the data set as bench.core does when it is missing (100k customers, 1M touchpoints), then
measures, in one run:
- baseline: one touchpoint read by its id (the cheapest indexed read);
- the plan's follow-ups before 0007 (the latest touchpoint of each of the user's customers, if its
  next step is due), and now (the user's open follow-ups, on their own index), for 60 users;
- the team page's latest 500 for every manager over 7, 30 and 180 days, without and with the count
  of all the period holds (desktop.cut, which stops counting at 10,000).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from bench.core import build, pct
from desktop import activity, timeutil
from desktop.models import Customer, Touchpoint, User
from desktop.paths import database_path
from desktop.permissions import MANAGERS
from desktop.store import open_store


def old_next_steps_due(session, user: User, until):
    """The plan's query before follow-ups had owners (kept here as the figure to compare with)."""
    latest = (select(Touchpoint.customer_id, func.max(Touchpoint.occurred_at).label("at"))
              .join(Customer, Customer.id == Touchpoint.customer_id)
              .where(Customer.owner_id == user.id, Customer.deleted_at.is_(None), Touchpoint.status == "submitted")
              .group_by(Touchpoint.customer_id).subquery())
    query = (select(Touchpoint, Customer.name, User.display_name)
             .join(Customer, Customer.id == Touchpoint.customer_id).join(User, User.id == Touchpoint.user_id)
             .join(latest, (latest.c.customer_id == Touchpoint.customer_id) & (latest.c.at == Touchpoint.occurred_at))
             .where(Touchpoint.next_step != "", Touchpoint.next_step_due.is_not(None), Touchpoint.next_step_due <= until,
                    Touchpoint.status == "submitted").order_by(Touchpoint.next_step_due))
    return session.execute(query).all()


def timed(fn, *args, **kw) -> tuple[float, object]:
    t = time.perf_counter()
    result = fn(*args, **kw)
    return time.perf_counter() - t, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.follow_ups")
    parser.add_argument("--data-dir", type=Path, default=Path("bench/data/large"))
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--touchpoints", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    path = database_path(args.data_dir)
    figures: dict[str, float] = {}
    if not path.exists():
        figures.update(build(args.data_dir, args.customers, args.touchpoints))
    store = open_store(path)
    rng = random.Random(3)
    until = timeutil.utcnow() + timedelta(days=1)
    with store.read() as s:
        figures["touchpoints"] = s.scalar(select(func.count()).select_from(Touchpoint))
        figures["open_follow_ups"] = s.scalar(select(func.count()).where(Touchpoint.follow_up == "open"))
        ids = s.scalars(select(Touchpoint.id).limit(20_000)).all()
        base = [timed(lambda i: s.execute(select(Touchpoint.id).where(Touchpoint.id == i)).first(), i)[0]
                for i in rng.sample(ids, 500)]
        figures["baseline_read_by_id_median_ms"] = statistics.median(base) * 1000

        owners = s.scalars(select(User).where(User.role.in_(("field_rep", "key_account_director", "channel_manager",
                                                               "sales_manager")))).all()
        users = rng.sample(owners, min(60, len(owners)))
        old, new, shown = [], [], []
        for user in users:
            old.append(timed(old_next_steps_due, s, user, until)[0])
            seconds, rows = timed(activity.next_steps_due, s, user, until)
            new.append(seconds)
            shown.append(len(rows))
        figures["plan_before_0007_median_ms"] = statistics.median(old) * 1000
        figures["plan_before_0007_p95_ms"] = pct(old, 95) * 1000
        figures["plan_follow_ups_median_ms"] = statistics.median(new) * 1000
        figures["plan_follow_ups_p95_ms"] = pct(new, 95) * 1000
        figures["plan_rows_median"] = statistics.median(shown)

        managers = s.scalars(select(User).where(User.role.in_(MANAGERS), User.team != "")).all()
        for days in (7, 30, 180):
            since = timeutil.utcnow() - timedelta(days=days)
            plain, counted, totals = [], [], []
            for manager in managers:
                plain.append(timed(activity.team_activity, s, manager, since)[0])
                seconds, found = timed(activity.team_activity_cut, s, manager, since)
                counted.append(seconds)
                totals.append(found.total)
            figures[f"team_{days}d_latest_500_median_ms"] = statistics.median(plain) * 1000
            figures[f"team_{days}d_with_total_median_ms"] = statistics.median(counted) * 1000
            figures[f"team_{days}d_with_total_max_ms"] = max(counted) * 1000
            figures[f"team_{days}d_total_median"] = statistics.median(totals)
    store.close()
    for name, value in figures.items():
        print(f"{name:40} {value:.2f} ms" if name.endswith("_ms") else f"{name:40} {value}")
    (args.data_dir / "follow_ups.json").write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
