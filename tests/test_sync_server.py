"""The sync server over loopback HTTP: push is idempotent, ordered and re-checked under the real user;
pull pages by cursor within the user's scope; bad requests get a 4xx with a message, never a 500."""

from __future__ import annotations

import gzip
import itertools
import json
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
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
    return "touchpoint.log", prepare("touchpoint.log", {"customer_id": customer_id, "channel": "meeting", "summary": summary,
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
    assert response.status_code == 410 and response.json()["code"] == "device_revoked"  # erase, not sign in
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


def test_a_team_change_moves_the_reps_customers_to_the_new_manager(server):
    """A rep moved to the other team: the new manager's next pull brings the rep's customers with their
    touchpoints, the old manager's forgets them; a rep made manager receives the team's customers."""
    assert server.admin("user", "add", "rep.mover", "--role", "field_rep", "--team", "华东一组",
                        "--password", "secret-1").returncode == 0
    mover = Api(server, "rep.mover", password="secret-1")
    name, args = create("常州恒远轴承有限公司")
    assert [r["status"] for r in mover.push((name, args), log(args["id"], "上门拜访，确认轴承型号")).json()["results"]
            ] == ["applied", "applied"]
    wang, zhou = Api(server, "manager.wang"), Api(server, "manager.zhou")
    wang_seen, wang_cursor = wang.pull_all()
    zhou_seen, zhou_cursor = zhou.pull_all()
    assert args["id"] in upserted(wang_seen) and args["id"] not in upserted(zhou_seen)

    moved = server.admin("user", "update", "rep.mover", "--team", "华东二组", "--manager", "manager.zhou")
    assert moved.returncode == 0, moved.stderr

    gained, _ = zhou.pull_all(zhou_cursor)
    assert {("customers", args["id"]), ("touchpoints", args["id"])} <= {
        (c["table"], c["row"]["customer_id"] if c["table"] == "touchpoints" else c["id"])
        for c in gained if c["op"] == "upsert"}
    lost, _ = wang.pull_all(wang_cursor)
    assert {"table": "customers", "id": args["id"], "op": "forget"} in [
        {k: c[k] for k in ("table", "id", "op")} for c in lost]

    # The rep is made a manager of the first team: now they see that team's customers too.
    li = Api(server, "rep.li")
    li_customer = create("无锡华晨精工有限公司")
    li.push(li_customer)
    mover_cursor = mover.pull_all()[1]
    assert server.admin("user", "update", "rep.mover", "--role", "sales_manager", "--team", "华东一组").returncode == 0
    now_seen, _ = mover.pull_all(mover_cursor)
    assert li_customer[1]["id"] in upserted(now_seen)

    # The same through a pushed user.update (an administrator's desktop): back to the second team.
    zhou_cursor = zhou.pull_all()[1]
    back = prepare("user.update", {"id": mover.user_id, "role": "field_rep", "team": "华东二组"})
    assert Api(server, "admin").push(("user.update", back)).json()["results"][0]["status"] == "applied"
    assert args["id"] in upserted(zhou.pull_all(zhou_cursor)[0])


def upserted(changes: list[dict]) -> set[str]:
    return {c["id"] for c in changes if c["op"] == protocol.UPSERT}


# ---- Push: a batch re-uses what it has read, and answers exactly as item-by-item processing did


def test_a_batch_mixing_applied_rejected_and_repeated_items_answers_item_by_item(server):
    api = Api(server, "rep.li")
    name, customer = create("上海瑞丰精密模具有限公司")
    visit = log(customer["id"], "第一次拜访")
    first = api.push((name, customer), visit).json()["results"]
    other_customer = create("嘉兴华盛纺织有限公司")
    api.push(other_customer)
    contact = ("contact.add", prepare("contact.add", {"customer_id": other_customer[1]["id"], "name": "王工",
                                                      "decision_role": "technical"}))
    api.push(contact)
    twin = log(customer["id"], "同一条记录发了两次")
    wrong_contact = ("touchpoint.log", {**log(customer["id"], "联系人属于别的客户")[1],
                                        "contact_id": contact[1]["id"]})
    mixed = [(name, customer), visit,  # seqs 1 and 2 again: their stored answers
             twin, twin,  # the same new id twice in one batch: the second is a twin
             wrong_contact, log(customer["id"], "报价跟进"),
             ("customer.update", prepare("customer.update", {"id": customer["id"], "phone": "0512-1"})),
             ("customer.update", prepare("customer.update", {"id": customer["id"], "phone": "0512-1"})),
             ("touchpoint.log", {**log(customer["id"], "已存在的编号")[1], "id": twin[1]["id"]}),
             log("01a21ec9-0699-7223-b695-f47a4d3be222", "不存在的客户")]
    response = api.push(*mixed, seqs=[1, 2, 5, 6, 7, 8, 9, 10, 11, 12])
    results = response.json()["results"]
    assert response.status_code == 200 and results[:2] == first
    statuses = [(r["seq"], r["status"], r.get("error", {}).get("code"), r.get("error", {}).get("field"))
                for r in results[2:]]
    assert statuses == [(5, "applied", None, None), (6, "rejected", "conflict", "id"),
                        (7, "rejected", "invalid_value", "contact_id"), (8, "applied", None, None),
                        (9, "applied", None, None), (10, "rejected", "no_change", None),
                        (11, "rejected", "conflict", "id"), (12, "rejected", "not_found", "customer_id")]
    again = api.push(*mixed, seqs=[1, 2, 5, 6, 7, 8, 9, 10, 11, 12]).json()["results"]
    assert again == results  # a resend of the whole batch gets the very same answers
    touchpoints = rows(api, "touchpoints")
    summaries = sorted(row["summary"] for row in touchpoints.values() if row["customer_id"] == customer["id"])
    assert summaries == ["同一条记录发了两次", "报价跟进", "第一次拜访"]
    assert rows(api, "customers")[customer["id"]]["phone"] == "0512-1"
    assert rows(api, "customers")[customer["id"]]["version"] == 2
    with server_db(server) as db:
        log_rows = db.execute("SELECT table_name, row_id, customer_id FROM server_change_log ORDER BY seq").fetchall()
    mine = [(t, r, c) for t, r, c in log_rows if c == customer["id"] and t != "field_changes"]
    # Its history: the creation and the phone, each logged after the change it records.
    assert [t for t, _r, c in log_rows if c == customer["id"]].count("field_changes") == 2
    assert mine == [("customers", customer["id"], customer["id"]), ("touchpoints", visit[1]["id"], customer["id"]),
                    ("touchpoints", twin[1]["id"], customer["id"]), ("touchpoints", mixed[5][1]["id"], customer["id"]),
                    ("customers", customer["id"], customer["id"])]


def test_a_batch_sees_its_own_changes_to_a_customer(server):
    """Rows read by one mutation are reused by the next: they must show what the batch changed since."""
    manager = Api(server, "manager.wang")
    li, zhang = Api(server, "rep.li"), Api(server, "rep.zhang")
    name, customer = create("无锡宏达电气有限公司")
    li.push((name, customer))
    move = ("customer.update", prepare("customer.update", {"id": customer["id"], "owner_id": zhang.user_id}))
    back = ("customer.update", prepare("customer.update", {"id": customer["id"], "owner_id": li.user_id}))
    results = manager.push(log(customer["id"], "经理陪同拜访"), move, move, back,
                           ("customer.create", prepare("customer.create", {"name": "", "region": "江苏"}))
                           ).json()["results"]
    assert [r["status"] for r in results] == ["applied", "applied", "rejected", "applied", "rejected"]
    assert results[2]["error"]["code"] == "no_change"  # the second move found the owner already changed
    assert rows(li, "customers")[customer["id"]]["owner_id"] == li.user_id
    assert rows(li, "customers")[customer["id"]]["version"] == 3


def test_devices_pushing_at_once_all_get_their_answers(server):
    """Several devices push batches at the same moment: every request is answered, every item applied
    once, and each device's items keep their order."""
    users = ["rep.li", "rep.zhang", "rep.liu", "rep.huang", "manager.wang", "channel.zhao"]
    devices = [Api(server, username) for username in users for _ in range(2)]
    queues = []
    for n in range(len(devices)):
        name, customer = create(f"并发客户{n}")
        queues.append([(name, customer)] + [log(customer["id"], f"第 {i} 次") for i in range(29)])
    barrier = threading.Barrier(len(devices))

    def send(api: Api, queue: list) -> list:
        barrier.wait()
        answers = []
        for start in range(0, len(queue), 10):
            response = api.push(*queue[start:start + 10])
            answers.append((response.status_code, [r["status"] for r in response.json()["results"]]))
        return answers

    with ThreadPoolExecutor(len(devices)) as pool:
        answers = list(pool.map(send, devices, queues))
    assert all(status == 200 and results == ["applied"] * 10 for device in answers for status, results in device)
    touchpoints = rows(Api(server, "admin"), "touchpoints")
    for queue in queues:
        customer_id = queue[0][1]["id"]
        assert sorted(r["summary"] for r in touchpoints.values() if r["customer_id"] == customer_id) == \
            sorted(f"第 {i} 次" for i in range(29))


def test_fields_take_the_last_write_in_server_order_whatever_the_device_clocks_say(server):
    """Two desktops edit one customer: a clock a day fast pushes first, a clock a day slow second. Each
    field keeps the value that reached the server last; fields only one of them changed keep that change."""
    rep, manager = Api(server, "rep.li"), Api(server, "manager.wang")
    name, args = create("昆山瑞丰电子有限公司")
    rep.push((name, args))
    now = timeutil.utcnow()
    fast = prepare("customer.update", {"id": args["id"], "phone": "0512-11111111", "notes": "快钟设备的备注"},
                   now=now + timedelta(hours=24))
    slow = prepare("customer.update", {"id": args["id"], "phone": "0512-22222222", "city": "昆山"},
                   now=now - timedelta(hours=24))
    assert rep.push(("customer.update", fast)).json()["results"][0]["status"] == "applied"
    assert manager.push(("customer.update", slow)).json()["results"][0]["status"] == "applied"
    row = rows(Api(server, "rep.li"), "customers")[args["id"]]
    assert (row["phone"], row["notes"], row["city"]) == ("0512-22222222", "快钟设备的备注", "昆山")
    assert row["version"] == 3


def test_a_page_leaves_out_parents_the_device_holds_unless_who_sees_them_may_have_changed(server):
    """A row's parents travel with it only when the device may lack them: not when it read past their
    last change with nothing since that could have changed whether it saw them then."""
    li, manager = Api(server, "rep.li"), Api(server, "manager.wang")
    name, args = create("常州汇力自动化设备有限公司")
    li.push((name, args), log(args["id"], "第一次拜访"))
    _, cursor = manager.pull_all()
    li.push(log(args["id"], "第二次拜访"))
    after, cursor = manager.pull_all(cursor)
    assert [(c["table"], c["row"]["summary"]) for c in after] == [("touchpoints", "第二次拜访")]

    # A customer of another team: the manager reads past it without receiving it. Its owner then
    # joins the manager's team (a user row changes, not the customer), and logs a visit.
    username = f"rep.move{next(_names)}"
    assert server.admin("user", "add", username, "--role", "field_rep", "--team", "华东二组",
                        "--password", "secret-1").returncode == 0
    mover = Api(server, username, password="secret-1")
    name, theirs = create("嘉兴卓远纺织有限公司")
    mover.push((name, theirs), log(theirs["id"], "电话沟通"))
    seen, cursor = manager.pull_all(cursor)
    assert theirs["id"] not in {c["id"] for c in seen if c["op"] == "upsert"}
    moved = Api(server, "admin").push(("user.update", prepare("user.update", {"id": mover.user_id, "team": "华东一组"})))
    assert moved.json()["results"][0]["status"] == "applied"
    mover.push(log(theirs["id"], "现场拜访"))
    seen, _ = manager.pull_all(cursor)
    assert theirs["id"] in {c["id"] for c in seen if c["table"] == "customers" and c["op"] == "upsert"}
    assert "现场拜访" in {c["row"]["summary"] for c in seen if c["table"] == "touchpoints"}


def test_an_interrupted_first_pull_resumes_where_it_stopped(server, tmp_path, monkeypatch):
    """Cancelled after its first page, a first pull keeps that page; the next pull goes on from its
    cursor and ends with exactly what one uninterrupted pull gives, searchable and consistent."""
    from desktop import integrity, remote, rows, search
    from desktop.models import DATA_TABLES
    from desktop.store import open_store
    from sync.client import SyncCancelled, SyncClient
    from sync.token_store import FileTokenStore

    li = Api(server, "rep.li")
    name, args = create("宁波佳美包装材料有限公司")
    li.push((name, args), *(log(args["id"], f"现场拜访，拍摄设备铭牌照片 {i}") for i in range(7)))
    monkeypatch.setattr(protocol, "PULL_LIMIT", 4)  # several pages even on a small server

    def desktop(folder):
        store = open_store(tmp_path / folder / "fieldmark.db")
        # The change-log pull's pages (a snapshot's resumption is tests/test_first_pull.py's).
        client = SyncClient(store, server.url, FileTokenStore(tmp_path / folder / "token"), sleep=lambda _s: None,
                            snapshots=False)
        client.sign_in("manager.wang", "fieldmark", folder)
        return store, client

    class StopAfterFirstPage:
        def set(self, fraction: float, what: str = "") -> bool:
            return False

    interrupted, client = desktop("interrupted")
    with pytest.raises(SyncCancelled):
        client.pull(StopAfterFirstPage())
    first = remote.read_state(interrupted).cursor
    assert first > 0
    report = client.pull()
    assert report.cursor > first and report.pages >= 1
    whole, other = desktop("whole")
    assert other.pull().cursor == report.cursor

    def everything(store):
        with store.read() as s:
            conn = s.connection()
            return {table: sorted(conn.exec_driver_sql(f"SELECT {', '.join(rows.columns(table))} FROM {table}")
                                  .fetchall(), key=repr) for table in DATA_TABLES}

    assert everything(interrupted) == everything(whole)
    for store in (interrupted, whole):
        with store.read() as s:
            assert len(search.search_touchpoints(s, "铭牌照片")) >= 7
            assert args["id"] in {c.id for c in search.search_customers(s, "佳美包装")}
            assert integrity.check(s) == []
        store.close()


def test_broken_text_rejects_its_mutation_alone_and_the_rest_of_the_batch_applies(server):
    api = Api(server, "rep.li")
    good_before, good_after = create("子公司"), create("丑公司")
    bad_value = create("寅公司", notes="OK")
    bad_value[1]["notes"] = "损坏\ud800的文字"  # a lone surrogate, as a broken paste leaves it
    bad_key = create("卯公司")
    bad_key[1]["\udfff"] = "x"
    nonchar = create("辰公司", address="\ufffe")
    items = []
    for seq, (name, args) in enumerate([good_before, bad_value, bad_key, nonchar,
                                        ("customer.\ud800", {}), good_after], start=1):
        items.append({"seq": seq, "mutation_id": prepare("customer.create", {})["id"], "name": name, "args": args})
    body = json.dumps({"device_id": api.device_id, "mutations": items})
    assert "\\ud800" in body  # what Python's json (and any JSON writer) sends for a lone surrogate
    response = requests.post(server.url + "/v1/push", data=body.encode("ascii"),
                             headers={**api.headers, "Content-Type": "application/json"}, timeout=30)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["applied", "rejected", "rejected", "rejected", "rejected", "applied"]
    assert results[1]["error"]["field"] == "notes" and "无效字符" in results[1]["error"]["message_zh"]
    assert results[2]["error"]["code"] == "unknown_field"
    assert results[3]["error"]["field"] == "address"
    assert results[4]["error"]["code"] == "unknown_mutation"
    assert "\ufffd" in results[4]["error"]["message_zh"]  # shown, with the broken character replaced
    names = {row["name"] for row in rows(api, "customers").values()}
    assert good_before[1]["name"] in names and good_after[1]["name"] in names
    assert bad_value[1]["name"] not in names


def test_the_server_keeps_the_same_sort_keys_and_refuses_a_name_differing_only_in_width(server):
    from desktop.sort_keys import company_key, person_key

    api = Api(server, "rep.li")
    suffix = next(_names)
    name = f"ＡＢＢ（重庆）机械{suffix}号"
    customer = prepare("customer.create", {"name": name, "phone": "+86 23-6666-0000"})
    contact = prepare("contact.add", {"customer_id": customer["id"], "name": "曾小贤", "decision_role": "user",
                                      "phone": "138 0013 8000"})
    twin = prepare("customer.create", {"name": f"abb(重庆)机械{suffix}号"})
    results = api.push(("customer.create", customer), ("contact.add", contact), ("customer.create", twin)).json()
    assert [r["status"] for r in results["results"]] == ["applied", "applied", "rejected"]
    error = results["results"][2]["error"]
    assert error["code"] == "conflict" and name in error["message_zh"]
    row = rows(api, "customers")[customer["id"]]
    assert (row["name_sort"], row["name_key"], row["phone_digits"]) == \
        (company_key(name), f"abb(重庆)机械{suffix}号", "2366660000")
    assert row["name_sort"].startswith("abb!chong!qing!")
    pulled = rows(api, "contacts")[contact["id"]]
    assert (pulled["name_sort"], pulled["phone_digits"]) == (person_key("曾小贤"), "13800138000")
