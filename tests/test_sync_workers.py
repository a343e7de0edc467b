"""The server as several worker processes on PostgreSQL behind one address (sync.server.workers): desktops
pushing and pulling at once through it lose nothing and double nothing, and one person's file sent
at once through several workers arrives whole."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, func, select

from desktop import mutations, remote, timeutil
from desktop.models import Customer, OutboxEntry, Touchpoint
from desktop.store import Store, open_store
from sync.client import SyncClient
from sync.server.models import Device, Processed
from sync.server.workers import WORKER_HEADER
from sync.token_store import FileTokenStore
from tests.server_process import Api, ServerProcess

WORKERS = 3
ROUNDS = 3
PER_ROUND = 4  # touchpoints each desktop logs offline between two syncs, besides one customer


@pytest.fixture(scope="module")
def server(postgres, tmp_path_factory):
    """One server for the module (starting its workers is most of the time taken); each test makes its
    own data."""
    process = ServerProcess(tmp_path_factory.mktemp("server"), postgres.database(), workers=WORKERS)
    yield process
    process.stop()


class Desktop:
    """One installation: its own database and device id, and an HTTP session noting which worker answered."""

    def __init__(self, folder: Path, server: ServerProcess, username: str, pids: set[str]) -> None:
        self.username = username
        self.store: Store = open_store(folder / "fieldmark.db")
        http = requests.Session()
        http.hooks["response"].append(lambda response, *_a, **_k: pids.add(response.headers.get(WORKER_HEADER)))
        self.client = SyncClient(self.store, server.url, FileTokenStore(folder / "token"), sleep=lambda _s: None,
                                 session=http)
        self.user_id = ""
        self.logged: list[str] = []  # touchpoint ids made here
        self.customers: list[str] = []

    def sign_in(self) -> None:
        self.user_id = self.client.sign_in(self.username, "fieldmark", f"{self.username}'s laptop")
        self.client.sync()  # the organisation arrives with the first pull

    def work_offline(self, round_: int) -> None:
        customer = mutations.run(self.store, self.user_id, "customer.create", {
            "name": f"苏州恒通精密机械有限公司 {self.store.device()[0][-6:]} {round_}", "region": "江苏",
            "city": "苏州"}).changes.entity_id
        self.customers.append(customer)
        for i in range(PER_ROUND):
            self.logged.append(mutations.run(self.store, self.user_id, "touchpoint.log", {
                "customer_id": customer, "channel": "call", "summary": f"第 {round_} 轮第 {i} 次电话，确认交期",
                "occurred_at": timeutil.to_text(timeutil.utcnow())}).changes.entity_id)

    def rows(self, model) -> set[tuple]:
        """Every row with every column the server sends (``rid`` is this database's own search key)."""
        with self.store.read() as s:
            columns = [c for c in model.__table__.columns if c.name != "rid"]
            return {tuple(row) for row in s.execute(select(*columns)).all()}


def at_once(jobs: list[Callable[[], object]]) -> None:
    """Run the jobs on threads started together; re-raise the first failure."""
    start = threading.Barrier(len(jobs))
    failures: list[BaseException] = []

    def run(job: Callable[[], object]) -> None:
        start.wait()
        try:
            job()
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if failures:
        raise failures[0]


def test_desktops_syncing_at_once_through_several_workers_lose_and_double_nothing(server, tmp_path):
    pids: set[str] = set()
    # Two people with two computers each; the manager sees the rep's customers too.
    desktops = [Desktop(tmp_path / f"d{n}", server, username, pids)
                for n, username in enumerate(["rep.li", "rep.li", "manager.wang", "manager.wang"])]
    at_once([d.sign_in for d in desktops])  # device codes are given out by whichever worker: never twice
    for round_ in range(ROUNDS):
        for d in desktops:
            d.work_offline(round_)
        at_once([d.client.sync for d in desktops])
    for d in desktops * 2:  # each picks up what the others pushed after its last pull
        d.client.sync()

    made = [t for d in desktops for t in d.logged]
    customers = [c for d in desktops for c in d.customers]
    for d in desktops:
        with d.store.read() as s:
            assert mutations.pending(s) == 0
            assert set(s.scalars(select(OutboxEntry.status))) == {"applied"}
            assert remote.open_problems(s) == []

    engine = create_engine(server.database_url)
    try:
        with engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(Touchpoint)) == len(made) == len(set(made))
            assert conn.scalar(select(func.count()).select_from(Customer)) == len(customers)
            # every mutation processed once: a customer.create and its touchpoints, per round and desktop
            assert conn.scalar(select(func.count()).select_from(Processed)) == len(made) + len(customers)
            codes = conn.scalars(select(Device.code)).all()
    finally:
        engine.dispose()
    assert len(codes) == len(set(codes)) >= len(desktops)

    rep_a, rep_b, boss_a, boss_b = desktops
    for model in (Customer, Touchpoint):  # the devices of one person hold the very same rows
        assert rep_a.rows(model) == rep_b.rows(model)
        assert boss_a.rows(model) == boss_b.rows(model)
    assert {row[0] for row in boss_a.rows(Touchpoint)} == set(made)  # id first
    assert {row[0] for row in rep_a.rows(Touchpoint)} >= set(rep_a.logged + rep_b.logged)
    assert len(pids - {None}) > 1, pids  # served by more than one process
    for d in desktops:
        d.client.http.close()
        d.store.close()


def test_one_file_sent_at_once_through_several_workers_arrives_whole(server):
    data = hashlib.sha256(b"seed").digest() * (3 * 1024 * 1024 // 32)  # 3 MB
    sha = hashlib.sha256(data).hexdigest()
    api = Api(server, "rep.li")
    pids: set[str] = set()
    refused: list[str] = []
    chunk = 64 * 1024

    def send_all() -> None:
        """As a desktop resuming: ask where the upload stands, send from there; on 409 go where it says."""
        offset = api.get(f"/v1/blobs/{sha}/status").json()["received"]
        while True:
            response = api.put_chunk(sha, offset, len(data), data[offset:offset + chunk])
            pids.add(response.headers.get(WORKER_HEADER))
            if response.status_code == 409:
                offset = response.json()["expected"]
                continue
            if not response.ok:
                refused.append(response.text)
                return
            if response.json()["complete"]:
                return
            offset = response.json()["received"]

    at_once([send_all] * 8)  # eight sends of the same file by the same person, chunk against chunk
    assert refused == []
    assert api.get(f"/v1/blobs/{sha}/status").json() == {"received": len(data), "complete": True}
    kept = server.data_dir / "blobs" / sha[:2] / sha
    assert kept.read_bytes() == data
    assert api.get(f"/v1/blobs/{sha}").content == data
    assert len(pids - {None}) > 1, pids
