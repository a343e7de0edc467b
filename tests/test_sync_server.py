"""The sync server over loopback HTTP: push is idempotent, ordered and re-checked under the real user;
pull pages by cursor within the user's scope; bad requests get a 4xx with a message, never a 500."""

from __future__ import annotations

import gzip
import itertools
import json
import sqlite3
from datetime import timedelta

import pytest
import requests

from desktop import timeutil
from desktop.mutations import prepare
from sync import protocol
from tests.server_process import Api, ServerProcess


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request, tmp_path_factory):
    """One server per database for the module: each test signs in with a new device and makes its own
    customers."""
    url = request.getfixturevalue("postgres").database() if request.param == "postgresql" else None
    process = ServerProcess(tmp_path_factory.mktemp("server"), url)
    process.kind = request.param
    yield process
    process.stop()


def server_db(server):
    """A DB-API connection to the server's database, whichever it is."""
    if server.kind == "sqlite":
        return sqlite3.connect(server.data_dir / "fieldmark-server.db")
    import psycopg

    return psycopg.connect(server.database_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)


_names = itertools.count(1)


def create(name: str, **extra) -> tuple[str, dict]:
    unique = f"{name}{next(_names)}号" if name else ""  # names are unique per server
    return "customer.create", prepare("customer.create", {"name": unique, "region": "江苏", "city": "苏州", **extra})


def log(customer_id: str, summary: str) -> tuple[str, dict]:
    return "touchpoint.log", prepare("touchpoint.log", {"customer_id": customer_id, "channel": "visit", "summary": summary,
                                                        "occurred_at": timeutil.to_text(timeutil.utcnow())})


def rows(api: Api, table: str) -> dict[str, dict]:
    changes, _ = api.pull_all()
    return {c["id"]: c["row"] for c in changes if c["table"] == table and c["op"] == protocol.UPSERT}


def test_sign_in_gives_a_token_and_a_wrong_password_is_refused(server):
    api = Api(server, "rep.li")
    assert api.headers["Authorization"].startswith("Bearer ")
    response = requests.post(server.url + "/v1/auth/token", json={"username": "rep.li", "password": "nope",
                                                                  "device_id": api.device_id}, timeout=10)
    assert response.status_code == 401
    assert response.json()["code"] == "bad_credentials" and "密码" in response.json()["message_zh"]
    with server_db(server) as db:
        hashes = [r[0] for r in db.execute("SELECT token_hash FROM server_devices").fetchall()]
    assert hashes and all(len(h) == 64 for h in hashes)
    assert api.headers["Authorization"][7:] not in hashes  # only the hash is stored


def test_push_applies_once_and_a_resend_gets_the_stored_result(server):
    api = Api(server, "rep.li")
    name, args = create("苏州恒通精密机械有限公司")
    first = api.push((name, args))
    assert first.status_code == 200 and first.json()["results"][0]["status"] == "applied"
    again = api.push((name, args), seqs=[1])  # the acknowledgement was lost: the client sends it again
    assert again.json()["results"] == first.json()["results"]
    assert list(rows(api, "customers")).count(args["id"]) == 1


def test_a_gap_is_out_of_order_and_stops_the_batch(server):
    api = Api(server, "rep.li")
    a, b = create("甲公司"), create("乙公司")
    response = api.push(a, b, seqs=[2, 3])
    assert response.json()["results"] == [{"seq": 2, "mutation_id": response.json()["results"][0]["mutation_id"],
                                           "status": "out_of_order", "expected": 1}]
    assert not {a[1]["id"], b[1]["id"]} & set(rows(api, "customers"))


def test_a_rejection_is_final_readable_and_moves_the_queue_on(server):
    api = Api(server, "rep.li")
    response = api.push(create(""), create("丙公司"))
    first, second = response.json()["results"]
    assert first["status"] == "rejected" and first["error"]["code"] == "missing_field"
    assert first["error"]["field"] == "name" and "客户名称" in first["error"]["message_zh"]
    assert second["status"] == "applied"


def test_the_actor_is_the_token_holder_whatever_the_payload_says(server):
    rep = Api(server, "rep.li")
    manager = Api(server, "manager.wang")
    name, args = create("丁公司")
    response = rep.push((name, args), extra={"actor_id": manager.user_id})
    assert response.json()["results"][0]["status"] == "applied"
    assert rows(rep, "customers")[args["id"]]["owner_id"] == rep.user_id


def test_a_rep_cannot_change_another_reps_customer(server):
    liu = Api(server, "rep.liu")  # 华东二组
    name, args = create("戊公司")
    liu.push((name, args))
    li = Api(server, "rep.li")  # 华东一组
    update = ("customer.update", prepare("customer.update", {"id": args["id"], "phone": "110"}))
    result = li.push(update).json()["results"][0]
    assert result["status"] == "rejected" and result["error"]["code"] in ("forbidden", "not_found")
    assert rows(liu, "customers")[args["id"]]["phone"] == ""


def test_a_device_cannot_push_under_another_devices_id_or_take_it_over(server):
    li = Api(server, "rep.li")
    li.push(create("己公司"))
    zhang = Api(server, "rep.zhang")
    response = zhang.push(create("庚公司"), device_id=li.device_id, seqs=[2])
    assert response.status_code == 403 and "device" in response.json()["message_en"]
    taken = requests.post(server.url + "/v1/auth/token", json={"username": "rep.zhang", "password": "fieldmark",
                                                               "device_id": li.device_id}, timeout=10)
    assert taken.status_code == 403


def test_revoked_and_expired_tokens_are_refused(server):
    api = Api(server, "rep.li")
    result = server.admin("device", "revoke", api.device_id)
    assert result.returncode == 0
    refused = create("辛公司")
    response = api.push(refused)
    assert response.status_code == 401 and response.json()["code"] == "unauthorized"
    other = Api(server, "rep.zhang")
    with server_db(server) as db:
        mark = "?" if server.kind == "sqlite" else "%s"
        db.execute(f"UPDATE server_devices SET expires_at = {mark} WHERE id = {mark}",
                   (timeutil.to_text(timeutil.utcnow() - timedelta(seconds=1)), other.device_id))
    late = create("壬公司")
    assert other.push(late).status_code == 401
    assert not {refused[1]["id"], late[1]["id"]} & set(rows(Api(server, "manager.wang"), "customers"))


@pytest.mark.parametrize("body, headers", [
    (b"{not json", {}),
    (b'{"device_id": "x", "mutations": "all of them"}', {}),
    (b'{"device_id": "x", "mutations": [{"seq": "1", "name": 5}]}', {}),
    (b'[1, 2, 3]', {}),
    (b"\x1f\x8b not gzip at all", {"Content-Encoding": "gzip"}),
])
def test_malformed_requests_get_a_4xx_with_a_message(server, body, headers):
    api = Api(server, "rep.li")
    response = requests.post(server.url + "/v1/push", data=body, timeout=10,
                             headers={**api.headers, "Content-Type": "application/json", **headers})
    assert 400 <= response.status_code < 500
    assert response.json()["message_en"] and response.json()["message_zh"]


def test_bodies_over_the_limit_are_refused_even_when_compressed(server):
    api = Api(server, "rep.li")
    huge = json.dumps({"device_id": api.device_id, "mutations": [],
                       "padding": "x" * (protocol.MAX_BODY_BYTES + 10)}).encode()
    plain = requests.post(server.url + "/v1/push", data=huge, headers=api.headers, timeout=30)
    assert plain.status_code == 413
    bomb = requests.post(server.url + "/v1/push", data=gzip.compress(huge), timeout=30,
                         headers={**api.headers, "Content-Encoding": "gzip"})
    assert bomb.status_code == 413


def test_an_unknown_mutation_is_rejected_with_its_name_and_the_queue_goes_on(server):
    api = Api(server, "rep.li")
    response = api.push(("quote.teleport", {"at": timeutil.to_text(timeutil.utcnow())}), create("癸公司"))
    first, second = response.json()["results"]
    assert first["status"] == "rejected" and first["error"]["code"] == "unknown_mutation"
    assert "quote.teleport" in first["error"]["message_en"] and second["status"] == "applied"


def test_an_outdated_app_is_asked_to_upgrade(server):
    response = requests.post(server.url + "/v1/auth/token", timeout=10,
                             headers={protocol.APP_HEADER: "0.0.1"},
                             json={"username": "rep.li", "password": "fieldmark", "device_id": "x"})
    assert response.status_code == 426 and "upgrade" in response.json()["message_en"]
    assert "升级" in response.json()["message_zh"]


def test_pull_is_scoped_paged_and_follows_a_customer_to_its_new_owner(server):
    li, liu = Api(server, "rep.li"), Api(server, "rep.liu")
    name, args = create("南京鑫达汽车零部件有限公司")
    li.push((name, args), log(args["id"], "现场拜访，拍摄设备铭牌照片"))
    liu.push(create("温州富达化工有限公司"))
    manager = Api(server, "manager.wang")
    theirs = rows(liu, "customers")
    assert args["id"] in rows(li, "customers") and not set(theirs) & set(rows(li, "customers"))
    assert args["id"] in rows(manager, "customers") and not set(theirs) & set(rows(manager, "customers"))
    paged, cursor = li.pull_all(limit=2)
    assert len({c["id"] for c in paged if c["table"] == "users"}) == 12 and cursor > 0
    assert all("password_hash" not in c["row"] for c in paged if c["table"] == "users"
               and c["id"] != li.user_id)
    # the manager hands the customer to a rep of the other team? not allowed; within the team:
    zhang = Api(server, "rep.zhang")
    move = ("customer.update", prepare("customer.update", {"id": args["id"], "owner_id": zhang.user_id}))
    assert manager.push(move).json()["results"][0]["status"] == "applied"
    after, _ = li.pull_all(cursor)
    assert {"table": "customers", "id": args["id"], "op": "forget"} in [
        {k: c[k] for k in ("table", "id", "op")} for c in after]
    zhang_rows, _ = zhang.pull_all()
    tables = {c["table"] for c in zhang_rows if c["op"] == "upsert"}
    assert {"customers", "touchpoints"} <= tables


def test_every_page_carries_the_rows_it_refers_to(server):
    """A row travels as it is now: its current owner may be a user created after the row's own change,
    so that user must come in the same page, or the page could never be applied."""
    li = Api(server, "rep.li")
    name, args = create("苏州立信包装材料有限公司")
    li.push((name, args), log(args["id"], "电话沟通交期"))
    assert server.admin("user", "add", "rep.new", "--role", "field_rep", "--team", "华东一组",
                        "--password", "secret-1").returncode == 0
    manager = Api(server, "manager.wang")
    newcomer = Api(server, "rep.new", password="secret-1")
    assert manager.push(("customer.update", prepare("customer.update", {"id": args["id"],
                                                                         "owner_id": newcomer.user_id}))
                        ).json()["results"][0]["status"] == "applied"
    fresh = Api(server, "manager.wang")
    cursor, received = 0, set()
    references = {"customers": ("owner_id",), "touchpoints": ("user_id", "customer_id", "contact_id"),
                  "contacts": ("customer_id",), "users": ("manager_id",)}
    while True:
        response = requests.get(server.url + "/v1/pull", params={"cursor": cursor, "limit": 1},
                                headers=fresh.headers, timeout=30).json()
        page = response["changes"]
        received |= {c["id"] for c in page if c["op"] == "upsert"}
        for change in page:
            if change["op"] == "upsert":
                for column in references.get(change["table"], ()):
                    parent = change["row"].get(column)
                    assert parent is None or parent in received, (change["table"], column)
        cursor = response["next_cursor"]
        if not response["has_more"]:
            break
    assert args["id"] in received and newcomer.user_id in received
