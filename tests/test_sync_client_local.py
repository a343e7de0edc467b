"""The sync client's side, without our server: pulled pages, replay, push results, the token, transport faults.

Everything runs on a real SQLite store (tests/conftest.py), whose integrity check runs after each test.
The HTTP tests use a tiny http.server on 127.0.0.1 that plays back canned answers and faults (a 500, a
dropped connection, a slow answer, a 4xx); it knows nothing of our server's rules. The client and the
real server together are tested with the server (tests/test_sync_server.py).
"""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import keyring
import keyring.errors
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from sqlalchemy import func, select

import desktop
from desktop import auth, derived, integrity, mutations, remote, rows, search, timeutil
from desktop.errors import DomainError
from desktop.ids import uuid7
from desktop.models import DATA_TABLES, AuditEntry, Customer, OutboxEntry, SyncProblem, Touchpoint
from desktop.search_text import match_expression
from desktop.store import UnrecordedWriteError, open_store
from sync import protocol
from sync.client import (
    SignInRequired,
    SyncCancelled,
    SyncClient,
    SyncError,
    SyncUnavailable,
    UpgradeRequired,
    for_store,
)
from sync.token_store import FileTokenStore, KeyringTokenStore, open_token_store
from tests.conftest import PASSWORD, make_customer, run
from ui import ops

NOW = timeutil.utcnow() - timedelta(hours=1)
T = timeutil.to_text(NOW)

# ---------------------------------------------------------------------------------------------- rows as the server sends them


def customer_row(owner_id: str, **values: Any) -> dict[str, Any]:
    row = {"id": uuid7(), "name": "苏州恒通精密机械有限公司", "short_name": "恒通", "owner_id": owner_id, "region": "江苏",
           "city": "苏州", "address": "工业园区星湖街 328 号", "industry": "机械", "segment": "key_account",
           "status": "active", "phone": "0512-62580000", "credit_limit": "1200000.50", "notes": "老客户",
           "created_at": T, "updated_at": T, "deleted_at": None, "version": 1, **values}
    return {**derived.customer_columns(row["name"], row["phone"]), **row}  # as the server's mutation computed them


def contact_row(customer_id: str, **values: Any) -> dict[str, Any]:
    row = {"id": uuid7(), "customer_id": customer_id, "name": "王伟", "title": "设备科长", "decision_role": "technical",
           "phone": "", "wechat": "wangwei", "email": "", "notes": "", "last_reached_at": None, "created_at": T,
           "updated_at": T, "deleted_at": None, "version": 1, **values}
    return {**derived.contact_columns(row["name"], row["phone"]), **row}


def renamed(customer: dict[str, Any], name: str) -> dict[str, Any]:
    """The name and the columns the server derives from it."""
    return {"name": name, **derived.customer_columns(name, customer["phone"])}


def touchpoint_row(customer_id: str, user_id: str, **values: Any) -> dict[str, Any]:
    return {"id": uuid7(), "customer_id": customer_id, "user_id": user_id, "contact_id": None, "channel": "visit",
            "occurred_at": T, "with_whom": "王工", "summary": "现场拜访，拍摄设备铭牌照片", "reaction": "positive",
            "reaction_note": "", "next_step": "报价", "next_step_due": None, "status": "submitted", "created_at": T,
            "updated_at": T, "version": 1, "visit_type": "routine", "check_in_at": T, "location": "苏州工业园区",
            "gps_lat": 31.3, "gps_lon": 120.6, "amends_id": None, "rule_id": None, "rule_version": None,
            "rule_passed": None, "follow_up": "", "follow_up_owner_id": None, "follow_up_closed_at": None,
            "follow_up_closed_by": None, "follow_up_done_in": None, **values}


def up(table: str, row: dict[str, Any]) -> dict[str, Any]:
    return {"seq": 0, "table": table, "id": row["id"], "op": protocol.UPSERT, "version": row["version"], "row": row}


def forget(table: str, row_id: str) -> dict[str, Any]:
    return {"seq": 0, "table": table, "id": row_id, "op": protocol.FORGET, "version": None, "row": None}


def stored(store, table: str, row_id: str) -> dict[str, Any] | None:
    with store.read() as s:
        return rows.read(s.connection(), table, row_id)


def count(store, model, *where) -> int:
    with store.read() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def cursor(store) -> int:
    return remote.read_state(store).cursor


def entry(store, seq: int) -> OutboxEntry:
    with store.read() as s:
        return s.get(OutboxEntry, seq)


def problems(store) -> list[SyncProblem]:
    with store.read() as s:
        return remote.open_problems(s)


def result(outcome: mutations.Outcome, status: str, **extra: Any) -> dict[str, Any]:
    return {"seq": outcome.seq, "mutation_id": outcome.mutation_id, "status": status, **extra}


REFUSED = {"code": "forbidden", "field": None, "message_zh": "您的角色无权修改此客户。",
           "message_en": "Your role may not change this customer."}


# ---------------------------------------------------------------------------------------------- pulled pages


def test_the_offline_core_and_the_protocol_use_the_same_words():
    assert (remote.UPSERT, remote.FORGET) == (protocol.UPSERT, protocol.FORGET)
    assert (remote.APPLIED, remote.REJECTED, remote.OUT_OF_ORDER) == (
        protocol.APPLIED, protocol.REJECTED, protocol.OUT_OF_ORDER)
    assert DATA_TABLES == protocol.SYNCED_TABLES


def test_a_page_is_stored_in_storage_form_with_its_cursor(store, org):
    """Rows land exactly as sent (children may come before parents within a page); the cursor with them."""
    customer = customer_row(org["rep"], version=4)
    contact = contact_row(customer["id"], last_reached_at=T)
    visit = touchpoint_row(customer["id"], org["rep"], contact_id=contact["id"], next_step_due=T)
    assert remote.apply_page(store, [up("touchpoints", visit), up("contacts", contact), up("customers", customer)],
                             41) == 3

    assert stored(store, "customers", customer["id"]) == customer
    assert stored(store, "contacts", contact["id"]) == contact
    assert stored(store, "touchpoints", visit["id"]) == visit
    assert cursor(store) == 41
    with store.read() as s:
        c = s.scalars(select(Customer)).one()
        assert c.credit_limit == Decimal("1200000.50") and c.version == 4 and c.created_at == NOW
        log = s.scalars(select(AuditEntry).where(AuditEntry.action == "sync.pull")).one()
        assert log.detail == {"cursor": 41, "counts": {"upsert": {"customers": 1, "contacts": 1, "touchpoints": 1}}}
    assert count(store, OutboxEntry) == 0  # the server's rows are not owed back to it


def test_a_later_page_updates_rows_by_id_and_search_follows(store, org):
    customer = customer_row(org["rep"])
    visit = touchpoint_row(customer["id"], org["rep"])
    remote.apply_page(store, [up("customers", customer), up("touchpoints", visit)], 2)
    with store.read() as s:
        rid = s.scalars(select(Touchpoint.rid)).one()
        assert [t.id for t in search.search_touchpoints(s, "铭牌")] == [visit["id"]]
        assert [c.id for c in search.search_customers(s, "恒通精密")] == [customer["id"]]
        assert [t.id for t in search.search_customer_touchpoints(s, customer["id"], "设备")] == [visit["id"]]

    remote.apply_page(store, [up("touchpoints", {**visit, "summary": "电话沟通报价单", "version": 2}),
                              up("customers", {**customer, "version": 2,
                                               **renamed(customer, "无锡华创电子科技有限公司")})], 4)
    with store.read() as s:
        assert s.scalars(select(Touchpoint.rid)).one() == rid  # updated in place: the local rid stays
        assert search.search_touchpoints(s, "铭牌") == []
        assert [t.id for t in search.search_touchpoints(s, "报价单")] == [visit["id"]]
        assert search.search_customers(s, "恒通精密") == []
        assert [c.id for c in search.search_customers(s, "华创")] == [customer["id"]]
    assert stored(store, "touchpoints", visit["id"])["version"] == 2


def test_forget_removes_the_row_and_what_hangs_off_it(store, org):
    customer = customer_row(org["rep"])
    contact = contact_row(customer["id"])
    visit = touchpoint_row(customer["id"], org["rep"], contact_id=contact["id"])
    other = customer_row(org["rep"], name="常州瑞丰包装材料有限公司")
    remote.apply_page(store, [up("customers", customer), up("contacts", contact), up("touchpoints", visit),
                              up("customers", other)], 4)

    remote.apply_page(store, [forget("customers", customer["id"])], 9)  # e.g. handed to another team
    assert stored(store, "customers", customer["id"]) is None
    assert stored(store, "contacts", contact["id"]) is None and stored(store, "touchpoints", visit["id"]) is None
    assert stored(store, "customers", other["id"]) is not None
    with store.read() as s:
        assert search.search_touchpoints(s, "铭牌") == []
        assert [c.id for c in search.search_customers(s, "有限公司")] == [other["id"]]
    assert cursor(store) == 9


@pytest.mark.parametrize("fault", ["dangling reference", "forgotten parent", "check constraint", "malformed change"])
def test_a_page_that_fails_half_way_leaves_neither_rows_nor_cursor(store, org, fault):
    """All or nothing: the rows before the bad one are not kept, the cursor does not move, search is unchanged."""
    remote.apply_page(store, [up("customers", customer_row(org["rep2"], name="老客户一"))], 5)
    customer = customer_row(org["rep"], name="苏州新客户", version=3)
    good = [up("customers", customer), up("touchpoints", touchpoint_row(customer["id"], org["rep"]))]
    bad = {
        # Found after every row was written, before commit: the message names the row and the parent.
        "dangling reference": up("touchpoints", touchpoint_row(uuid7(), org["rep"])),
        # Foreign keys are checked at commit: a customer still refers to this user.
        "forgotten parent": forget("users", org["rep2"]),
        # A CHECK constraint fails on the row itself, in the middle of the writes.
        "check constraint": up("contacts", contact_row(customer["id"], decision_role="boss")),
        "malformed change": {**up("touchpoints", touchpoint_row(customer["id"], org["rep"])), "version": "2"},
    }[fault]
    with pytest.raises(remote.RemoteDataError) as caught:
        remote.apply_page(store, [*good, bad, up("users", {**stored(store, "users", org["rep"]), "version": 2})], 8)
    if fault == "dangling reference":
        assert f"refers to customers {bad['row']['customer_id']} (customer_id)" in str(caught.value)

    assert cursor(store) == 5
    assert stored(store, "customers", customer["id"]) is None
    assert count(store, Touchpoint) == 0
    assert stored(store, "users", org["rep"])["version"] == 1
    with store.read() as s:
        assert search.search_touchpoints(s, "铭牌") == [] and search.search_customers(s, "新客户") == []
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == 1  # only the first page
    remote.apply_page(store, good, 8)  # the store is fine afterwards
    assert cursor(store) == 8


def _first_pull_pages(owner: dict[str, Any]) -> list[tuple[list[dict[str, Any]], int]]:
    """Three pages as a server sends a first pull: new rows, rows they refer to sent again (unchanged),
    a row changed since, rows with columns left out (a user without a hash)."""
    other = {"id": uuid7(), "username": "rep.zhao", "display_name": "赵文博", "role": "field_rep", "territory": "安徽",
             "team": "east2", "manager_id": None, "active": True, "created_at": T, "updated_at": T, "version": 1,
             **derived.user_columns("赵文博")}
    customers = [customer_row(owner["id"], name=f"{city}恒通精密机械有限公司", city=city) for city in ("苏州", "无锡", "常州")]
    customers.append(customer_row(other["id"], name="合肥华创电子科技有限公司", region="安徽", city="合肥", credit_limit=None))
    contacts = [contact_row(c["id"], name=name) for c, name in zip(customers, ("王伟", "李娜", "张强", "刘洋"), strict=True)]
    visits = [touchpoint_row(c["id"], owner["id"], contact_id=k["id"], summary=f"现场拜访{k['name']}，拍摄设备铭牌照片")
              for c, k in zip(customers, contacts, strict=True)]
    calls = [touchpoint_row(c["id"], other["id"], channel="call", summary="电话沟通交期和报价单", next_step_due=T)
             for c in customers[1:]]
    changed = {**customers[0], "notes": "改名", "version": 2, **renamed(customers[0], "苏州瑞丰包装材料有限公司")}
    return [
        ([up("users", owner), up("users", other), *(up("customers", c) for c in customers),
          *(up("contacts", k) for k in contacts)], 6),
        ([*(up("touchpoints", t) for t in visits), *(up("customers", c) for c in customers[:2]),
          up("contacts", contacts[0])], 12),
        ([*(up("touchpoints", t) for t in calls), up("customers", changed), up("customers", customers[3]),
          up("users", other)], 17),
    ]


def _everything(store) -> dict[str, list[tuple[Any, ...]]]:
    with store.read() as s:
        conn = s.connection()
        return {table: conn.exec_driver_sql(f"SELECT * FROM {table} ORDER BY id").fetchall() for table in DATA_TABLES}


def _found(store) -> dict[str, list[Any]]:
    queries = ("铭牌", "报价单", "王伟", "精密机械", "华创", "瑞丰包装", "合肥", "改名", "设")
    with store.read() as s:
        conn = s.connection()
        return {q: [conn.exec_driver_sql(f"SELECT rowid FROM {index} WHERE {index} MATCH ? ORDER BY rowid",
                                         (match_expression(q),)).scalars().all()
                    for index in ("touchpoint_search", "customer_search")]
                + [[t.id for t in search.search_touchpoints(s, q)], [c.id for c in search.search_customers(s, q)]]
                for q in queries}


def test_a_first_pull_in_bulk_gives_the_rows_and_search_of_the_row_by_row_path(tmp_path, password_hash):
    """New rows go in with plain inserts and their search texts in bulk, rows held unchanged are left
    alone, changed ones updated: exactly what writing every row with the per-row triggers gives."""
    owner = {"id": uuid7(), "username": "rep.li", "display_name": "李晓东", "role": "field_rep", "territory": "江苏",
             "team": "east1", "manager_id": None, "password_hash": password_hash, "active": True, "created_at": T,
             "updated_at": T, "version": 1, **derived.user_columns("李晓东")}
    pages = _first_pull_pages(owner)
    bulk, by_row = open_store(tmp_path / "bulk" / "fieldmark.db"), open_store(tmp_path / "by-row" / "fieldmark.db")
    for changes, next_cursor in pages:
        remote.apply_page(bulk, changes, next_cursor)
        with by_row.writer("sync") as s:  # every row through INSERT ... ON CONFLICT DO UPDATE and the triggers
            s.connection().exec_driver_sql("PRAGMA defer_foreign_keys = ON")
            for table in DATA_TABLES:
                rows.upsert(s.connection(), table, [c["row"] for c in changes if c["table"] == table])
    assert _everything(bulk) == _everything(by_row)  # rid included: the search indexes are keyed on it
    assert _found(bulk) == _found(by_row)
    found = _found(bulk)
    assert len(found["铭牌"][2]) == 4 and len(found["报价单"][2]) == 3 and len(found["精密机械"][3]) == 2
    assert found["瑞丰包装"][3] == [pages[0][0][2]["id"]] and found["改名"][3] == [pages[0][0][2]["id"]]
    with bulk.read() as s:
        assert integrity.check(s) == []
        assert auth.sign_in(s, "rep.li", PASSWORD).id == owner["id"]
        assert s.scalar(select(func.count()).select_from(Touchpoint)) == 7
    assert cursor(bulk) == 17
    bulk.close()
    by_row.close()


def test_the_cursor_never_goes_back(store, org):
    remote.apply_page(store, [], 30)
    with pytest.raises(remote.RemoteDataError, match="went back"):
        remote.apply_page(store, [up("customers", customer_row(org["rep"]))], 29)
    assert cursor(store) == 30 and count(store, Customer) == 0


def test_users_arrive_without_others_password_hashes(store, org, password_hash):
    """The server sends a password hash only to its owner's devices; an absent hash never signs in."""
    newcomer = {"id": uuid7(), "username": "rep3", "display_name": "新同事", "role": "field_rep", "territory": "江苏",
                "team": "east1", "manager_id": org["manager"], "active": True, "created_at": T, "updated_at": T,
                "version": 1, **derived.user_columns("新同事")}
    me = {k: v for k, v in stored(store, "users", org["rep"]).items() if k != "password_hash"}
    remote.apply_page(store, [up("users", newcomer), up("users", {**me, "display_name": "李明", "version": 2,
                                                                   **derived.user_columns("李明")})], 3)
    with store.read() as s:
        with pytest.raises(DomainError):
            auth.sign_in(s, "rep3", PASSWORD)
        assert auth.sign_in(s, "rep", PASSWORD).display_name == "李明"  # own hash kept when not resent
    assert stored(store, "users", org["rep"])["password_hash"] == password_hash


def test_sync_tables_accept_only_the_sync_writer(store, org):
    with store.writer("mutation") as s:
        with pytest.raises(UnrecordedWriteError):
            s.connection().exec_driver_sql("UPDATE sync_state SET cursor = 99")
    with store.read() as s:
        with pytest.raises(UnrecordedWriteError):
            s.connection().exec_driver_sql("DELETE FROM sync_problems")
    assert cursor(store) == 0


# ---------------------------------------------------------------------------------------------- integrity of pulled rows


def test_rows_counted_by_the_server_are_accounted_for(store, org):
    """A row at version 7 from the server, with no outbox entry, passes; local edits on top must still add up."""
    customer = customer_row(org["rep"], version=7)
    remote.apply_page(store, [up("customers", customer)], 10)
    run(store, org["rep"], "customer.update", id=customer["id"], phone="0512-1")
    with store.read() as s:
        assert integrity.check(s) == []
        assert stored(store, "customers", customer["id"])["version"] == 8


@pytest.mark.tampers
def test_a_pulled_row_changed_behind_the_outbox_is_still_caught(store, org):
    customer = customer_row(org["rep"], version=7)
    remote.apply_page(store, [up("customers", customer)], 10)
    with sqlite3.connect(store.path) as raw:  # someone edits the file with a SQLite shell
        raw.execute("UPDATE customers SET phone = '110', version = 8 WHERE id = ?", (customer["id"],))
    with store.read() as s:
        problems_found = integrity.outbox_accounting(s)
    assert problems_found == [f"customers {customer['id']} is at version 8; the server sent version 7 "
                              "and the outbox accounts for [] since"]


# ---------------------------------------------------------------------------------------------- replaying pending changes


def test_replay_pending_reapplies_a_local_edit_over_a_pulled_row(store, org):
    """The server's newer row comes in; the rep's unsent edit is applied again on top of it."""
    customer = customer_row(org["rep"], version=3)
    remote.apply_page(store, [up("customers", customer)], 10)
    edit = run(store, org["rep"], "customer.update", id=customer["id"], phone="0512-66668888")
    audit_before = count(store, AuditEntry)

    remote.apply_page(store, [up("customers", {**customer, "notes": "服务器上的新备注", "version": 5})], 12)
    between = stored(store, "customers", customer["id"])
    assert (between["phone"], between["notes"], between["version"]) == ("0512-62580000", "服务器上的新备注", 5)

    report = remote.replay_pending(store)
    assert report.replayed == [edit.seq] and report.failed == []
    after = stored(store, "customers", customer["id"])
    assert (after["phone"], after["notes"], after["version"]) == ("0512-66668888", "服务器上的新备注", 6)
    again = entry(store, edit.seq)
    assert again.status == "pending" and again.changes["rows"] == [["customers", customer["id"], "update", 6]]
    assert again.args == edit.args and again.base_version == 3  # what is sent is what the user did
    assert count(store, OutboxEntry) == 1
    assert count(store, AuditEntry) == audit_before + 1  # the page's entry; replay adds none
    assert remote.replay_pending(store).replayed == []  # nothing left to do


def test_replay_keeps_seq_order_across_dependent_changes(store, org):
    """Pending changes under a pulled row are undone and re-applied in order; others are left alone."""
    customer = customer_row(org["rep"])
    contact = contact_row(customer["id"])
    remote.apply_page(store, [up("customers", customer), up("contacts", contact)], 1)
    run(store, org["rep"], "contact.update", id=contact["id"], title="副总经理")
    visit = run(store, org["rep"], "touchpoint.log", customer_id=customer["id"], contact_id=contact["id"],
                channel="meeting", occurred_at=timeutil.to_text(NOW), summary="拜访王总，确认需求").changes.entity_id

    # A page about rows no pending change touched leaves the pending changes where they are.
    remote.apply_page(store, [up("customers", {**customer, "status": "dormant", "version": 2})], 2)
    assert stored(store, "touchpoints", visit) is not None
    assert remote.replay_pending(store).replayed == []

    # Someone else changed the contact: both changes that touched it are undone, then redone in seq order.
    remote.apply_page(store, [up("contacts", {**contact, "phone": "13900000000", "version": 2})], 3)
    assert stored(store, "touchpoints", visit) is None
    assert stored(store, "contacts", contact["id"])["title"] == "设备科长"
    assert remote.replay_pending(store).replayed == [1, 2]

    row = stored(store, "contacts", contact["id"])
    assert (row["phone"], row["title"], row["last_reached_at"], row["version"]) == (
        "13900000000", "副总经理", timeutil.to_text(NOW), 4)
    assert stored(store, "touchpoints", visit)["contact_id"] == contact["id"]
    assert stored(store, "customers", customer["id"])["status"] == "dormant"
    with store.read() as s:
        assert [t.id for t in search.search_touchpoints(s, "确认需求")] == [visit]


def test_a_pending_change_that_no_longer_applies_becomes_a_problem_and_stays_queued(store, org):
    """The customer left the rep's scope: the unsent visit cannot be re-applied; it is kept, listed, still sent."""
    customer = customer_row(org["rep"])
    remote.apply_page(store, [up("customers", customer)], 1)
    visit = run(store, org["rep"], "touchpoint.log", customer_id=customer["id"], channel="call",
                occurred_at=timeutil.to_text(NOW), summary="电话确认交期")

    remote.apply_page(store, [forget("customers", customer["id"])], 2)
    report = remote.replay_pending(store)
    assert report.failed == [visit.seq]

    assert count(store, Touchpoint) == 0
    [problem] = problems(store)
    assert (problem.source, problem.code, problem.outbox_seq, problem.mutation) == (
        "replay", "not_found", visit.seq, "touchpoint.log")
    assert problem.args == visit.args and problem.entity == "touchpoints" and problem.entity_id == visit.args["id"]
    assert "客户" in problem.message_zh
    assert entry(store, visit.seq).status == "pending"  # still sent: the server has the last word

    remote.mark_results(store, [result(visit, "applied")])  # e.g. the server still had it in scope
    assert problems(store) == [] and entry(store, visit.seq).status == "applied"


# ---------------------------------------------------------------------------------------------- push results


def test_mark_results_applied(store, org):
    customer = make_customer(store, org["rep"])
    first = entry(store, 1)
    marked = remote.mark_results(store, [{"seq": 1, "mutation_id": first.mutation_id, "status": "applied",
                                          "change_seq": 17}])
    assert marked.applied == [1] and marked.rejected == []
    applied = entry(store, 1)
    assert applied.status == "applied" and applied.result["change_seq"] == 17
    assert stored(store, "customers", customer)["version"] == 1 and problems(store) == []


def test_a_change_the_server_applied_with_another_effect_is_undone_here_without_a_problem(store, org):
    """Finance's approval completed the quote here; the server, under its own rate, applied it without
    touching the quote (it waits for the finance director there). The answer names the rows the server
    wrote: the quote goes back to the server's row, the approval row comes with the pull, and no
    problem is opened for it (the rep's mark-as-sent on top, which the server refused, has one)."""
    from desktop.models import Quote

    rep, finance = org["rep"], org["finance"]
    made = [run(store, rep, "quote.create", customer_id=make_customer(store, rep))]
    quote_id = made[0].changes.entity_id
    made.append(run(store, rep, "quote.line_set", quote_id=quote_id, description="数控车床", quantity="1",
                    unit_price="100.00"))
    made.append(run(store, rep, "quote.submit", id=quote_id))
    with store.read() as s:
        version = s.get(Quote, quote_id).version
    decision = run(store, finance, "approval.decide", quote_id=quote_id, quote_version=version, decision="approve",
                   comment="同意")
    later = run(store, rep, "quote.mark_sent", id=quote_id)  # made here on top of the approval
    approval_id = decision.changes.entity_id
    answers = [result(m, "applied", rows=[[t, i] for t, i, _op, _v in entry(store, m.seq).changes["rows"]])
               for m in [*made[1:], decision]]
    answers[-1]["rows"] = [["approvals", approval_id]]  # the server's run did not approve the quote
    answers.insert(0, result(made[0], "applied"))  # an older server names no rows: taken as the same effect
    marked = remote.mark_results(store, [*answers, result(later, "rejected", error=REFUSED)])
    assert marked.applied == [m.seq for m in [*made, decision]] and marked.rejected == [later.seq]
    assert stored(store, "quotes", quote_id)["status"] == "awaiting_approval"
    assert stored(store, "quotes", quote_id)["version"] == version
    assert entry(store, decision.seq).status == "applied" and entry(store, decision.seq).changes["rows"] == []
    assert [p.outbox_seq for p in problems(store)] == [later.seq]  # only the real refusal
    approval = {"id": approval_id, "quote_id": quote_id, "quote_version": version, "round": 1,
                "approver_id": finance, "role": "finance", "rules": json.dumps(["finance"]),
                "required": json.dumps([{"rule": "finance", "role": "finance", "reason_zh": "z", "reason_en": "e"},
                                        {"rule": "fx_drift", "role": "finance_director", "reason_zh": "z",
                                         "reason_en": "e"}]),
                "decision": "approve", "comment": "同意", "decided_at": timeutil.to_text(timeutil.utcnow()),
                "created_at": timeutil.to_text(timeutil.utcnow()), "version": 1}
    remote.apply_page(store, [up("approvals", approval)], 50)  # the server's row
    remote.replay_pending(store)
    with store.read() as s:
        assert integrity.check(s) == []


def test_a_rejected_edit_restores_the_servers_row_and_keeps_both_versions(store, org):
    customer = customer_row(org["rep"], version=3)
    remote.apply_page(store, [up("customers", customer)], 10)
    refused = run(store, org["rep"], "customer.update", id=customer["id"], phone="0512-66668888", notes="我的备注")
    later = run(store, org["rep"], "customer.update", id=customer["id"], segment="channel")

    marked = remote.mark_results(store, [result(refused, "rejected", error=REFUSED)])
    assert marked.rejected == [refused.seq] and marked.replay.replayed == [later.seq]

    row = stored(store, "customers", customer["id"])
    assert (row["phone"], row["notes"], row["segment"], row["version"]) == ("0512-62580000", "老客户", "channel", 4)
    [problem] = problems(store)
    assert (problem.source, problem.code, problem.message_zh, problem.message_en) == (
        "rejected", "forbidden", REFUSED["message_zh"], REFUSED["message_en"])
    assert problem.args["phone"] == "0512-66668888" and problem.args["notes"] == "我的备注"  # the user's version
    assert problem.server_row == customer  # the server's version, beside it
    assert entry(store, refused.seq).status == "rejected" and entry(store, later.seq).status == "pending"
    with store.read() as s:
        assert s.scalars(select(AuditEntry).where(AuditEntry.action == "sync.rejected")).one().detail[
            "outbox_seq"] == refused.seq

    remote.resolve_problem(store, problem.id)  # the user re-entered it or let it go
    assert problems(store) == []


def test_a_change_applied_after_a_rejected_one_in_the_same_answer_stays_applied_here(store, org):
    customer = customer_row(org["rep"], version=2)
    remote.apply_page(store, [up("customers", customer)], 5)
    refused = run(store, org["rep"], "customer.update", id=customer["id"], owner_id=org["rep"], phone="110")
    accepted = run(store, org["rep"], "customer.update", id=customer["id"], notes="已确认")
    marked = remote.mark_results(store, [result(refused, "rejected", error=REFUSED), result(accepted, "applied")])
    assert (marked.rejected, marked.applied, marked.replay.replayed) == ([refused.seq], [accepted.seq], [accepted.seq])
    row = stored(store, "customers", customer["id"])
    assert (row["phone"], row["notes"], row["version"]) == (customer["phone"], "已确认", 3)
    assert entry(store, accepted.seq).changes["rows"] == [["customers", customer["id"], "update", 3]]


def test_a_rejected_visit_disappears_locally_and_is_kept_as_a_problem(store, org):
    customer = make_customer(store, org["rep"])
    visit = run(store, org["rep"], "touchpoint.log", customer_id=customer, channel="meeting",
                occurred_at=timeutil.to_text(NOW), summary="现场拜访，拍摄设备铭牌照片")
    remote.mark_results(store, [result(entry(store, 1), "applied"),
                                result(visit, "rejected", error={"code": "rule_broken", "field": "summary",
                                                                 "message_zh": "缺少铭牌照片。",
                                                                 "message_en": "The nameplate photo is missing."})])
    assert count(store, Touchpoint) == 0
    with store.read() as s:
        assert search.search_touchpoints(s, "铭牌") == []
    [problem] = problems(store)
    assert problem.server_row is None and problem.field == "summary"  # the server has no such visit
    assert problem.args["summary"] == "现场拜访，拍摄设备铭牌照片"


def test_results_stop_at_out_of_order_repeat_harmlessly_and_must_match_the_mutation(store, org):
    customer = make_customer(store, org["rep"])
    second = run(store, org["rep"], "customer.update", id=customer, phone="1")
    first = entry(store, 1)
    marked = remote.mark_results(store, [result(entry(store, 1), "applied"),
                                         {"seq": 2, "mutation_id": second.mutation_id, "status": "out_of_order",
                                          "expected": 1}])
    assert marked.applied == [1] and marked.out_of_order["seq"] == 2
    assert entry(store, 2).status == "pending"

    assert remote.mark_results(store, [result(entry(store, 1), "rejected", error=REFUSED)]).rejected == []
    assert entry(store, 1).status == "applied" and problems(store) == []

    with pytest.raises(remote.RemoteDataError, match="not this device's change"):
        remote.mark_results(store, [{"seq": 2, "mutation_id": first.mutation_id, "status": "applied"}])
    assert entry(store, 2).status == "pending"


# ---------------------------------------------------------------------------------------------- token store


def test_the_token_file_is_private(tmp_path):
    old_umask = os.umask(0)  # even with a permissive umask
    try:
        tokens = FileTokenStore(tmp_path / "data" / "device-token")
        assert tokens.load() is None
        tokens.save("first-token")
        assert stat.S_IMODE((tmp_path / "data" / "device-token").stat().st_mode) == 0o600
        tokens.save("second-token")
    finally:
        os.umask(old_umask)
    path = tmp_path / "data" / "device-token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert tokens.load() == "second-token"
    assert sorted(p.name for p in path.parent.iterdir()) == ["device-token"]  # no temporary left behind
    os.chmod(path, 0o644)
    assert tokens.load() == "second-token" and stat.S_IMODE(path.stat().st_mode) == 0o600
    tokens.clear()
    assert tokens.load() is None and not path.exists()


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.secrets.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.secrets[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.secrets.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(username)


@pytest.fixture
def restore_keyring() -> Iterator[None]:
    before = keyring.get_keyring()
    yield
    keyring.set_keyring(before)


def test_the_token_goes_to_the_keyring_when_there_is_one(tmp_path, restore_keyring, store):
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    tokens = open_token_store(tmp_path, "device-1")
    assert isinstance(tokens, KeyringTokenStore)
    tokens.save("secret")
    assert memory.secrets == {("Fieldmark", "device-1"): "secret"} and tokens.load() == "secret"
    assert not (tmp_path / "device-token").exists()
    tokens.clear()
    tokens.clear()
    assert tokens.load() is None

    keyring.set_keyring(fail.Keyring())  # no usable keyring (a headless machine): the private file
    fallback = open_token_store(tmp_path, "device-1")
    assert isinstance(fallback, FileTokenStore) and fallback.path == tmp_path / "device-token"
    beside = for_store(store, "https://sync.example.invalid").token_store
    assert isinstance(beside, FileTokenStore) and beside.path == store.path.parent / "device-token"


# ---------------------------------------------------------------------------------------------- transport


class Scripted(ThreadingHTTPServer):
    """Plays back one canned answer or fault per request, and records what it received."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script: list[tuple[Any, ...]] = []
        self.received: list[dict[str, Any]] = []
        self.url = f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up on a slow answer is expected here


class _Handler(BaseHTTPRequestHandler):
    server: Scripted

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.received.append({"method": self.command, "path": self.path, "headers": dict(self.headers),
                                     "raw": raw})
        action, *rest = self.server.script.pop(0) if self.server.script else ("status", 500, {})
        if action == "drop":  # the connection goes away without an answer
            self.close_connection = True
            return
        if action == "slow":
            time.sleep(rest[0])
            action, rest = "status", [200, rest[1]]
        status, body = rest[0], rest[1]
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (rest[2] if len(rest) > 2 else {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def http() -> Iterator[Scripted]:
    server = Scripted()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(store, tmp_path, http, sleeps) -> SyncClient:
    tokens = FileTokenStore(tmp_path / "device-token")
    tokens.save("t0k3n")
    # These tests script the change-log pull's answers; a first pull's snapshot is tests/test_first_pull.py's.
    return SyncClient(store, http.url, tokens, timeout=(2.0, 0.5), sleep=sleeps.append, jitter=lambda: 1.0,
                      snapshots=False)


def empty_page(next_cursor: int = 0, server_time: str | None = None) -> dict[str, Any]:
    return {"changes": [], "next_cursor": next_cursor, "has_more": False,
            "server_time": server_time or timeutil.to_text(timeutil.utcnow())}


def body(request: dict[str, Any]) -> Any:
    return json.loads(gzip.decompress(request["raw"]))


def test_sign_in_sends_gzip_json_with_the_version_headers_and_keeps_the_token(store, tmp_path, http):
    device_id, _ = store.device()
    http.script = [("status", 200, {"token": "fresh-token", "user_id": "u-1", "device_id": device_id,
                                    "expires_at": T})]
    tokens = FileTokenStore(tmp_path / "device-token")
    user_id = SyncClient(store, http.url + "/", tokens).sign_in("rep", "pw", "李明的笔记本")

    assert user_id == "u-1" and tokens.load() == "fresh-token"
    [request] = http.received
    assert (request["method"], request["path"]) == ("POST", "/v1/auth/token")
    headers = request["headers"]
    assert headers["Content-Encoding"] == "gzip" and headers["Content-Type"] == "application/json"
    assert headers[protocol.APP_HEADER] == desktop.__version__ and headers[protocol.SCHEMA_HEADER] == store.schema_version
    assert "Authorization" not in headers
    assert body(request) == {"username": "rep", "password": "pw", "device_id": device_id, "device_name": "李明的笔记本"}
    state = remote.read_state(store)
    assert (state.server_url, state.user_id) == (http.url, "u-1")
    assert state.last_attempt_at is not None and state.last_success_at is None  # signing in is not a sync


def test_a_5xx_is_retried_with_growing_delays_and_the_clock_offset_is_recorded(client, http, sleeps, store):
    ahead = timeutil.to_text(timeutil.utcnow() + timedelta(hours=1))
    http.script = [("status", 500, {}), ("status", 503, {}), ("status", 200, empty_page(0, ahead))]
    report = client.pull()
    assert report.pages == 1 and len(http.received) == 3
    assert sleeps == [0.5, 1.0]  # backoff 0.5 s doubling (jitter pinned at its maximum here)
    assert http.received[0]["headers"]["Authorization"] == "Bearer t0k3n"
    # Each failed page is asked for again with a quarter of the rows (sync.client._PullPace).
    limits = [protocol.PULL_LIMIT, protocol.PULL_LIMIT // 4, protocol.PULL_LIMIT // 16]
    assert [r["path"] for r in http.received] == [f"/v1/pull?cursor=0&limit={n}&form=columns&held_through=0"
                                                for n in limits]
    state = remote.read_state(store)
    assert state.last_error is None and state.last_success_at is not None
    assert 3590 < state.server_time_offset_s < 3610


def test_retry_after_is_honoured_and_jitter_spreads_the_delays(store, tmp_path, http):
    tokens = FileTokenStore(tmp_path / "device-token")
    tokens.save("t")
    delays: list[float] = []
    jitter = iter([0.25, 0.5, 0.1])
    quick = SyncClient(store, http.url, tokens, sleep=delays.append, jitter=lambda: next(jitter), snapshots=False)
    http.script = [("status", 503, {}, {"Retry-After": "3"}), ("status", 502, {}), ("status", 429, {}),
                   ("status", 200, empty_page())]
    quick.pull()
    assert delays == [3.0, 0.5 * 1.0, 0.1 * 2.0]


def test_a_dropped_connection_and_a_slow_answer_are_retried(client, http, sleeps):
    http.script = [("drop",), ("slow", 1.5, empty_page()), ("status", 200, empty_page(0))]
    assert client.pull().pages == 1
    assert len(http.received) == 3 and len(sleeps) == 2


def test_attempts_are_bounded_and_the_error_is_recorded(client, http, sleeps, store):
    http.script = [("status", 500, {})] * 5 + [("status", 200, empty_page())]
    with pytest.raises(SyncUnavailable) as caught:
        client.pull()
    assert len(http.received) == 5 and sleeps == [0.5, 1.0, 2.0, 4.0]
    assert caught.value.code == "unavailable" and "稍后" in caught.value.message_zh
    state = remote.read_state(store)
    assert state.last_error["code"] == "unavailable" and state.last_success_at is None
    assert cursor(store) == 0


def test_a_4xx_is_final_and_carries_the_servers_words(client, http, sleeps):
    http.script = [("status", 403, {"code": "forbidden", "message_zh": "此设备已属于其他用户。",
                                    "message_en": "This device belongs to another user."})]
    with pytest.raises(SyncError) as caught:
        client.pull()
    error = caught.value
    assert (error.code, error.status, error.message("zh_CN"), error.message("en")) == (
        "forbidden", 403, "此设备已属于其他用户。", "This device belongs to another user.")
    assert len(http.received) == 1 and sleeps == []


def test_426_asks_for_an_upgrade(client, http, store):
    http.script = [("status", 426, {"code": "upgrade_required", "message_zh": "请升级。", "message_en": "Upgrade."})]
    with pytest.raises(UpgradeRequired) as caught:
        client.sync()
    assert caught.value.message_en == "Upgrade." and len(http.received) == 1
    assert remote.read_state(store).last_error["code"] == "upgrade_required"


def test_without_a_token_or_with_a_refused_one_sign_in_is_required(client, http, tmp_path):
    http.script = [("status", 401, {"code": "unauthorized", "message_zh": "登录已失效，请重新登录。",
                                    "message_en": "Sign in again."})]
    with pytest.raises(SignInRequired):
        client.pull()
    client.sign_out()
    with pytest.raises(SignInRequired):
        client.pull()
    assert len(http.received) == 1  # without a token nothing is sent


# ---------------------------------------------------------------------------------------------- push and pull loops


def test_push_sends_pending_entries_in_order_in_batches_and_stops_at_out_of_order(
        client, http, store, org, monkeypatch):
    """Canned answers: 1-2 applied, 3 rejected, then out of order at 4; the next push starts again at 4."""
    monkeypatch.setattr(protocol, "PUSH_BATCH", 2)
    customer = make_customer(store, org["rep"])
    outcomes = [entry(store, 1)] + [run(store, org["rep"], "customer.update", id=customer, phone=str(n))
                                    for n in range(4)]
    ok = [result(o, "applied") for o in outcomes]
    http.script = [("status", 200, {"results": ok[:2], "server_time": T}),
                   ("status", 200, {"results": [result(outcomes[2], "rejected", error=REFUSED),
                                                result(outcomes[3], "out_of_order", expected=3)], "server_time": T})]
    report = client.push()

    assert (report.sent, report.applied, report.rejected, report.out_of_order) == (4, 2, 1, True)
    sent = [body(r) for r in http.received]
    device_id, _ = store.device()
    assert [[m["seq"] for m in b["mutations"]] for b in sent] == [[1, 2], [3, 4]]
    assert all(b["device_id"] == device_id for b in sent)
    first = entry(store, 1)
    wrote = sent[0]["mutations"][0].pop("wrote")
    assert sent[0]["mutations"][0] == {"seq": 1, "mutation_id": first.mutation_id, "name": "customer.create",
                                       "args": first.args, "base_version": None,
                                       "schema_version": store.schema_version,
                                       "client_time": timeutil.to_text(first.client_time)}
    # What its run wrote, by digest of the row as it was here when sent: the server names this device on
    # the rows it writes alike, and the next pull leaves them out.
    assert [w[:2] for w in wrote] == [["customers", first.args["id"]]] and len(wrote[0][2]) == 32
    assert [entry(store, s).status for s in range(1, 6)] == ["applied", "applied", "rejected", "pending", "pending"]
    assert [p.outbox_seq for p in problems(store)] == [3]

    http.script = [("status", 200, {"results": [result(o, "applied") for o in outcomes[3:]], "server_time": T})]
    assert client.push().applied == 2
    assert [m["seq"] for m in body(http.received[-1])["mutations"]] == [4, 5]
    assert client.push().sent == 0 and len(http.received) == 3  # nothing pending: nothing sent


def test_push_refuses_to_send_another_users_changes(client, http, store, org):
    remote.update_state(store, user_id=org["rep"])
    make_customer(store, org["manager"])
    with pytest.raises(SyncError) as caught:
        client.push()
    assert caught.value.code == "other_user" and http.received == []
    assert entry(store, 1).status == "pending"


def test_pull_pages_until_has_more_is_false_and_replays_on_top(client, http, store, org):
    customer = customer_row(org["rep"], version=2)
    visit = touchpoint_row(customer["id"], org["rep"])
    remote.apply_page(store, [up("customers", customer)], 3)
    edit = run(store, org["rep"], "customer.update", id=customer["id"], phone="13800000000")
    http.script = [
        ("status", 200, {"changes": [up("customers", {**customer, "notes": "新备注", "version": 3})],
                         "next_cursor": 7, "has_more": True, "server_time": T}),
        ("status", 500, {}),
        ("status", 200, {"changes": [up("touchpoints", visit)], "next_cursor": 9, "has_more": False,
                         "server_time": T}),
    ]
    seen: list[tuple[float, str]] = []

    report = client.pull(ops.Progress(lambda fraction, what: seen.append((fraction, what))))  # the UI's fits
    assert (report.pages, report.changes, report.cursor, report.replayed) == (2, 2, 9, 1)
    assert [r["path"].split("&")[0] for r in http.received] == ["/v1/pull?cursor=3", "/v1/pull?cursor=7",
                                                                 "/v1/pull?cursor=7"]
    row = stored(store, "customers", customer["id"])
    assert (row["phone"], row["notes"], row["version"]) == ("13800000000", "新备注", 4)
    assert entry(store, edit.seq).status == "pending" and stored(store, "touchpoints", visit["id"]) is not None
    assert cursor(store) == 9 and seen[-1] == (1.0, "pull")


def test_a_page_that_cannot_be_applied_is_explained_without_ids(client, http, store, org, caplog):
    orphan = touchpoint_row(uuid7(), org["rep"])  # its customer is in no page
    http.script = [("status", 200, {"changes": [up("touchpoints", orphan)], "next_cursor": 4, "has_more": False,
                                    "server_time": T})]
    with pytest.raises(SyncError) as caught:
        client.pull()
    assert caught.value.code == "bad_response" and cursor(store) == 0
    for text in (caught.value.message_zh, caught.value.message_en):
        assert orphan["id"] not in text and orphan["customer_id"] not in text and "fieldmark.log" in text
    assert orphan["customer_id"] in caplog.text  # the detail is in the log, for whoever reads it


def test_cancelling_a_pull_keeps_the_pages_applied_so_far(client, http, store, org):
    customer = customer_row(org["rep"])
    http.script = [("status", 200, {"changes": [up("customers", customer)], "next_cursor": 4, "has_more": True,
                                    "server_time": T})]

    class Stop:
        def set(self, fraction: float, what: str = "") -> bool:
            return False

    with pytest.raises(SyncCancelled):
        client.pull(Stop())
    assert cursor(store) == 4 and stored(store, "customers", customer["id"]) is not None
    assert len(http.received) == 1


def test_a_malformed_page_is_a_final_error_and_changes_nothing(client, http, store, caplog):
    http.script = [("status", 200, {"changes": [{"table": "passwords", "id": "x", "op": "upsert"}],
                                    "next_cursor": 5, "has_more": False, "server_time": T})]
    with pytest.raises(SyncError) as caught:
        client.pull()
    assert caught.value.code == "bad_response" and "up to date" in caught.value.message_en
    assert "passwords" in caplog.text  # what was wrong, for the administrator
    assert cursor(store) == 0



def test_a_refused_submit_is_settled_when_the_visit_is_submitted_again_and_applied(store, org, tmp_path):
    """The server refused a visit (a photo another rep had used); the rep adds a new photo and submits
    again; once the server applies that, the old refusal no longer waits in Sync problems."""
    from tests import media_files

    rep = org["rep"]
    customer = make_customer(store, rep)
    check_in = timeutil.to_text(NOW)
    visit = run(store, rep, "visit.save", customer_id=customer, check_in_at=check_in, summary="拜访").changes.entity_id
    for path, label in ((media_files.photo(tmp_path / "门头.jpg"), "storefront"),
                        (media_files.photo(tmp_path / "铭牌.jpg", size=(300, 200)), "nameplate"),
                        (media_files.wav(tmp_path / "录音.wav", 95), None)):
        sha, _ = store.blobs.add_file(path)
        run(store, rep, "attachment.add", touchpoint_id=visit, sha256=sha, filename=path.name,
            **({"label": label} if label else {}))
    first = run(store, rep, "visit.submit", id=visit)
    with store.read() as s:
        earlier = list(s.scalars(select(OutboxEntry).where(OutboxEntry.seq < first.seq).order_by(OutboxEntry.seq)))
    remote.mark_results(store, [{"seq": e.seq, "mutation_id": e.mutation_id, "status": "applied"} for e in earlier]
                        + [result(first, "rejected", error={"code": "evidence_rules", "message_zh": "照片已用过。",
                                                            "message_en": "The photo was used before."})])
    [problem] = problems(store)
    assert problem.mutation == "visit.submit" and stored(store, "touchpoints", visit)["status"] == "draft"
    again = run(store, rep, "visit.submit", id=visit)
    remote.mark_results(store, [result(again, "applied")])
    assert problems(store) == []


def test_a_sign_in_to_another_server_or_epoch_never_keeps_the_cursor():
    """sync.client._other_log: the reason a sign-in's answer gives to read everything again, or ""."""
    from desktop import reread
    from desktop.models import SyncState
    from sync.client import _other_log

    url = "http://127.0.0.1:8765"
    held = SyncState(singleton=1, cursor=40, server_url=url, server_id="a", epoch=1)
    assert _other_log(held, url, {"server_id": "a", "epoch": 1}) == ""
    assert _other_log(held, url, {"server_id": "b", "epoch": 1}) == reread.OTHER_SERVER
    assert _other_log(held, url, {"server_id": "a", "epoch": 2}) == reread.NEW_EPOCH
    assert _other_log(held, url, {}) == ""  # a server from before ids: nothing to compare
    before_ids = SyncState(singleton=1, cursor=40, server_url=url)
    assert _other_log(before_ids, url + "/", {"server_id": "a", "epoch": 1}) == ""
    assert _other_log(before_ids, "http://10.0.0.2:8765", {"server_id": "a", "epoch": 1}) == reread.OTHER_SERVER
    assert _other_log(SyncState(singleton=1, cursor=0), url, {"server_id": "a", "epoch": 1}) == ""  # nothing read yet


def test_changes_a_restored_server_lost_are_queued_again_and_a_refused_one_stays_refused(store, org):
    """out_of_order with an earlier ``expected``: the server lost what it had answered from there on."""
    from sync.client import _wire

    rep = org["rep"]
    first = make_customer(store, rep, "无锡宏达机电有限公司")
    refused = run(store, rep, "customer.update", id=first, city="无锡")
    later = run(store, rep, "customer.update", id=first, notes="老客户")
    with store.read() as s:
        seqs = list(s.scalars(select(OutboxEntry.seq).order_by(OutboxEntry.seq)))
        ids = {e.seq: e.mutation_id for e in s.scalars(select(OutboxEntry))}
    assert seqs == [1, 2, 3] and refused.seq == 2 and later.seq == 3
    error = {"code": "forbidden", "field": None, "message_zh": "无权修改。", "message_en": "Not allowed."}
    remote.mark_results(store, [{"seq": 1, "mutation_id": ids[1], "status": "applied"},
                                {"seq": 2, "mutation_id": ids[2], "status": "rejected", "error": error},
                                {"seq": 3, "mutation_id": ids[3], "status": "applied"}])
    with store.read() as s:
        [problem] = remote.open_problems(s)
    remote.resolve_problem(store, problem.id)  # the user let it go
    pending = run(store, rep, "customer.update", id=first, phone="0510-88880000")

    # The server was restored to before seq 2: it expects 2 when 4 comes.
    marked = remote.mark_results(store, [{"seq": 4, "mutation_id": pending.mutation_id, "status": "out_of_order",
                                          "expected": 2}])
    assert marked.requeued == [2, 3]
    assert [entry(store, seq).status for seq in (1, 2, 3, 4)] == ["applied", "pending", "pending", "pending"]
    assert _wire(entry(store, 2))["refused_before"] is True and "refused_before" not in _wire(entry(store, 3))
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "sync.requeued")) == 1

    again = {"code": "refused_before", "field": None, "message_zh": "之前已拒绝。", "message_en": "Refused before."}
    remote.mark_results(store, [{"seq": 2, "mutation_id": ids[2], "status": "rejected", "error": again},
                                {"seq": 3, "mutation_id": ids[3], "status": "applied"},
                                {"seq": 4, "mutation_id": pending.mutation_id, "status": "applied"}])
    assert [entry(store, seq).status for seq in (1, 2, 3, 4)] == ["applied", "rejected", "applied", "applied"]
    with store.read() as s:
        assert remote.open_problems(s) == []  # the refusal the user let go does not come back
        city = s.scalar(select(Customer.city).where(Customer.id == first))
    assert city != "无锡"  # still undone here, as the server has it
    # A gap this device cannot fill (the entries are not here) is left to the server's word.
    assert remote.mark_results(store, [{"seq": 9, "mutation_id": uuid7(), "status": "out_of_order",
                                        "expected": 7}]).requeued == []
