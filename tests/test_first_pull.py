"""A first pull loads the server's snapshot in bulk (sync.first_pull, desktop.bulk_pull,
sync.server.snapshot): the same local database as the change-log pull, searchable, resumable after a
desktop process is killed mid-pull and after a cancel, never left without its indexes. Real server
processes, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from desktop import bulk_pull, integrity, mutations, remote, search
from desktop.models import DATA_TABLES
from desktop.rows import columns
from desktop.store import open_store
from sync import protocol
from sync.client import SyncCancelled, SyncClient
from sync.token_store import FileTokenStore
from tests.server_process import Api, ServerProcess
from tests.test_sync_server import create, log

ROOT = Path(__file__).resolve().parent.parent
FRAME = 7  # rows per frame asked of the server: a small data set still comes in many frames


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request, tmp_path_factory):
    """One server per database, with two reps' customers and touchpoints (and a quote-free rest)."""
    url = request.getfixturevalue("postgres").database() if request.param == "postgresql" else None
    process = ServerProcess(tmp_path_factory.mktemp("server"), url)
    process.kind = request.param
    for username, count in (("rep.li", 12), ("rep.liu", 5)):
        api = Api(process, username)
        batch = []
        for n in range(count):
            name, args = create(f"{username}客户{n}精密机械有限公司")
            batch.append((name, args))
            batch += [log(args["id"], f"拜访{n}号客户，确认铭牌型号{k}") for k in range(3)]
        assert all(r["status"] == "applied" for r in api.push(*batch).json()["results"])
    yield process
    process.stop()


def desktop(folder: Path, server: ServerProcess, username: str, *, snapshots: bool = True) -> tuple:
    store = open_store(folder / "fieldmark.db")
    client = SyncClient(store, server.url, FileTokenStore(folder / "token"), sleep=lambda _s: None,
                        snapshots=snapshots)
    client.snapshot_rows = FRAME
    client.sign_in(username, "fieldmark", f"{username}'s laptop")
    return store, client


def contents(path: Path) -> dict:
    """Every business row (travelling columns, by id), the server-counted versions, the cursor, and the
    schema's indexes and triggers."""
    db = sqlite3.connect(path)
    out = {table: db.execute(f"SELECT {', '.join(columns(table))} FROM {table} ORDER BY id").fetchall()
           for table in DATA_TABLES}
    out["sync_rows"] = db.execute("SELECT * FROM sync_rows ORDER BY table_name, row_id").fetchall()
    out["cursor"] = db.execute("SELECT cursor FROM sync_state").fetchall()
    out["schema"] = db.execute("SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') "
                               "ORDER BY name").fetchall()
    db.close()
    return out


def schema_of(path: Path) -> set:
    db = sqlite3.connect(path)
    try:
        return set(db.execute("SELECT type, name FROM sqlite_master WHERE type IN ('index', 'trigger')"))
    finally:
        db.close()


def reference(tmp_path: Path, server: ServerProcess, username: str) -> dict:
    store, client = desktop(tmp_path / f"by-log-{username}", server, username, snapshots=False)
    report = client.pull()
    assert report.snapshot is None
    store.close()
    return contents(store.path)


@pytest.mark.parametrize("username", ["rep.li", "finance.sun"])
def test_the_bulk_first_pull_gives_the_same_database_as_the_change_log_pull(server, tmp_path, username):
    expected = reference(tmp_path, server, username)
    store, client = desktop(tmp_path / "bulk", server, username)
    report = client.pull()
    assert report.snapshot is not None and report.snapshot.frames > 3
    assert report.snapshot.wire_bytes > 0
    with store.read() as session:
        assert integrity.check(session) == []
        # The search index was built at the end: a pulled customer and a pulled touchpoint are found.
        found = [c.name for c in search.search_customers(session, "rep.li客户3精密")]
        assert len(found) == 1 and found[0].startswith("rep.li客户3精密机械")
        assert search.search_touchpoints(session, "铭牌型号2")
    assert bulk_pull.current(store) is None
    store.close()
    got = contents(store.path)
    assert got == expected
    owners = {row[columns("customers").index("owner_id")] for row in got["customers"]}
    if username == "rep.li":  # the scope: only the rep's own customers, all of them
        assert owners == {remote.read_state(store).user_id} and len(got["customers"]) >= 12
    else:
        assert len(owners) == 2 and len(got["customers"]) >= 17


def test_after_the_first_pull_the_change_log_goes_on_from_the_snapshots_head(server, tmp_path):
    store, client = desktop(tmp_path / "bulk", server, "rep.li")
    client.pull()
    user_id = remote.read_state(store).user_id
    customer = mutations.run(store, user_id, "customer.create", {"name": "后来的南京客户有限公司", "region": "江苏",
                                                                 "city": "南京"}).changes.entity_id
    report = client.sync()
    assert report.push.applied == 1 and report.pull.snapshot is None  # not empty any more: the change log
    with store.read() as session:
        assert [c.id for c in search.search_customers(session, "后来的南京")] == [customer]


class Stop:
    """Progress that asks to stop after some frames were written."""

    def __init__(self, frames: int) -> None:
        self.left = frames

    def set(self, fraction: float, what: str = "") -> bool:
        if what == "download":
            self.left -= 1
        return self.left > 0


def test_a_cancelled_first_pull_keeps_its_rows_indexed_and_resumes(server, tmp_path):
    store, client = desktop(tmp_path / "bulk", server, "rep.li")
    full = schema_of(store.path)
    with pytest.raises(SyncCancelled):
        client.pull(Stop(3))
    stopped = bulk_pull.current(store)
    assert stopped is not None and 0 < stopped.loaded < stopped.total
    assert schema_of(store.path) == full  # indexes made again at once
    with store.read() as session:
        assert session.connection().exec_driver_sql("SELECT count(*) FROM users").scalar() > 0
    report = client.pull()
    assert report.snapshot is not None and report.snapshot.rows == stopped.total
    store.close()
    assert contents(store.path) == reference(tmp_path, server, "rep.li")


def test_a_row_whose_parent_came_after_the_first_snapshot_is_left_to_the_change_log(server, tmp_path):
    """Stopped among the touchpoints; meanwhile a customer and its touchpoint are made. The resumed answer
    (a newer snapshot) brings the touchpoint but not the customer, whose table was read before: the
    touchpoint is removed at the end, and the change-log pull from the first head brings both."""
    store, client = desktop(tmp_path / "bulk", server, "rep.li")
    with pytest.raises(SyncCancelled):
        client.pull(StopIn(store, "touchpoints"))
    api = Api(server, "rep.li")
    name, args = create("快照中途新建的客户有限公司")
    results = api.push((name, args), log(args["id"], "快照中途记录的拜访")).json()["results"]
    assert [r["status"] for r in results] == ["applied", "applied"]
    report = client.pull()
    assert report.snapshot is not None and report.changes >= 2  # the log brought the customer and touchpoint
    with store.read() as session:
        conn = session.connection()
        detail = conn.exec_driver_sql("SELECT detail FROM audit_log WHERE entity_id = 'snapshot' "
                                      "ORDER BY seq DESC LIMIT 1").scalar()
        # the touchpoint, and the change history of its customer, which came after the snapshot too
        assert json.loads(detail)["removed"] == {"touchpoints": 1, "field_changes": 1}
        assert integrity.check(session) == []
        assert [c.id for c in search.search_customers(session, "快照中途新建")] == [args["id"]]
        assert search.search_touchpoints(session, "快照中途记录")
    store.close()
    assert contents(store.path) == reference(tmp_path, server, "rep.li")


class StopIn:
    """Progress that asks to stop once the first frame of a table was written (its token names the table)."""

    def __init__(self, store, table: str) -> None:
        self.store, self.index = store, protocol.SYNCED_TABLES.index(table)

    def set(self, fraction: float, what: str = "") -> bool:
        at = bulk_pull.current(self.store)
        return what != "download" or at is None or at.token is None or int(at.token.split(":")[1]) != self.index


CHILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from desktop.store import open_store
    from sync.client import SyncClient
    from sync.token_store import FileTokenStore

    folder, url, frames = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    store = open_store(folder / "fieldmark.db")
    client = SyncClient(store, url, FileTokenStore(folder / "token"), sleep=lambda _s: None)
    client.snapshot_rows = int(sys.argv[4])

    class Hang:
        seen = 0
        def set(self, fraction, what=""):
            if what == "download":
                Hang.seen += 1
                if Hang.seen == frames:
                    (folder / "ready").write_text("x")
                    time.sleep(600)  # killed here, mid-pull
            return True

    client.pull(Hang())
""")


def test_a_desktop_killed_mid_pull_gets_its_indexes_back_and_resumes(server, tmp_path):
    expected = reference(tmp_path, server, "rep.li")
    folder = tmp_path / "bulk"
    store, _client = desktop(folder, server, "rep.li")
    full = schema_of(store.path)
    store.close()
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(folder), server.url, "4", str(FRAME)], cwd=ROOT,
                             env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 60
        while not (folder / "ready").exists():
            assert child.poll() is None, "the desktop process ended before it was killed"
            assert time.monotonic() < deadline
            time.sleep(0.05)
        child.kill()  # SIGKILL: no cleanup of any kind
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
    assert schema_of(folder / "fieldmark.db") != full  # the load had set them aside when it died

    # Meanwhile the server moves on: the resumed load reads a newer snapshot, the change log the rest.
    api = Api(server, "rep.li")
    name, args = create("断点之后新建的客户有限公司")
    assert api.push((name, args), log(args["id"], "断点之后记录的拜访")).json()["results"][0]["status"] == "applied"

    store = open_store(folder / "fieldmark.db")  # opening the store makes them again
    assert schema_of(store.path) == full
    stopped = bulk_pull.current(store)
    assert stopped is not None and 0 < stopped.loaded < stopped.total
    with store.read() as session:
        assert search.search_customers(session, "rep.li客户0精密")  # loaded rows are searchable meanwhile
    client = SyncClient(store, server.url, FileTokenStore(folder / "token"), sleep=lambda _s: None)
    client.snapshot_rows = FRAME
    report = client.pull()
    assert report.snapshot is not None
    with store.read() as session:
        assert integrity.check(session) == []
        assert [c.name for c in search.search_customers(session, "断点之后")] == [args["name"]]
    store.close()
    assert contents(store.path) == reference(tmp_path / "after", server, "rep.li")
    assert len(contents(store.path)["customers"]) == len(expected["customers"]) + 1


def test_only_an_empty_store_takes_a_snapshot(store, org):
    """A folder with rows of its own (here a demo-like organisation) never loads a snapshot over them."""
    assert not bulk_pull.wanted(store)
    with pytest.raises(bulk_pull.BulkError):
        bulk_pull.start(store, 10, 100)


def test_the_snapshot_is_read_in_one_transaction_and_ends_at_its_head(server):
    """A change committed while an answer is being read is not in it; the end frame's cursor is the head
    the answer started at, so the change-log pull from there brings the change."""
    import gzip
    import json

    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from desktop.models import User
    from sync.server import snapshot
    from sync.server.db import make_engine

    # The server's own engine settings (a SQLite read transaction begins with BEGIN, as in the server).
    engine = make_engine(server.database_url or f"sqlite:///{server.data_dir / 'fieldmark-server.db'}")
    try:
        with Session(engine) as session:
            user_id = session.scalars(select(User.id).where(User.username == "rep.li")).one()
        frames = snapshot.frames(engine, user_id, None, rows_per_frame=FRAME)
        decoded = [json.loads(gzip.decompress(next(frames)[4:])) for _ in range(3)]  # the read has begun
        api = Api(server, "rep.li")
        name, args = create("读取快照期间新建的客户有限公司")
        assert api.push((name, args)).json()["results"][0]["status"] == "applied"
        decoded += [json.loads(gzip.decompress(frame[4:])) for frame in frames]
    finally:
        engine.dispose()
    start, end = decoded[0], decoded[-1]
    assert start["kind"] == "start" and end["kind"] == "end" and end["next_cursor"] == start["head"]
    assert end["epoch"] == 1 and end["server_id"] and end["next_mark"]  # the log the cursor is of
    rows = [row for frame in decoded if frame["kind"] == "rows" for row in frame["rows"]]
    assert len(rows) == start["total"]
    assert args["id"] not in {row[frame["columns"].index("id")] for frame in decoded if frame["kind"] == "rows"
                              for row in frame["rows"]}
    changes, _cursor = api.pull_all(start["head"])
    assert args["id"] in {c["id"] for c in changes if c["table"] == "customers"}


def test_zstd_frames_carry_the_same_messages_as_gzip_ones_in_fewer_bytes(server):
    """A device that asks for zstd frames (the desktop does) reads the same frames as one that does not."""
    import struct

    from sync import first_pull

    api = Api(server, "rep.li")
    for index in range(30):
        assert api.push(create(f"压缩比较客户{index:02d}有限公司")).json()["results"][0]["status"] == "applied"

    def read(kind: str) -> tuple[list[dict], int]:
        body = api.get("/v1/snapshot", params={"frames": kind}).content
        out, at = [], 0
        while at < len(body):
            size = struct.unpack(">I", body[at:at + 4])[0]
            frame = body[at + 4:at + 4 + size]
            assert frame[:4] == (first_pull.ZSTD_MAGIC if kind == "zstd" else b"\x1f\x8b\x08\x00")
            message = json.loads(first_pull._decompress(frame))
            message.pop("server_time", None)
            out.append(message)
            at += 4 + size
        return out, len(body)

    (zstd, zstd_bytes), (plain, gzip_bytes) = read("zstd"), read("gzip")
    assert zstd == plain and [f["kind"] for f in zstd][0::len(zstd) - 1] == ["start", "end"]
    assert zstd_bytes < gzip_bytes


def test_the_snapshot_route_refuses_a_bad_token_and_a_missing_sign_in(server):
    import requests

    api = Api(server, "rep.li")
    bad = api.get("/v1/snapshot", params={"after": "not-a-token"})
    assert bad.status_code == 422 and bad.json()["message_zh"] and bad.json()["message_en"]
    anonymous = requests.get(server.url + "/v1/snapshot", headers={protocol.APP_HEADER: api.headers[protocol.APP_HEADER]},
                             timeout=30)
    assert anonymous.status_code == 401
