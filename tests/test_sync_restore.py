"""Restores and resets (sync.protocol): a server restored from a backup, an epoch started by the operator,
a cursor from before either - each is recognised, and the desktop ends with exactly the server's rows,
its own changes waiting to be sent kept and applied on the server. Real server processes on loopback,
SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import shutil

import pytest
import requests
from sqlalchemy import func, select

from desktop import integrity, mutations, remote
from desktop.models import DATA_TABLES, AuditEntry, Customer
from desktop.mutations import prepare
from desktop.store import open_store
from sync.client import SyncClient
from sync.token_store import FileTokenStore
from tests.server_process import Api, ServerProcess

SERVER_FILES = ("fieldmark-server.db", "fieldmark-server.db-wal", "fieldmark-server.db-shm")
_names = itertools.count(1)


class Backups:
    """Copies of the server's database taken while it is stopped, put back the same way."""

    def __init__(self, server: ServerProcess, postgres=None) -> None:
        self.server, self.postgres = server, postgres
        self.folder = server.data_dir.parent / "backup"

    def _admin(self):
        import psycopg

        url = getattr(self.postgres, "admin_url", None) or self.postgres.url
        return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)

    def _name(self) -> str:
        return self.server.database_url.rsplit("/", 1)[1]

    def take(self) -> None:
        self.server.stop()
        if self.server.database_url is None:
            self.folder.mkdir()
            for name in SERVER_FILES:
                if (self.server.data_dir / name).exists():
                    shutil.copy2(self.server.data_dir / name, self.folder / name)
        else:
            with self._admin() as conn:
                conn.execute(f"CREATE DATABASE {self._name()}_backup TEMPLATE {self._name()}")
        self.server.start()

    def restore(self, *, stopped: bool = False) -> None:
        """Stop the server and put the copy back; started again unless ``stopped``."""
        self.server.stop()
        if self.server.database_url is None:
            for name in SERVER_FILES:
                (self.server.data_dir / name).unlink(missing_ok=True)
                if (self.folder / name).exists():
                    shutil.copy2(self.folder / name, self.server.data_dir / name)
        else:
            with self._admin() as conn:
                conn.execute(f"DROP DATABASE {self._name()} WITH (FORCE)")
                conn.execute(f"CREATE DATABASE {self._name()} TEMPLATE {self._name()}_backup")
        if not stopped:
            self.server.start()


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request, tmp_path):
    pg = request.getfixturevalue("postgres") if request.param == "postgresql" else None
    process = ServerProcess(tmp_path / "server", pg.database() if pg is not None else None)
    process.backups = Backups(process, pg)
    yield process
    process.stop()


@pytest.fixture
def sqlite_server(tmp_path):
    process = ServerProcess(tmp_path / "server")
    process.backups = Backups(process)
    yield process
    process.stop()


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory):
    """One server for the tests that only start epochs (each reads the epoch it finds)."""
    process = ServerProcess(tmp_path_factory.mktemp("server"))
    yield process
    process.stop()


def desktop(folder, server, username="rep.li"):
    store = open_store(folder / "fieldmark.db")
    client = SyncClient(store, server.url, FileTokenStore(folder / "token"), sleep=lambda _s: None)
    user_id = client.sign_in(username, "fieldmark", f"{username}'s laptop")
    client.sync()
    return store, client, user_id


def create_customers(api: Api, count: int) -> list[str]:
    items = [("customer.create", prepare("customer.create", {"name": f"恢复测试客户{next(_names)}号",
                                                              "region": "江苏", "city": "苏州"}))
             for _ in range(count)]
    results = api.push(*items).json()["results"]
    assert [r["status"] for r in results] == ["applied"] * count
    return [args["id"] for _name, args in items]


def held(store) -> dict[str, set[str]]:
    with store.read() as s:
        conn = s.connection()
        return {table: set(conn.exec_driver_sql(f"SELECT id FROM {table}").scalars()) for table in DATA_TABLES}


def on_server(server, username="rep.li") -> dict[str, set[str]]:
    """What the user may see on the server now, as a brand-new device reads it."""
    changes, _cursor = Api(server, username).pull_all()
    out: dict[str, set[str]] = {table: set() for table in DATA_TABLES}
    for change in changes:
        if change["op"] == "upsert":
            out[change["table"]].add(change["id"])
        else:
            out[change["table"]].discard(change["id"])
    return out


def city(store, customer_id):
    with store.read() as s:
        return s.scalar(select(Customer.city).where(Customer.id == customer_id))


def test_a_desktop_that_read_past_a_restored_backup_ends_with_exactly_the_servers_rows(server, tmp_path):
    other = Api(server, "rep.li")
    early = create_customers(other, 5)
    store, client, user_id = desktop(tmp_path / "rep", server)
    server.backups.take()
    lost = create_customers(other, 10)
    sent = mutations.run(store, user_id, "customer.create", {"name": "备份之后发送的客户", "region": "江苏",
                                                              "city": "扬州"}).changes.entity_id
    client.sync()  # read past the backup: these ten are here; and sent one of its own the backup lacks
    read_to = remote.read_state(store).cursor
    assert set(early + lost) <= held(store)["customers"]

    server.backups.restore()  # nobody runs `epoch new`: the cursor's mark has to give it away
    made_again = create_customers(Api(server, "rep.li"), 15)  # they take the numbers the lost ten had
    assert Api(server, "rep.li").pull_all()[1] > read_to  # the head is past the desktop's cursor again

    # Offline work waiting to be sent when the desktop syncs.
    mutations.run(store, user_id, "customer.update", {"id": early[0], "city": "无锡"})
    mine = mutations.run(store, user_id, "customer.create", {"name": "本机新建客户", "region": "江苏",
                                                              "city": "南京"}).changes.entity_id
    mutations.run(store, user_id, "customer.update", {"id": lost[0], "city": "镇江"})  # one the server lost
    client.sync()

    here, there = held(store), on_server(server)
    assert here == there  # exactly the server's rows: the ten it no longer has are gone, the fifteen are here
    assert set(made_again) | set(early) | {mine, sent} == here["customers"]  # what it sent before, sent again
    assert here["customers"].isdisjoint(lost)
    assert city(store, early[0]) == "无锡"
    fresh, _client, _ = desktop(tmp_path / "fresh", server)
    assert city(fresh, early[0]) == "无锡" and {mine, sent} <= held(fresh)["customers"]  # applied on the server
    state = remote.read_state(store)
    assert state.reset_notice["reason"] == "rewritten" and state.reset_notice["done_at"]
    assert state.reset_notice["removed"] == 10
    assert "备份" in state.reset_notice["message_zh"] and "backup" in state.reset_notice["message_en"]
    assert state.server_id and state.epoch == 1 and state.cursor_mark
    with store.read() as s:
        assert mutations.pending(s) == 0
        # The edit of a customer the server no longer has is not lost: the server refused it, and it
        # waits among the sync problems with what the user typed.
        [problem] = remote.open_problems(s)
        assert (problem.mutation, problem.entity_id, problem.args["city"]) == ("customer.update", lost[0], "镇江")
        assert problem.message_zh and problem.message_en
        assert integrity.check(s) == []
        requeued = s.scalars(select(AuditEntry.detail).where(AuditEntry.action == "sync.requeued")).all()
    assert len(requeued) == 1 and len(requeued[0]["seqs"]) == 1
    client.sync()  # and from now on an ordinary sync
    assert held(store) == on_server(server)
    store.close()
    fresh.close()


def test_the_operator_starts_a_new_epoch_after_a_restore(sqlite_server, tmp_path):
    server = sqlite_server
    other = Api(server, "rep.li")
    kept = create_customers(other, 3)
    store, client, user_id = desktop(tmp_path / "rep", server)
    server.backups.take()
    lost = create_customers(other, 2)
    client.sync()
    stale = remote.read_state(store)

    server.backups.restore(stopped=True)
    done = server.admin("epoch", "new", "--note", "restored the backup of 03:00")
    assert done.returncode == 0 and "epoch 2" in done.stdout
    assert "epoch 2" in server.admin("epoch", "show").stdout
    server.start()

    # The desktop's cursor is refused, with the reason in both languages.
    answer = Api(server, "rep.li").get("/v1/pull", params={"cursor": stale.cursor, "server": stale.server_id,
                                                           "epoch": stale.epoch, "mark": stale.cursor_mark})
    assert answer.status_code == 409
    body = answer.json()
    assert body["code"] == "cursor_reset" and body["reason"] == "new_epoch" and body["epoch"] == 2
    assert body["server_id"] == stale.server_id and "备份" in body["message_zh"] and "backup" in body["message_en"]

    mutations.run(store, user_id, "customer.update", {"id": kept[0], "city": "常州"})
    client.sync()
    assert held(store) == on_server(server)
    assert held(store)["customers"] == set(kept)
    assert city(store, kept[0]) == "常州"
    state = remote.read_state(store)
    assert (state.epoch, state.reset_notice["reason"], state.reset_notice["removed"]) == (2, "new_epoch", 2)
    with store.read() as s:
        assert integrity.check(s) == []
        actions = list(s.scalars(select(AuditEntry.action).where(AuditEntry.action.like("sync.reread%"))))
    assert actions == ["sync.reread", "sync.reread.done"]
    assert not set(lost) & held(store)["customers"]
    store.close()


def test_a_stale_cursor_is_refused_and_a_cursor_of_0_never_is(shared_server):
    server = shared_server
    api = Api(server, "rep.li")
    create_customers(api, 2)
    first = requests.get(server.url + "/v1/pull", params={"cursor": 0}, headers=api.headers, timeout=30).json()
    server_id, epoch, cursor, mark = first["server_id"], first["epoch"], first["next_cursor"], first["next_mark"]
    assert epoch >= 1 and cursor > 0 and mark

    def pull(**params):
        return api.get("/v1/pull", params={"cursor": cursor, "server": server_id, "epoch": epoch, "mark": mark,
                                           **params})

    assert pull().status_code == 200
    assert pull().json()["next_mark"] == mark  # nothing new: the same cursor, the same mark
    for params, reason in (({"cursor": cursor + 1000}, "past_head"), ({"epoch": epoch + 1}, "new_epoch"),
                           ({"server": "0190a2c4-0000-7000-8000-000000000000"}, "other_server"),
                           ({"mark": "0123456789abcdef"}, "rewritten")):
        answer = pull(**params)
        assert answer.status_code == 409 and answer.json()["reason"] == reason, params
        assert answer.json()["message_zh"] and answer.json()["message_en"]
    # A cursor from before servers named themselves: only the head can be checked.
    assert api.get("/v1/pull", params={"cursor": cursor}).status_code == 200
    assert api.get("/v1/pull", params={"cursor": cursor + 1}).status_code == 409
    # A fresh epoch refuses the cursor issued before it, and serves cursor 0.
    assert server.admin("epoch", "new").returncode == 0
    assert pull().status_code == 409 and pull().json()["reason"] == "new_epoch"
    assert pull(cursor=0, epoch=None, server=None, mark=None).json()["epoch"] == epoch + 1


def test_signing_in_again_to_another_epoch_does_not_keep_the_cursor(shared_server, tmp_path):
    server = shared_server
    store, client, _user_id = desktop(tmp_path / "rep", server, "rep.liu")
    create_customers(Api(server, "rep.liu"), 2)
    client.sync()
    epoch = remote.read_state(store).epoch
    assert remote.read_state(store).cursor > 0
    client.sign_in("rep.liu", "fieldmark", "laptop")  # the same server and epoch: kept
    assert remote.read_state(store).cursor > 0 and remote.read_state(store).reset_notice is None
    assert server.admin("epoch", "new").returncode == 0
    client.sign_in("rep.liu", "fieldmark", "laptop")
    state = remote.read_state(store)
    assert (state.cursor, state.server_id, state.epoch) == (0, None, None)
    assert state.reset_notice["reason"] == "new_epoch" and not state.reset_notice["done_at"]
    client.sync()
    assert held(store) == on_server(server, "rep.liu")
    assert remote.read_state(store).reset_notice["done_at"] and remote.read_state(store).epoch == epoch + 1
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(Customer)) == 2
    store.close()


class StopOnFirstPage:
    """A Progress whose user presses Stop as soon as the first page of a pull has come."""

    def set(self, _fraction: float, what: str = "") -> bool:
        return what != "pull"


def test_a_reread_stopped_half_way_goes_on_at_the_next_sync(shared_server, tmp_path, monkeypatch):
    from sync import protocol
    from sync.client import SyncCancelled

    server = shared_server
    store, client, user_id = desktop(tmp_path / "rep", server, "rep.huang")
    kept = create_customers(Api(server, "rep.huang"), 6)
    client.sync()
    assert server.admin("epoch", "new").returncode == 0
    mutations.run(store, user_id, "customer.update", {"id": kept[0], "city": "绍兴"})
    monkeypatch.setattr(protocol, "PULL_LIMIT", 4)  # several pages
    with pytest.raises(SyncCancelled):
        client.sync(StopOnFirstPage())
    state = remote.read_state(store)
    assert 0 < state.cursor and state.reset_notice["done_at"] is None  # half way, and it says so
    with store.read() as s:
        assert s.connection().exec_driver_sql("SELECT count(*) FROM sync_reread").scalar() > 0
    assert city(store, kept[0]) == "绍兴"  # meanwhile, as before
    mutations.run(store, user_id, "customer.update", {"id": kept[1], "city": "嘉兴"})  # work goes on
    client.sync()
    assert held(store) == on_server(server, "rep.huang")
    assert city(store, kept[0]) == "绍兴" and city(store, kept[1]) == "嘉兴"
    assert remote.read_state(store).reset_notice["done_at"]
    with store.read() as s:
        assert mutations.pending(s) == 0 and integrity.check(s) == []
    store.close()


def test_a_change_refused_before_a_restore_is_recorded_as_refused_and_never_run(shared_server):
    api = Api(shared_server, "rep.huang")
    name, args = "customer.create", prepare("customer.create", {"name": f"之前被拒绝的客户{next(_names)}号",
                                                                 "region": "浙江", "city": "杭州"})
    [result] = api.push((name, args), extra={"refused_before": True}).json()["results"]
    assert result["status"] == "rejected" and result["error"]["code"] == "refused_before"
    assert result["error"]["message_zh"] and result["error"]["message_en"]
    assert args["id"] not in on_server(shared_server, "rep.huang")["customers"]
    again = api.push((name, args), seqs=[api.seq]).json()["results"]  # a resend gets the stored answer
    assert again == [result]
    assert create_customers(api, 1)  # and the queue moves on
