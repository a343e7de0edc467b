"""Sync under faults: a Hypothesis state machine drives 2-4 desktops against a real server process.

Each desktop is a real store and a real SyncClient whose HTTP session sits on a faulty network: a
request lost before it reaches the server, an answer lost after the server committed, a request sent
twice, a request held back and delivered later (after newer ones), a 500 before or after the server's
commit, and the desktop killed while its push is in flight. Desktops are also killed between a local
change and its push, and their clocks run a day fast or slow.

Checked after every step and at the end of each run:

- every change made on a desktop is applied exactly once on the server or visibly rejected (an open
  sync problem on the desktop that made it), never both, never lost, never twice;
- after a sync that pushed everything, the desktop holds exactly the server's rows that its user may
  see - so no cursor has moved past a change it did not apply;
- once the network heals, every desktop converges to the server's state.

FIELDMARK_FAULT_EXAMPLES=200 runs a longer search than the suite's default.
"""

from __future__ import annotations

import itertools
import os
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from desktop import integrity, mutations, permissions, remote, timeutil
from desktop.errors import DomainError
from desktop.ids import uuid7
from desktop.models import Contact, Customer, OutboxEntry, Touchpoint, User
from desktop.store import Store, open_store
from sync.client import SyncClient, SyncUnavailable
from sync.server import changes as server_changes
from sync.server.models import Processed
from sync.token_store import FileTokenStore
from tests.server_process import ServerProcess

EXAMPLES = int(os.environ.get("FIELDMARK_FAULT_EXAMPLES", "15"))
# The suite's run draws the same examples every time (a fixed seed), so its check that every kind of
# fault was exercised cannot fail by chance; a longer search (the variable set) draws new ones.
DERANDOMIZE = "FIELDMARK_FAULT_EXAMPLES" not in os.environ
USERS = ("rep.li", "rep.zhang", "manager.wang", "rep.liu")  # two reps and their manager, one rep of another team
SKEWS = (timedelta(hours=-24), timedelta(0), timedelta(hours=24))
FAULTS = ("drop_request", "drop_response", "duplicate", "hold", "error_500", "commit_500", "kill")
MODELS = (User, Customer, Contact, Touchpoint)
_names = itertools.count(1)
SEEN: Counter[str] = Counter()  # what the runs went through, printed at the end (pytest -s) and checked


class Killed(BaseException):
    """The desktop process died (no handler of ours runs; a BaseException like KeyboardInterrupt)."""


def _fake_500(request: requests.PreparedRequest) -> requests.Response:
    response = requests.Response()
    response.status_code = 500
    response._content = b'{"code": "internal", "message_en": "injected"}'
    response.request = request
    response.url = request.url or ""
    return response


class Network:
    """The wire between the desktops and the server: delivers, loses, repeats and delays requests."""

    def __init__(self) -> None:
        self.held: list[tuple[str, str, dict[str, Any]]] = []

    def release(self, count: int) -> None:
        """Deliver held requests now, newest first: each arrives after requests sent later than it."""
        for method, url, kwargs in reversed(self.held[:count]):
            try:
                requests.request(method, url, **kwargs)
                SEEN[f"late {method} {url.rsplit('/', 1)[-1]}"] += 1
            except requests.RequestException:
                pass
        del self.held[:count]


class FaultySession(requests.Session):
    """A requests session that applies the next planned faults, one per request."""

    def __init__(self, network: Network) -> None:
        super().__init__()
        self.network = network
        self.plan: list[str] = []

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        fault = self.plan.pop(0) if self.plan else None
        if fault == "drop_request":
            raise requests.ConnectionError("injected: the request was lost")
        if fault == "error_500":
            return _fake_500(requests.Request(method, url).prepare())
        if fault == "hold":
            self.network.held.append((method, url, dict(kwargs)))
            raise requests.ConnectionError("injected: the request is stuck in the network")
        response = super().request(method, url, **kwargs)
        if fault == "duplicate":
            response = super().request(method, url, **kwargs)
        elif fault == "drop_response":
            raise requests.ConnectionError("injected: the answer was lost")
        elif fault == "commit_500":
            return _fake_500(response.request)
        elif fault == "kill" and "/v1/push" in url:
            raise Killed()
        return response


@contextmanager
def clock(offset: timedelta):
    """The device's clock, off by ``offset`` while it works."""
    real = timeutil.utcnow
    timeutil.utcnow = lambda: real() + offset  # type: ignore[assignment]
    try:
        yield
    finally:
        timeutil.utcnow = real  # type: ignore[assignment]


class Desktop:
    """One installation: its store, its client on the faulty network, its user and its clock."""

    def __init__(self, folder: Path, server: ServerProcess, network: Network, username: str,
                 skew: timedelta) -> None:
        self.folder, self.server, self.network = folder, server, network
        self.username, self.skew = username, skew
        self.store: Store = open_store(folder / "fieldmark.db")
        self.client = self._client()
        with clock(skew):
            self.user_id = self.client.sign_in(username, "fieldmark", f"{username} {folder.name}")

    def _client(self) -> SyncClient:
        self.session = FaultySession(self.network)
        return SyncClient(self.store, self.server.url, FileTokenStore(self.folder / "token"), attempts=3,
                          sleep=lambda _s: None, timeout=(5, 30), session=self.session)

    def restart(self) -> None:
        """The process died and starts again on the same data folder."""
        self.store.close()
        self.store = open_store(self.folder / "fieldmark.db")
        self.client = self._client()

    def run(self, name: str, args: dict[str, Any]) -> bool:
        """Make a change here, offline; False when the desktop refused it (nothing was made)."""
        with clock(self.skew):
            try:
                mutations.run(self.store, self.user_id, name, args)
            except DomainError:
                return False
        return True

    def sync(self, faults: list[str]) -> str:
        self.session.plan = list(faults)
        with clock(self.skew):
            try:
                report = self.client.sync()
            except Killed:
                SEEN["killed while pushing"] += 1
                self.restart()
                return "killed"
            except SyncUnavailable:
                return "unavailable"
            finally:
                self.session.plan = []
        return "out_of_order" if report.push.out_of_order else "ok"

    def outbox(self) -> list[OutboxEntry]:
        with self.store.read() as s:
            return list(s.scalars(select(OutboxEntry).order_by(OutboxEntry.seq)))

    def customers(self, ours: set[str]) -> list[Customer]:
        """Customers this desktop has, among ``ours`` (the run's own: the server keeps earlier runs' too)."""
        with self.store.read() as s:
            return list(s.scalars(select(Customer).where(Customer.id.in_(ours)).order_by(Customer.id)))

    def contacts(self, ours: set[str]) -> list[Contact]:
        with self.store.read() as s:
            return list(s.scalars(select(Contact).where(Contact.deleted_at.is_(None), Contact.customer_id.in_(ours))
                                  .order_by(Contact.id)))

    def team(self) -> list[User]:
        with self.store.read() as s:
            return list(s.scalars(select(User).where(User.role.in_(permissions.OWNERS), User.active)
                                  .order_by(User.username)))


def rows_of(session: Session, user: User | None) -> dict[str, dict[str, dict[str, Any]]]:
    """Every synced row (as the protocol serialises it, without local numbering or password hashes);
    with a user, only what that user may see (the server's view)."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    visible = select(Customer.id)
    if user is not None:
        visible = visible.where(permissions.visible_customers(user))
    for model in MODELS:
        query = select(model)
        if model is Customer:
            query = query.where(Customer.id.in_(visible))
        elif model in (Contact, Touchpoint):
            query = query.where(model.customer_id.in_(visible))
        table = {}
        for row in session.scalars(query):
            data = server_changes.serialize(row)
            data.pop("password_hash", None)
            table[row.id] = data
        out[model.__tablename__] = table
    return out


class SyncUnderFaults(RuleBasedStateMachine):
    server: ServerProcess
    server_engine: Any
    root: Path
    runs = itertools.count(1)

    def __init__(self) -> None:
        super().__init__()
        self.network = Network()
        self.desktops: list[Desktop] = []
        self.folder = self.root / f"run{next(self.runs)}"
        self.ours: set[str] = set()  # customers made in this run (what rules pick from, so that a run replays)

    # ---- set-up

    @initialize(people=st.lists(st.tuples(st.sampled_from(USERS), st.sampled_from(SKEWS)), min_size=2, max_size=4))
    def start(self, people: list[tuple[str, timedelta]]) -> None:
        for i, (username, skew) in enumerate(people):
            desktop = Desktop(self.folder / f"desk{i}", self.server, self.network, username, skew)
            assert desktop.sync([]) == "ok"  # the first pull, on a good network
            self.desktops.append(desktop)

    # ---- work done offline

    def _desktop(self, data: st.DataObject) -> Desktop:
        return data.draw(st.sampled_from(self.desktops), label="desktop")

    @rule(data=st.data(), reuse_name=st.booleans())
    def create_customer(self, data: st.DataObject, reuse_name: bool) -> None:
        desktop = self._desktop(data)
        known = sorted({c.name for d in self.desktops for c in d.customers(self.ours)})
        # Reusing a name another desktop took offline: one of the two is refused by the server.
        name = data.draw(st.sampled_from(known)) if reuse_name and known else f"故障测试客户{next(_names):05d}"
        customer_id = uuid7()
        if desktop.run("customer.create", {"id": customer_id, "name": name, "city": "苏州"}):
            self.ours.add(customer_id)

    @rule(data=st.data(), field=st.sampled_from(["phone", "notes", "city"]), value=st.text("0123456789甲乙丙", max_size=6))
    def update_customer(self, data: st.DataObject, field: str, value: str) -> None:
        desktop = self._desktop(data)
        customers = desktop.customers(self.ours)
        if customers:
            customer = data.draw(st.sampled_from(customers))
            desktop.run("customer.update", {"id": customer.id, field: value})

    @rule(data=st.data())
    def reassign_customer(self, data: st.DataObject) -> None:
        """A manager hands a customer to another rep: the old owner's desktop must forget it."""
        desktop = self._desktop(data)
        customers, team = desktop.customers(self.ours), desktop.team()
        if customers and team:
            customer = data.draw(st.sampled_from(customers))
            owner = data.draw(st.sampled_from(team))
            desktop.run("customer.update", {"id": customer.id, "owner_id": owner.id})

    @rule(data=st.data(), days=st.integers(0, 3))
    def log_touchpoint(self, data: st.DataObject, days: int) -> None:
        desktop = self._desktop(data)
        customers = desktop.customers(self.ours)
        if customers:
            customer = data.draw(st.sampled_from(customers))
            with clock(desktop.skew):
                at = timeutil.to_text(timeutil.utcnow() - timedelta(days=days))
            desktop.run("touchpoint.log", {"customer_id": customer.id, "channel": "call", "summary": "电话沟通交期",
                                           "occurred_at": at})

    @rule(data=st.data())
    def add_contact(self, data: st.DataObject) -> None:
        desktop = self._desktop(data)
        customers = desktop.customers(self.ours)
        if customers:
            customer = data.draw(st.sampled_from(customers))
            desktop.run("contact.add", {"customer_id": customer.id, "name": "王经理", "decision_role": "user"})

    @rule(data=st.data())
    def remove_contact(self, data: st.DataObject) -> None:
        desktop = self._desktop(data)
        contacts = desktop.contacts(self.ours)
        if contacts:
            desktop.run("contact.remove", {"id": data.draw(st.sampled_from(contacts)).id})

    @rule(data=st.data())
    def kill(self, data: st.DataObject) -> None:
        """Killed after a local commit, before anything was pushed."""
        self._desktop(data).restart()

    # ---- the network

    @rule(data=st.data(), faults=st.lists(st.sampled_from(FAULTS), max_size=4))
    def sync(self, data: st.DataObject, faults: list[str]) -> None:
        desktop = self._desktop(data)
        outcome = desktop.sync(faults)
        event(f"sync: {outcome}")
        SEEN[f"sync {outcome}"] += 1
        SEEN.update(f"fault {f}" for f in faults[:3 * desktop.client.attempts])
        if outcome == "ok" and not any(e.status == "pending" for e in desktop.outbox()):
            self.check_matches_server(desktop)

    @precondition(lambda self: self.network.held)
    @rule(count=st.integers(1, 3))
    def deliver_late(self, count: int) -> None:
        self.network.release(count)

    # ---- checks

    def server_rows(self, username: str) -> dict[str, dict[str, dict[str, Any]]]:
        with Session(self.server_engine) as s:
            user = s.scalars(select(User).where(User.username == username)).one()
            return rows_of(s, user)

    def check_matches_server(self, desktop: Desktop) -> None:
        with desktop.store.read() as s:
            mine = rows_of(s, None)
            assert integrity.check(s) == []
        theirs = self.server_rows(desktop.username)
        for table, expected in theirs.items():
            assert mine[table].keys() == expected.keys(), f"{desktop.username}: {table} differ from the server's"
            for row_id, row in expected.items():
                assert mine[table][row_id] == row, f"{desktop.username}: {table} {row_id} differs from the server's"

    @invariant()
    def changes_are_applied_at_most_once(self) -> None:
        if not self.desktops:
            return
        with Session(self.server_engine) as s:
            processed = s.execute(select(Processed.device_id, Processed.seq, Processed.mutation_id, Processed.status)
                                  .where(Processed.device_id.in_([d.store.device()[0] for d in self.desktops]))).all()
        assert all(n == 1 for n in Counter(p.mutation_id for p in processed).values())
        by_key = {(p.device_id, p.seq): p for p in processed}
        for desktop in self.desktops:
            device_id = desktop.store.device()[0]
            for entry in desktop.outbox():
                done = by_key.get((device_id, entry.seq))
                if done is not None:  # the server's record is this change (never another one under its seq)
                    assert done.mutation_id == entry.mutation_id
                if entry.status != "pending":  # an answer only ever comes from the server's record
                    assert done is not None and done.status == entry.status

    def teardown(self) -> None:
        try:
            if self.desktops:
                self.heal()
        finally:
            for desktop in self.desktops:
                desktop.store.close()

    def heal(self) -> None:
        """The network recovers: late requests arrive, everybody syncs until nothing moves."""
        self.network.release(len(self.network.held))
        for _round in range(3):
            for desktop in self.desktops:
                assert desktop.sync([]) == "ok"
        with Session(self.server_engine) as s:
            processed = {(p.device_id, p.seq): p for p in s.scalars(
                select(Processed).where(Processed.device_id.in_([d.store.device()[0] for d in self.desktops])))}
            server_ids = {model.__tablename__: set(s.scalars(select(model.id))) for model in MODELS}
        for desktop in self.desktops:
            device_id = desktop.store.device()[0]
            with desktop.store.read() as s:
                problems = {p.outbox_seq: p for p in remote.open_problems(s)}
            for entry in desktop.outbox():
                done = processed[(device_id, entry.seq)]  # every change reached the server ...
                assert entry.status == done.status  # ... and its answer reached the desktop
                assert done.mutation_id == entry.mutation_id
                event(f"{entry.name}: {entry.status}")
                SEEN[f"{entry.name} {entry.status}"] += 1
                if entry.status == "rejected":  # a refusal stays in front of the user, with the reason
                    assert entry.seq in problems and problems[entry.seq].message_zh
                else:
                    assert entry.seq not in problems
                created = entry.args.get("id") if entry.name in ("customer.create", "contact.add",
                                                                 "touchpoint.log") else None
                if created is not None:
                    table = {"customer.create": "customers", "contact.add": "contacts",
                             "touchpoint.log": "touchpoints"}[entry.name]
                    assert (created in server_ids[table]) == (entry.status == "applied")
            self.check_matches_server(desktop)


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request, tmp_path_factory):
    url = request.getfixturevalue("postgres").database() if request.param == "postgresql" else None
    folder = tmp_path_factory.mktemp("fault-server")
    process = ServerProcess(folder, url)
    engine = create_engine(url or f"sqlite:///{folder / 'fieldmark-server.db'}")
    yield process, engine
    engine.dispose()
    process.stop()


def request_label(server: tuple[ServerProcess, Any]) -> str:
    return "PostgreSQL" if server[0].database_url else "SQLite"


def test_sync_survives_faults(server, tmp_path):
    SEEN.clear()
    process, engine = server
    SyncUnderFaults.server, SyncUnderFaults.server_engine, SyncUnderFaults.root = process, engine, tmp_path
    run_state_machine_as_test(SyncUnderFaults, settings=settings(
        max_examples=EXAMPLES, stateful_step_count=25, deadline=None, derandomize=DERANDOMIZE, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]))
    print(f"\n{request_label(server)}: " + ", ".join(f"{k} {v}" for k, v in sorted(SEEN.items())))
    # The runs must have gone through the faults they are about (not only the happy path).
    assert SEEN["sync ok"] and any(k.endswith(" applied") for k in SEEN)
    assert {"drop_request", "drop_response", "duplicate", "hold", "error_500", "commit_500"} <= {
        k.split()[1] for k in SEEN if k.startswith("fault ")}
