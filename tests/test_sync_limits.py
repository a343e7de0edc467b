"""Nothing a client sends makes the server fail: every request that once answered 500 now gets a 4xx in
the API's error form (or, for one bad mutation, a rejected result while the rest of its batch applies);
a real fault still answers 5xx "try again later", logged, with no traceback in the answer."""

from __future__ import annotations

import gzip
import json
import time

import pytest
import requests

from desktop.errors import DomainError, Label
from desktop.ids import uuid7
from desktop.mutations.fields import INT_RANGE, Field
from sync import protocol
from sync.server import limits
from tests.server_process import Api, ServerProcess
from tests.test_sync_server import create, rows, server_db


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request, tmp_path_factory):
    url = request.getfixturevalue("postgres").database() if request.param == "postgresql" else None
    process = ServerProcess(tmp_path_factory.mktemp("server"), url)
    process.kind = request.param
    yield process
    process.stop()


def refusal(response: requests.Response, status: int = 422) -> dict:
    """The answer, checked to be a refusal in the API's own form (never FastAPI's or a 500)."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] and body["message_zh"] and body["message_en"], body
    assert "Traceback" not in response.text
    return body


def deep(levels: int, inner: str = "1") -> str:
    return "[" * levels + inner + "]" * levels


def item(seq: int, name: str, args: dict) -> dict:
    return {"seq": seq, "mutation_id": uuid7(), "name": name, "args": args, "base_version": None,
            "schema_version": "0002", "client_time": None}


# ---- Query parameters


def test_a_cursor_beyond_64_bits_is_refused_and_the_largest_one_is_past_the_head(server):
    api = Api(server, "rep.li")
    for cursor in (2**63, 10**30, -1, "1e3", "x"):
        body = refusal(api.get("/v1/pull", params={"cursor": cursor}))
        assert body["field"] == "cursor"
    # The largest whole number is a cursor this server never gave: the device is told to read again.
    page = api.get("/v1/pull", params={"cursor": protocol.MAX_INT, "limit": protocol.MAX_INT})
    assert page.status_code == 409 and page.json()["code"] == "cursor_reset" and page.json()["reason"] == "past_head"
    page = api.get("/v1/pull", params={"cursor": 0, "limit": protocol.MAX_INT})
    assert page.status_code == 200 and not page.json()["has_more"]


def test_rate_dates_at_the_ends_of_the_calendar_are_refused_not_overflowed(server):
    api = Api(server, "finance.sun")
    for params in ({"end": "0001-01-01"}, {"start": "0001-01-01", "end": "2026-11-20"}, {"end": "9999-99-99"},
                   {"end": "2026-1-1"}, {"start": "２０２６-01-01"}):
        refusal(api.get("/v1/rates", params=params))
    assert api.get("/v1/rates", params={"end": "1900-01-01"}).json() == {"rates": []}  # start clamped, not overflowed
    assert api.get("/v1/rates", params={"start": "9999-12-31", "end": "9999-12-31"}).json() == {"rates": []}


def test_upload_offsets_and_sizes_are_bounded(server):
    api = Api(server, "rep.li")
    sha = "a" * 64
    for params in ({"offset": 2**63, "total": 10}, {"offset": 0, "total": 2**64}, {"offset": -1, "total": 10},
                   {"total": 10}, {"offset": 0}):
        response = requests.put(f"{server.url}/v1/blobs/{sha}", params=params, data=b"x", timeout=10,
                                headers={**api.headers, "Content-Type": "application/octet-stream"})
        refusal(response)
    huge = requests.put(f"{server.url}/v1/blobs/{sha}", params={"offset": 0, "total": protocol.MAX_INT}, data=b"x",
                        headers=api.headers, timeout=10)
    assert refusal(huge, 413)["code"] == "too_large"
    assert refusal(api.get("/v1/blobs/not-a-hash/status"))["message_en"].startswith("A file is named by its SHA-256")


def test_unknown_addresses_and_methods_answer_in_the_api_form(server):
    api = Api(server, "rep.li")
    assert refusal(api.get("/v1/nothing-here"), 404)["code"] == "not_found"
    assert refusal(requests.delete(server.url + "/v1/push", timeout=10), 405)["code"] == "method_not_allowed"


# ---- Bodies


@pytest.mark.parametrize("path", ["/v1/push", "/v1/auth/token", "/v1/rates/fetch"])
def test_json_nested_100000_deep_is_refused_before_it_is_parsed(server, path):
    """Sign-in reads its body with no token; push and rate fetches ask for the token first."""
    headers = {} if path == "/v1/auth/token" else Api(server, "admin").headers
    body = ('{"username": ' + deep(100_000) + "}").encode()
    for extra in ({}, {"Content-Encoding": "gzip"}):
        data = gzip.compress(body) if extra else body
        answer = refusal(requests.post(server.url + path, data=data, timeout=30,
                                       headers={**headers, "Content-Type": "application/json", **extra}))
        assert str(protocol.MAX_JSON_DEPTH) in answer["message_en"]
    # Brackets inside strings are text, not nesting.
    answer = requests.post(server.url + "/v1/auth/token", timeout=30, json={
        "username": "[" * 150, "password": "{" * 1000, "device_id": uuid7()})
    assert refusal(answer, 401)["code"] == "bad_credentials"


def test_a_push_seq_beyond_what_the_server_stores_refuses_the_batch(server):
    api = Api(server, "rep.li")
    for seq in (2**63, protocol.MAX_SEQ + 1, 0, True, 1.0):
        response = api.post("/v1/push", {"device_id": api.device_id, "mutations": [item(seq, *create("甲公司"))]})
        assert "seq" in refusal(response)["message_en"]
    last = api.post("/v1/push", {"device_id": api.device_id, "mutations": [item(protocol.MAX_SEQ, *create("乙公司"))]})
    assert last.status_code == 200
    assert last.json()["results"][0] | {"mutation_id": None} == {
        "seq": protocol.MAX_SEQ, "mutation_id": None, "status": protocol.OUT_OF_ORDER, "expected": 1}


def test_sign_in_text_no_database_can_hold_is_refused_not_a_fault(server):
    for username, password in (("rep.li\x00", "fieldmark"), ("rep\ud800", "fieldmark"), ("rep.li", "x\ud800"),
                               ("x" * 300, "fieldmark")):
        body = json.dumps({"username": username, "password": password, "device_id": uuid7()})
        refusal(requests.post(server.url + "/v1/auth/token", data=body.encode("ascii"), timeout=30,
                              headers={"Content-Type": "application/json"}))
    refusal(requests.post(server.url + "/v1/auth/token", json={"username": "rep.li", "password": "fieldmark",
                                                               "device_id": uuid7(), "device_name": 5}, timeout=30))


def test_rates_fetch_days_are_bounded(server):
    api = Api(server, "finance.sun")
    for days in (2**63, 0, 367, "10", None):
        assert "days" in refusal(api.post("/v1/rates/fetch", {"days": days}))["message_en"]


# ---- One bad mutation is rejected alone


def test_args_too_deep_or_out_of_range_reject_their_mutation_alone(server):
    api = Api(server, "rep.li")
    first, last = create("丙公司"), create("丁公司")
    too_deep = create("戊公司")
    too_deep[1]["notes"] = json.loads(deep(protocol.MAX_ARGS_DEPTH))  # args (1) + 32 lists: 33 levels
    big = create("己公司")
    big[1]["notes"] = 2**64
    infinite = create("庚公司")
    infinite[1]["notes"] = float("inf")
    bad_id = create("辛公司")
    bad_id[1]["id"] = "\x00" * 36  # an id no database can compare, on the batch's lookup of new ids
    items = [item(seq, name, args) for seq, (name, args) in
             enumerate([first, too_deep, big, infinite, bad_id, last], start=api.seq + 1)]
    api.seq += len(items)
    text = json.dumps({"device_id": api.device_id, "mutations": items})  # inf travels as Infinity
    response = requests.post(server.url + "/v1/push", data=text, timeout=30,
                             headers={**api.headers, "Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["applied", "rejected", "rejected", "rejected", "rejected", "applied"]
    assert [r["error"]["field"] for r in results[1:5]] == ["notes", "notes", "notes", "id"]
    assert str(protocol.MAX_ARGS_DEPTH) in results[1]["error"]["message_en"]
    names = {row["name"] for row in rows(api, "customers").values()}
    assert {first[1]["name"], last[1]["name"]} <= names
    assert not {too_deep[1]["name"], big[1]["name"], infinite[1]["name"], bad_id[1]["name"]} & names
    # The deepest args a body can carry are a rejection too, not a refused batch.
    name, args = create("壬公司")
    args["notes"] = json.loads(deep(protocol.MAX_JSON_DEPTH - 4))
    assert api.push((name, args)).json()["results"][0]["status"] == "rejected"


def test_args_nested_50000_deep_refuse_the_request_before_it_is_parsed(server):
    api = Api(server, "rep.li")
    name, args = create("癸公司")
    text = json.dumps({"device_id": api.device_id, "mutations": [item(api.seq + 1, name, {**args, "notes": 0})]})
    text = text.replace('"notes": 0', '"notes": ' + deep(50_000))
    response = requests.post(server.url + "/v1/push", data=text, timeout=30,
                             headers={**api.headers, "Content-Type": "application/json"})
    refusal(response)


HOSTILE = [None, True, 0, -1, 2**31, 2**63, -(2**63) - 1, 10**30, 1.5, float("inf"), float("nan"), 1e308, "",
           "x" * 5000, "\x00", "\ud800", "1e999999", "NaN", "-1", "9" * 400, "2026-13-45", "0001-01-01",
           "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "USD/CNY", "call", [], {}, [{}], [[]], {"a": {"b": 1}},
           ["x"], [1, 2], [{"key": "x", "value": 2**70}], "00000000-0000-0000-0000-000000000000"]


def test_every_mutation_given_hostile_args_is_answered_item_by_item(server):
    """Real mutation names, their own field names, values at every edge (huge, negative, not finite,
    NUL, lone surrogates, out of the calendar, nested): each is applied or rejected on its own, never
    a failed batch. Seeded, so every run sends the same 1,200 mutations."""
    import random

    from desktop.mutations.registry import REGISTRY

    rng = random.Random(2026)

    def value(level: int = 0):
        draw = rng.random()
        if draw < 0.7 or level > 2:
            return rng.choice(HOSTILE)
        if draw < 0.85:
            return [value(level + 1) for _ in range(rng.randint(0, 3))]
        return {rng.choice(["key", "value", "op", "product_id", "quantity", "unit_price", "id"]): value(level + 1)
                for _ in range(rng.randint(0, 3))}

    names = sorted(REGISTRY)
    for who in ("admin", "rep.li", "finance.sun"):
        api = Api(server, who)
        for _batch in range(2):
            items = []
            for _ in range(protocol.PUSH_BATCH):
                name = rng.choice(names)
                fields = list(REGISTRY[name].fields)
                args = {f: value() for f in rng.sample(fields, k=rng.randint(0, len(fields)))}
                args.update({f: uuid7() for f in fields if f.endswith("id") and rng.random() < 0.3})
                api.seq += 1
                items.append(item(api.seq, name, args))
            text = json.dumps({"device_id": api.device_id, "mutations": items})
            response = requests.post(server.url + "/v1/push", data=text, timeout=60,
                                     headers={**api.headers, "Content-Type": "application/json"})
            assert response.status_code == 200, response.text
            results = response.json()["results"]
            assert [r["seq"] for r in results] == [i["seq"] for i in items]
            assert {r["status"] for r in results} <= {protocol.APPLIED, protocol.REJECTED}
            assert all(r["error"]["message_zh"] and r["error"]["message_en"]
                       for r in results if r["status"] == protocol.REJECTED)


def test_an_int_field_refuses_what_a_database_integer_cannot_hold():
    position = Field(Label("行号", "Position"), "int")
    assert position.parse("position", INT_RANGE[1]) == INT_RANGE[1]
    for value in (INT_RANGE[1] + 1, INT_RANGE[0] - 1, 2**63):
        with pytest.raises(DomainError) as refused:
            position.parse("position", value)
        assert refused.value.code == "invalid_value" and refused.value.field == "position"


def test_the_depth_scan_counts_only_brackets_outside_strings():
    assert limits.depth(b'{"a": [1, {"b": "[[[[\\"]]]"}], "c": "{"}', 10) == 3
    assert limits.depth(b"[]" * 1000, 10) == 1
    assert limits.depth(deep(1000).encode(), 64) == 65  # stops counting past the limit
    with pytest.raises(limits.TooDeep):
        limits.read_json(deep(65).encode())
    assert limits.read_json(deep(64).encode()) == json.loads(deep(64))
    # UTF-16 could hide brackets from the scan inside what looks like a string ("嬢" is 22 5b): refused.
    with pytest.raises(ValueError):
        limits.read_json(('["嬢", ' + deep(100_000) + "]").encode("utf-16-le"))
    assert limits.read_json(b'\xef\xbb\xbf{"a": "\xe8\x8b\x8f"}') == {"a": "苏"}  # a BOM is allowed


# ---- A real fault


def test_a_fault_answers_try_again_later_is_logged_and_shows_no_traceback(server):
    """The database breaks under the running server (a table renamed away, then back): the push is
    answered 500 server_error, with no traceback or SQL in the answer, and the traceback is in the log."""
    api = Api(server, "rep.li")
    db = server_db(server)
    try:
        db.execute("ALTER TABLE server_processed RENAME TO server_processed_away")
        db.commit()
        try:
            response = api.push(create("子公司"))
        finally:
            db.execute("ALTER TABLE server_processed_away RENAME TO server_processed")
            db.commit()
    finally:
        db.close()
    body = refusal(response, 500)
    assert body["code"] == "server_error" and "try again later" in body["message_en"]
    assert "server_processed" not in response.text
    log = _stderr_so_far(server, until="server_processed")
    assert "Traceback" in log and "server_processed" in log
    api.seq -= 1  # nothing of the batch was committed: the device sends it again, and now it applies
    assert api.push(create("子公司")).json()["results"][0]["status"] == protocol.APPLIED


def _stderr_so_far(server: ServerProcess, until: str, wait_s: float = 10.0) -> str:
    """What the running server has written to its log so far, waiting until ``until`` appears
    (uvicorn logs a fault just after answering it)."""
    text, deadline = server.log(), time.monotonic() + wait_s
    while until not in text and time.monotonic() < deadline:
        time.sleep(0.05)
        text = server.log()
    return text
