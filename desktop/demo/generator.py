"""The demo organisation and a scale generator, written as a server snapshot (desktop.snapshot).

``seed_demo`` makes the small, realistic data set a new installation starts with; ``generate`` makes
any size (100k customers, 1M touchpoints) for benchmarks and evaluation. Rows come from one
producer (:func:`_produce`), deterministic for a given seed; for large sets it runs in a second
process so that making rows and writing them overlap on two cores. Touchpoints are written oldest
first, so newer touchpoints get higher rowids, as they do in real use. Progress goes to a callback
that can cancel; what was committed before a cancel stays.
"""

from __future__ import annotations

import multiprocessing
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from desktop import derived, follow_ups, passwords, search, snapshot, timeutil
from desktop.demo import vocabulary as v
from desktop.ids import uuid7_from
from desktop.models import CHANNELS, DECISION_ROLES, REACTIONS, Customer, User
from desktop.store import Store

Progress = Callable[[float, str], bool]  # (fraction done, what) -> False to cancel

USER_COLUMNS = ("id", "username", "display_name", "role", "territory", "team", "manager_id", "password_hash",
                "active", "created_at", "updated_at", "version", "name_sort")
CUSTOMER_COLUMNS = ("id", "name", "short_name", "owner_id", "region", "city", "address", "industry", "segment",
                    "status", "phone", "credit_limit", "notes", "created_at", "updated_at", "version",
                    "name_sort", "name_key", "phone_digits")
CONTACT_COLUMNS = ("id", "customer_id", "name", "title", "decision_role", "phone", "wechat", "email", "notes",
                   "last_reached_at", "created_at", "updated_at", "version", "name_sort", "phone_digits")
TOUCHPOINT_COLUMNS = ("id", "customer_id", "user_id", "contact_id", "channel", "occurred_at", "with_whom", "summary",
                      "reaction", "reaction_note", "next_step", "next_step_due", "status", "created_at",
                      "updated_at", "version")
COLUMNS = {"users": USER_COLUMNS, "customers": CUSTOMER_COLUMNS, "contacts": CONTACT_COLUMNS,
           "touchpoints": TOUCHPOINT_COLUMNS}
CHUNK = 25_000
CUSTOMER_CHUNK = 2_000
PARALLEL_FROM = 50_000  # touchpoints; below this a second process costs more than it saves
# The demo organisation works in East China (UTC+8, no daylight saving): 08:00-20:00 there is
# 00:00-12:00 UTC, on the same calendar date. Times are written as UTC text.
WORKDAY_UTC_HOURS = (0, 12)


class Cancelled(Exception):
    """The progress callback asked to stop; what was committed so far stays."""


@dataclass
class Summary:
    users: int
    customers: int
    contacts: int
    touchpoints: int
    touchpoint_seconds: float = 0.0  # from the end of the customers to the last touchpoint written


@dataclass(frozen=True)
class _Params:
    customers: int
    touchpoints: int
    months: int
    seed: int
    extra_reps: int
    now: datetime


def _ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


Chunk = tuple[str, list[tuple[Any, ...]], list[str] | None]


def _searchable(table: str, rows: list[tuple[Any, ...]]) -> Chunk:
    columns = COLUMNS[table]
    return table, rows, [search.index_row(table, columns, row) for row in rows]


def _produce(p: _Params) -> Iterator[Chunk]:
    """Yield (table, rows, search texts) chunks in insertion order; rows are in storage form.

    Search texts are made here, so that in parallel mode the writing process does not make them.
    """
    rng = random.Random(p.seed)
    rand = rng.getrandbits
    now = p.now
    ts = timeutil.to_text

    # ---- users: the demo organisation, plus extra reps for large sets (sharing one hash: hashing
    # hundreds of passwords would dominate the run)
    created = now - timedelta(days=400)
    ids = {u[0]: uuid7_from(_ms(created), rand(74)) for u in v.DEMO_USERS}
    users: list[tuple[Any, ...]] = []
    for username, display, role, territory, team, manager in v.DEMO_USERS:
        users.append((ids[username], username, display, role, territory, team, ids[manager] if manager else None,
                      passwords.hash_password(v.DEMO_PASSWORD), 1, ts(created), ts(created), 1,
                      derived.user_columns(display)["name_sort"]))
    shared_hash = passwords.hash_password(v.DEMO_PASSWORD)
    regions = list(v.REGIONS)
    for i in range(p.extra_reps):
        team, manager = ("华东一组", "manager.wang") if i % 2 == 0 else ("华东二组", "manager.zhou")
        display = rng.choice(v.SURNAMES) + rng.choice(v.GIVEN)
        users.append((uuid7_from(_ms(created), rand(74)), f"rep{i + 1:04d}", display,
                      "field_rep", regions[i % len(regions)], team, ids[manager], shared_hash, 1, ts(created),
                      ts(created), 1, derived.user_columns(display)["name_sort"]))
    yield "users", users, None

    # ---- customers and their contacts
    owners = [u for u in users if u[3] in ("field_rep", "key_account_director", "channel_manager", "sales_manager")]
    weights = [1 if u[3] == "sales_manager" else 4 if u[3] == "key_account_director" else 10 for u in owners]
    owner_picks = rng.choices(owners, weights, k=p.customers)
    region_of_city = {city: region for region, cities in v.REGIONS.items() for city in cities}
    cities = list(region_of_city)
    used: set[str] = set()
    customer_ids: list[str] = []
    customer_owner: list[str] = []
    contacts_of: list[list[tuple[str, str]]] = []
    customers: list[tuple[Any, ...]] = []
    contacts: list[tuple[Any, ...]] = []
    segments = ("key_account", "standard", "channel", "prospect")
    for i in range(p.customers):
        owner = owner_picks[i]
        city = rng.choice(v.REGIONS.get(owner[4]) or cities) if rng.random() < 0.8 else rng.choice(cities)
        trade, industry = rng.choice(v.INDUSTRIES)
        brand = rng.choice(v.BRANDS)
        name = f"{city}{brand}{trade}{rng.choice(v.COMPANY_FORMS)}"
        if name in used:
            brand += rng.choice(v.BRANDS)
            name = f"{city}{brand}{trade}{rng.choice(v.COMPANY_FORMS)}"
            if name in used:
                name = f"{city}{brand}{trade}（{i}）有限公司"
        used.add(name)
        since = now - timedelta(days=rng.randrange(200, 1500))
        since_text = ts(since)
        segment = rng.choices(segments, (1, 6, 2, 2))[0]
        cid = uuid7_from(_ms(since), rand(74))
        customer_ids.append(cid)
        customer_owner.append(owner[0])
        phone = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
        customers.append((cid, name, brand + trade[:2], owner[0], region_of_city[city], city,
                          f"{city}{rng.choice(v.STREETS)}{rng.randrange(1, 300)}号", industry, segment,
                          rng.choices(("active", "dormant", "lost"), (85, 12, 3))[0], phone,
                          f"{rng.randrange(5, 500) * 10000}.00" if segment != "prospect" else None,
                          "", since_text, since_text, 1, *derived.customer_columns(name, phone).values()))
        mine = []
        for role in rng.sample(DECISION_ROLES, rng.randint(1, 4)):
            person = rng.choice(v.SURNAMES) + rng.choice(v.GIVEN)
            kid = uuid7_from(_ms(since), rand(74))
            mine.append((kid, person))
            phone = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
            contacts.append((kid, cid, person, rng.choice(v.TITLES[role]), role, phone, f"wx_{rand(27):08d}",
                             f"{kid[-8:]}@example.cn", "", None, since_text, since_text, 1,
                             *derived.contact_columns(person, phone).values()))
        contacts_of.append(mine)
        if len(customers) >= CUSTOMER_CHUNK:  # small chunks: the writer starts while we go on
            yield _searchable("customers", customers)
            yield "contacts", contacts, None
            customers, contacts = [], []
    yield _searchable("customers", customers)
    yield "contacts", contacts, None

    # ---- touchpoints, oldest first, weekdays busier than weekends
    start_day = (now - timedelta(days=30 * p.months)).replace(hour=0, minute=0, second=0, microsecond=0)
    days = (now - start_day).days + 1
    day_weight = [0.25 if (start_day + timedelta(days=d)).weekday() >= 5 else 1.0 for d in range(days)]
    per_weight = p.touchpoints / sum(day_weight)
    prefixes = [(start_day + timedelta(days=d)).strftime("%Y-%m-%dT") for d in range(days + 15)]
    start_ms = _ms(start_day)
    now_text = ts(now)
    channel_table = [c for c, weight in zip(CHANNELS, (30, 30, 20, 8, 7, 5), strict=True) for _ in range(weight)]
    templates = v.TEMPLATES
    surnames, given, topics, documents, next_steps = v.SURNAMES, v.GIVEN, v.TOPICS, v.DOCUMENTS, v.NEXT_STEPS
    batch: list[tuple[Any, ...]] = []
    last_reached: dict[str, str] = {}
    made = 0
    n_customers = p.customers
    for day in range(days):
        n = p.touchpoints - made if day == days - 1 else min(round(day_weight[day] * per_weight), p.touchpoints - made)
        if n <= 0 or not n_customers:
            continue
        prefix = prefixes[day]
        for seconds in sorted(rng.randrange(WORKDAY_UTC_HOURS[0] * 3600, WORKDAY_UTC_HOURS[1] * 3600)
                              for _ in range(n)):
            # One draw of random bits per touchpoint, sliced into every choice below: a dozen calls
            # into random per row would make the producer, not SQLite, the bottleneck.
            r = rand(96)
            occurred = f"{prefix}{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}.000000Z"
            if occurred > now_text:
                occurred = now_text
            ci = (r & 0xFFFFFFFF) % n_customers
            channel = channel_table[(r >> 32) % 100]
            mine = contacts_of[ci]
            if mine and (r >> 39) % 100 < 85:
                kid, person = mine[(r >> 46) % len(mine)]
                last_reached[kid] = occurred
            else:
                kid, person = None, surnames[(r >> 46) % len(surnames)] + given[(r >> 52) % len(given)]
            reaction = REACTIONS[(r >> 58) & 3]
            template = templates[channel]
            summary = template[(r >> 60) % len(template)].format(
                who=person, topic=topics[(r >> 64) % len(topics)], doc=documents[(r >> 68) % len(documents)],
                minutes=3 + (r >> 72) % 38, version=1 + (r >> 78) % 5)
            notes = v.REACTION_NOTES[reaction]
            if (r >> 81) % 10 < 6:
                due = f"{prefixes[day + 1 + (r >> 85) % 14]}{seconds // 3600:02d}:00:00.000000Z"
                next_step = next_steps[(r >> 89) % len(next_steps)]
            else:
                due, next_step = None, ""
            batch.append((uuid7_from(start_ms + day * 86_400_000 + seconds * 1000, rand(74)), customer_ids[ci],
                          customer_owner[ci], kid, channel, occurred, person, summary, reaction,
                          notes[(r >> 93) % len(notes)], next_step, due, "submitted", occurred, occurred, 1))
        made += n
        if len(batch) >= CHUNK:
            yield _searchable("touchpoints", batch)
            batch = []
    yield _searchable("touchpoints", batch)
    yield "last_reached", [(t, k) for k, t in last_reached.items()], None


def _produce_into(p: _Params, queue: Any) -> None:
    try:
        for item in _produce(p):
            queue.put(item)
        queue.put(None)
    except BaseException as exc:  # the parent must hear of it, or it waits forever
        queue.put(("error", repr(exc)))


def _chunks(p: _Params, parallel: bool) -> Iterator[Chunk]:
    if not parallel:
        yield from _produce(p)
        return
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue(maxsize=4)
    worker = ctx.Process(target=_produce_into, args=(p, queue), daemon=True)
    worker.start()
    try:
        while (item := queue.get()) is not None:
            if item[0] == "error":
                raise RuntimeError(f"demo data producer failed: {item[1]}")
            yield item
    finally:
        if worker.is_alive():
            worker.terminate()
        worker.join()


def generate(store: Store, *, customers: int, touchpoints: int, months: int = 6, seed: int = 2026,
             extra_reps: int | None = None, progress: Progress | None = None, now: datetime | None = None,
             parallel: bool | None = None) -> Summary:
    """Write a whole organisation into an empty store: users, customers, contacts, touchpoints."""
    with store.read() as session:
        if session.scalar(select(func.count()).select_from(Customer)) or \
                session.scalar(select(func.count()).select_from(User)):
            raise ValueError("the database already holds data; generate into an empty one")
    if extra_reps is None:
        extra_reps = max(0, customers // 400 - 4)
    params = _Params(customers, touchpoints, months, seed, extra_reps, now or timeutil.utcnow())
    if parallel is None:
        parallel = touchpoints >= PARALLEL_FROM
    report = progress or (lambda _f, _w: True)
    device_id, _code = store.device()
    counts = dict.fromkeys(COLUMNS, 0)
    last_write = time.perf_counter()
    expected = customers * 3.5 + touchpoints + len(v.DEMO_USERS) + extra_reps
    touchpoints_from = touchpoints_to = 0.0
    for table, rows, bodies in _chunks(params, parallel):
        if table == "touchpoints" and not touchpoints_from:
            touchpoints_from = last_write
        with store.writer("snapshot") as session:
            if table == "last_reached":
                if rows:  # none when there are no touchpoints
                    session.connection().exec_driver_sql("UPDATE contacts SET last_reached_at = ? WHERE id = ?", rows)
                follow_ups.settle_bulk(session)  # the latest dated next step of each customer is open
                snapshot.record_load(session, device_id, "demo", counts)
                continue
            snapshot.insert_rows(session, table, COLUMNS[table], rows, bodies)
        last_write = time.perf_counter()
        if table == "touchpoints":
            touchpoints_to = last_write
        counts[table] += len(rows)
        if report(min(0.99, sum(counts.values()) / expected), table) is False:
            raise Cancelled(table)
    report(1.0, "done")
    return Summary(counts["users"], counts["customers"], counts["contacts"], counts["touchpoints"],
                   touchpoints_to - touchpoints_from)


def seed_demo(store: Store, *, seed: int = 2026, progress: Progress | None = None) -> Summary:
    """The realistic data set a new installation starts with: 300 customers, six months of trail,
    photos and recordings on the most recent visits (desktop.demo.evidence), and products, rates and
    60 quotes in every state (desktop.demo.quotes)."""
    from desktop.demo.evidence import add_evidence
    from desktop.demo.quotes import add_quotes

    summary = generate(store, customers=300, touchpoints=6000, months=6, seed=seed, extra_reps=0,
                       progress=progress, parallel=False)
    add_evidence(store, seed=seed)
    add_quotes(store, quotes=60, seed=seed)
    return summary


def is_empty(store: Store) -> bool:
    """True when the store holds no users yet (a new installation)."""
    with store.read() as session:
        return not session.scalar(select(func.count()).select_from(User))
