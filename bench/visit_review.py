"""Opening the manager's visit review over 50,000 visits.

    python -m bench.visit_review [--data-dir bench/data/visit-review] [--runs 30]

Builds the data set once (kept under bench/data/, not timed): the demo organisation with 20,000
customers and 50 extra reps, then - written in bulk through the snapshot path as desktop.demo does -
50,000 submitted visits by the reps of 华东一组 (manager.wang's team) on their own customers, 50,000
by 华东二组 (the scope must leave them out), 100,000 touchpoints of the other channels, and the
visits' attachment rows (storefront and nameplate photos and a recording for a visit that passed
its capture rule, fewer for one that no rule checked; the files themselves are not made). 80% of
the visits passed, 20% were never checked (``rule_passed`` null, counted as not passed).

Then measures, as manager.wang, each over ``--runs`` runs after one untimed run, in a new session
each time as the desktop's database thread does:
- opening the review: the first page of 100 visits with their attachments and the capture-rate table,
  over the page's default period (the last 30 days) and over every visit (50,000);
- a page deep in the list (keyset), and the review narrowed by rep, customer text and rule result;
- the baselines, in the same run: ``SELECT count(*) FROM touchpoints`` and the same restricted to visits.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from desktop import search, snapshot, timeutil, visit_review
from desktop.demo.generator import TOUCHPOINT_COLUMNS, generate
from desktop.ids import uuid7_from
from desktop.models import User
from desktop.paths import database_path
from desktop.store import Store, open_store
from desktop.visit_review import VisitFilter

VISIT_COLUMNS = (*TOUCHPOINT_COLUMNS, "visit_type", "check_in_at", "location", "gps_lat", "gps_lon", "rule_id",
                 "rule_version", "rule_passed")
ATTACHMENT_COLUMNS = ("id", "touchpoint_id", "kind", "label", "filename", "sha256", "size", "mime", "duration_s",
                      "taken_at", "gps_lat", "gps_lon", "created_at", "version")
TEAM, OTHER_TEAM = "华东一组", "华东二组"
VISITS_PER_TEAM = 50_000
OTHER_TOUCHPOINTS = 100_000
PASS_SHARE = 0.8
MONTHS = 6
CHUNK = 20_000
DEFAULT_DAYS = 30  # the page opens on the last 30 days
TARGET_MS = 300.0


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def timed(fn: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    """Milliseconds of ``runs`` calls after one untimed call, and the last result."""
    result = fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    return times, result


# ---------------------------------------------------------------------------------------------- build


def build(path: Path, now: datetime, seed: int = 2026) -> dict[str, Any]:
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    started = time.perf_counter()
    store = open_store(partial, build=True)
    # One touchpoint: the generator cannot make none (its last step updates the contacts it reached).
    generate(store, customers=20_000, touchpoints=1, extra_reps=50, seed=seed, now=now, parallel=False)
    counts = _add_visits(store, now, seed)
    store.close()
    open_store(partial).close()  # back to WAL, as the app opens it
    os.replace(partial, path)
    meta = {"now": timeutil.to_text(now), "build_seconds": round(time.perf_counter() - started, 1), **counts}
    path.with_name("meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False))
    return meta


def _add_visits(store: Store, now: datetime, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    with store.read() as session:
        team_of = {user_id: team for user_id, team in session.execute(select(User.id, User.team))}
        owned = session.connection().exec_driver_sql("SELECT id, owner_id FROM customers").fetchall()
    by_team: dict[str, list[tuple[str, str]]] = {TEAM: [], OTHER_TEAM: []}
    for customer_id, owner_id in owned:
        if team_of.get(owner_id) in by_team:
            by_team[team_of[owner_id]].append((customer_id, owner_id))
    start = now - timedelta(days=30 * MONTHS)
    span = (now - start).total_seconds()
    # (seconds after start, kind, team): written oldest first, so newer rows get higher rids.
    plan = sorted([(rng.random() * span, "visit", TEAM) for _ in range(VISITS_PER_TEAM)]
                  + [(rng.random() * span, "visit", OTHER_TEAM) for _ in range(VISITS_PER_TEAM)]
                  + [(rng.random() * span, "other", rng.choice((TEAM, OTHER_TEAM))) for _ in range(OTHER_TOUCHPOINTS)])
    device_id, _code = store.device()
    counts = {"visits": 0, "visits_in_team": 0, "passed_in_team": 0, "other_touchpoints": 0, "attachments": 0}
    visits: list[tuple[Any, ...]] = []
    others: list[tuple[Any, ...]] = []
    attachments: list[tuple[Any, ...]] = []
    ts = timeutil.to_text

    def flush() -> None:
        with store.writer("snapshot") as session:
            for table, columns, rows in (("touchpoints", VISIT_COLUMNS, visits),
                                         ("touchpoints", TOUCHPOINT_COLUMNS, others),
                                         ("attachments", ATTACHMENT_COLUMNS, attachments)):
                snapshot.insert_rows(session, table, columns, rows,
                                     [search.index_row(table, columns, r) for r in rows] if table in search.INDEXES
                                     else None)
        visits.clear()
        others.clear()
        attachments.clear()

    for offset, kind, team in plan:
        when = start + timedelta(seconds=offset)
        at = ts(when)
        customer_id, owner_id = rng.choice(by_team[team])
        tid = uuid7_from(int(when.timestamp() * 1000), rng.getrandbits(74))
        if kind == "other":
            channel = rng.choice(("call", "wechat", "email", "file_sent", "meeting"))
            others.append((tid, customer_id, owner_id, None, channel, at, "王经理", "电话沟通报价和交期", "neutral", "",
                           "", None, "submitted", at, at, 1))
            counts["other_touchpoints"] += 1
        else:
            passed = rng.random() < PASS_SHARE
            visits.append((tid, customer_id, owner_id, None, "visit", at, "采购部王经理",
                           "拜访采购部，确认设备型号和交期；客户关注报价单和售后响应时间，要求下周提供技术方案。",
                           rng.choice(("positive", "neutral", "negative", "unknown")), "", "下周提供技术方案",
                           ts(when + timedelta(days=7)), "submitted", at, at, 2,
                           rng.choice(("routine", "first", "demo", "installation", "service")), at,
                           "苏州工业园区星湖街 328 号", 31.3 + rng.random() / 10, 120.6 + rng.random() / 10,
                           "default" if passed else None, 1 if passed else None, 1 if passed else None))
            counts["visits"] += 1
            if team == TEAM:
                counts["visits_in_team"] += 1
                counts["passed_in_team"] += passed
            evidence = [("photo", "storefront", "门头.jpg", "image/jpeg", None),
                        ("photo", "nameplate", "铭牌.jpg", "image/jpeg", None),
                        ("audio", "", "录音.m4a", "audio/mp4", 95.0 + rng.random() * 200)]
            for kind_, label, name, mime, duration in evidence[:3 if passed else rng.randrange(0, 3)]:
                attachments.append((uuid7_from(int(when.timestamp() * 1000), rng.getrandbits(74)), tid, kind_, label,
                                    name, f"{rng.getrandbits(256):064x}", rng.randrange(200_000, 4_000_000), mime,
                                    duration, at if kind_ == "photo" else None, None, None, at, 1))
                counts["attachments"] += 1
        if len(visits) + len(others) >= CHUNK:
            flush()
    flush()
    with store.writer("snapshot") as session:
        snapshot.record_load(session, device_id, "bench.visit_review", counts)
    return counts


# ---------------------------------------------------------------------------------------------- measure


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.visit_review")
    parser.add_argument("--data-dir", type=Path, default=Path("bench/data/visit-review"))
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args(argv)
    path = database_path(args.data_dir)
    if not path.exists():
        print(f"building {path} (once) ...")
        meta = build(path, timeutil.utcnow().replace(microsecond=0))
    else:
        meta = json.loads(path.with_name("meta.json").read_text())
    print("data set:", json.dumps(meta, ensure_ascii=False))
    now = timeutil.from_text(meta["now"])
    store = open_store(path)
    figures: dict[str, dict[str, float]] = {}

    def report(key: str, times: list[float], note: str = "") -> None:
        figures[key] = {"median_ms": statistics.median(times), "p95_ms": pct(times, 95), "max_ms": max(times)}
        print(f"  {key:<52} {statistics.median(times):8.2f} ms median {pct(times, 95):8.2f} ms p95  {note}")

    with store.read() as session:
        manager = session.scalars(select(User).where(User.username == "manager.wang")).one()
        rep_id = session.execute(select(User.id).where(User.team == TEAM, User.role == "field_rep")
                                 .order_by(User.username)).scalars().first()

    def fresh(fn: Callable[[Any], Any]) -> Callable[[], Any]:
        def call() -> Any:
            with store.read() as session:
                return fn(session)
        return call

    conn_sql = "SELECT count(*) FROM touchpoints"
    times, n = timed(fresh(lambda s: s.connection().exec_driver_sql(conn_sql).scalar()), args.runs)
    report("baseline: SELECT count(*) FROM touchpoints", times, f"{n:,} rows")
    visits_sql = "SELECT count(*) FROM touchpoints WHERE channel = 'visit'"
    times, n = timed(fresh(lambda s: s.connection().exec_driver_sql(visits_sql).scalar()), args.runs)
    report("baseline: the same, channel = 'visit'", times, f"{n:,} rows")

    default = VisitFilter(manager, since=now - timedelta(days=DEFAULT_DAYS))
    everything = VisitFilter(manager)
    for name, flt in (("open, last 30 days (the default)", default), ("open, every visit", everything)):
        times, review = timed(fresh(lambda s, f=flt: visit_review.open_review(s, f)), args.runs)
        total = review.total
        report(name, times, f"{len(review.rows)} rows, {total.visits:,} visits, {len(review.rates)} reps, "
                            f"{total.share:.1%} passed")
        figures[name]["visits"] = total.visits
    times, page = timed(fresh(lambda s: visit_review.visits_page(s, everything)), args.runs)
    report("  of which the first page alone", times)
    times, rates = timed(fresh(lambda s: visit_review.capture_rates(s, everything)), args.runs)
    report("  of which the capture-rate table alone", times)

    with store.read() as session:
        cursor, pages = None, 0
        while pages < 200:
            rows = visit_review.visits_page(session, everything, before=cursor)
            if not rows:
                break
            cursor, pages = rows[-1].cursor, pages + 1
    times, _ = timed(fresh(lambda s: visit_review.visits_page(s, everything, before=cursor)), args.runs)
    report(f"page {pages + 1} (keyset, after {pages * visit_review.PAGE:,} rows)", times)
    for name, flt in (("open, one rep", VisitFilter(manager, rep_id=rep_id)),
                      ("open, customer text '苏州'", VisitFilter(manager, customer_text="苏州")),
                      ("open, not passed", VisitFilter(manager, result="not_passed")),
                      ("open, passed, last 30 days", VisitFilter(manager, result="passed",
                                                                 since=now - timedelta(days=DEFAULT_DAYS)))):
        times, review = timed(fresh(lambda s, f=flt: visit_review.open_review(s, f)), args.runs)
        report(name, times, f"{review.total.visits:,} visits")
    store.close()
    worst = max(figures["open, every visit"]["p95_ms"], figures["open, last 30 days (the default)"]["p95_ms"])
    print(f"target: opening <= {TARGET_MS:.0f} ms: {'met' if worst <= TARGET_MS else 'NOT met'} (worst p95 {worst:.1f} ms)")
    path.with_name("figures.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
