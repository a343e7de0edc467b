"""Bad input to every mutation: a DomainError with a stable code, the field at fault and a message in
Chinese and English - and not one row written anywhere (data, outbox, audit log, search index)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from desktop import mutations, timeutil
from desktop.errors import DomainError
from desktop.ids import uuid7
from desktop.models import CHANNELS, DECISION_ROLES, Contact, Customer, Touchpoint
from desktop.store import Store
from tests.conftest import Org, run

HAN = re.compile(r"[\u4e00-\u9fff]")
CODES = {"missing_field", "wrong_type", "too_long", "invalid_choice", "invalid_value", "unknown_field",
         "not_found", "forbidden", "conflict", "no_change", "unknown_mutation"}
HASH = "scrypt$1$1$1$salt$hash"


def now(**delta: float) -> str:
    return timeutil.to_text(timeutil.utcnow() + timedelta(**delta))


def db_state(store: Store) -> dict[str, Any]:
    """Row count and content of every table (shadow tables of the search indexes included), and the
    outbox's sequence counters."""
    state: dict[str, Any] = {}
    with store.read() as s:
        conn = s.connection()
        # Virtual tables are skipped: a contentless index cannot be scanned, its shadow tables can.
        tables = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table' "
                                      "AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name").scalars().all()
        for name in tables:
            count = conn.exec_driver_sql(f'SELECT count(*) FROM "{name}"').scalar()
            state[name] = (count, sorted(map(repr, conn.exec_driver_sql(f'SELECT * FROM "{name}"'))))
        state["max outbox seq"] = conn.exec_driver_sql("SELECT max(seq) FROM outbox").scalar()
        state["next seq"] = conn.exec_driver_sql("SELECT next_seq FROM device_state").scalar()
    assert {"customers", "contacts", "touchpoints", "users", "outbox", "audit_log",
            "touchpoint_search_data", "customer_search_data"} <= state.keys()
    return state


def check_error(err: DomainError, code: str, field: str | None, label_zh: str | None) -> None:
    """The shape every refusal shares."""
    assert err.code in CODES and err.code == code, repr(err)
    assert err.field == field, repr(err)
    assert HAN.search(err.message_zh), err.message_zh
    if label_zh is not None:
        assert label_zh in err.message_zh, (label_zh, err.message_zh)
    assert re.search(r"[A-Za-z]{2,} [A-Za-z]{2,}", err.message_en), err.message_en
    assert err.message_en != err.message_zh and str(err) == err.message_en
    assert err.message("zh_CN") == err.message_zh and err.message("en") == err.message_en
    data = json.loads(json.dumps(err.to_dict(), ensure_ascii=False))
    assert data["code"] == code and data["field"] == field and data["message_zh"] == err.message_zh


def refused(store: Store, actor: str, name: str, args: Any, code: str, field: str | None,
            label_zh: str | None = None) -> DomainError:
    """Run a mutation that must be refused; check the error and that the database is unchanged."""
    before = db_state(store)
    with pytest.raises(DomainError) as caught:
        mutations.run(store, actor, name, args)
    err = caught.value
    check_error(err, code, field, label_zh)
    spec = mutations.REGISTRY.get(name)
    if spec is not None and field is not None and code != "unknown_field":
        assert field in spec.fields  # the field at fault is one the caller can send
    assert db_state(store) == before
    return err


@dataclass
class World:
    """The org, two customers in two teams with a contact each, and one touchpoint."""

    org: Org
    customer: str  # owned by rep (team east1, 江苏)
    other_customer: str  # owned by otherrep (team east2, 浙江)
    contact: str
    other_contact: str
    touchpoint: str

    def __getitem__(self, username: str) -> str:
        return self.org[username]


@pytest.fixture
def world(store: Store, org: Org) -> World:
    # Two batches (one per owner) rather than five transactions: the fixture runs for every case.
    customer, other, contact, other_contact, touchpoint = (uuid7() for _ in range(5))
    mutations.run_many(store, org["rep"], [
        ("customer.create", {"id": customer, "name": "苏州恒通精密机械有限公司", "region": "江苏", "city": "苏州",
                             "phone": "0512-1"}),
        ("contact.add", {"id": contact, "customer_id": customer, "name": "王伟", "decision_role": "purchasing"}),
        ("touchpoint.log", {"id": touchpoint, "customer_id": customer, "channel": "call",
                            "occurred_at": now(hours=-1), "summary": "电话确认需求"})])
    mutations.run_many(store, org["otherrep"], [
        ("customer.create", {"id": other, "name": "杭州远景光电有限公司", "region": "浙江", "city": "杭州"}),
        ("contact.add", {"id": other_contact, "customer_id": other, "name": "陈静", "decision_role": "technical"})])
    return World(org, customer, other, contact, other_contact, touchpoint)


Case = Callable[[World], tuple[str, str, dict[str, Any]]]


ABSENT: Any = ...  # as a value in tp() / new_user(): leave the key out


def tp(w: World, **args: Any) -> dict[str, Any]:
    """touchpoint.log args for rep's customer, overridden by args."""
    base = {"customer_id": w.customer, "channel": "meeting", "occurred_at": now(hours=-2), "summary": "现场拜访"}
    return {k: v for k, v in {**base, **args}.items() if v is not ABSENT}


def new_user(**args: Any) -> dict[str, Any]:
    base = {"username": "newrep", "display_name": "新人", "role": "field_rep", "password_hash": HASH}
    return {k: v for k, v in {**base, **args}.items() if v is not ABSENT}


def run_case(store: Store, world: World, case: Case, code: str, field: str | None, label: str | None
             ) -> DomainError:
    actor, name, args = case(world)
    return refused(store, world[actor], name, args, code, field, label)


# ---- missing required fields: absent, None, whitespace-only

MISSING: dict[str, tuple[Case, str, str]] = {
    "customer.create name absent": (lambda w: ("rep", "customer.create", {"city": "苏州"}), "name", "客户名称"),
    "customer.create name None": (lambda w: ("rep", "customer.create", {"name": None}), "name", "客户名称"),
    "customer.create name blank": (lambda w: ("rep", "customer.create", {"name": " \t\u3000 "}), "name", "客户名称"),
    "customer.update name blank": (lambda w: ("rep", "customer.update", {"id": w.customer, "name": "  "}),
                                   "name", "客户名称"),
    "customer.update name None": (lambda w: ("rep", "customer.update", {"id": w.customer, "name": None}),
                                  "name", "客户名称"),
    "customer.update id absent": (lambda w: ("rep", "customer.update", {"phone": "1"}), "id", "客户"),
    "customer.update owner None": (lambda w: ("manager", "customer.update", {"id": w.customer, "owner_id": None}),
                                   "owner_id", "负责人"),
    "customer.update segment None": (lambda w: ("rep", "customer.update", {"id": w.customer, "segment": None}),
                                     "segment", "客户类型"),
    "contact.add name absent": (lambda w: ("rep", "contact.add", {"customer_id": w.customer,
                                                                  "decision_role": "user"}), "name", "姓名"),
    "contact.add name blank": (lambda w: ("rep", "contact.add", {"customer_id": w.customer, "name": "   ",
                                                                 "decision_role": "user"}), "name", "姓名"),
    "contact.add role None": (lambda w: ("rep", "contact.add", {"customer_id": w.customer, "name": "李娜",
                                                                "decision_role": None}),
                              "decision_role", "决策角色"),
    "contact.add customer absent": (lambda w: ("rep", "contact.add", {"name": "李娜", "decision_role": "user"}),
                                    "customer_id", "客户"),
    "contact.update name None": (lambda w: ("rep", "contact.update", {"id": w.contact, "name": None}),
                                 "name", "姓名"),
    "contact.update name blank": (lambda w: ("rep", "contact.update", {"id": w.contact, "name": " "}),
                                  "name", "姓名"),
    "contact.update role None": (lambda w: ("rep", "contact.update", {"id": w.contact, "decision_role": None}),
                                 "decision_role", "决策角色"),
    "touchpoint summary absent": (lambda w: ("rep", "touchpoint.log", tp(w, summary=ABSENT)), "summary", "沟通内容"),
    "touchpoint summary None": (lambda w: ("rep", "touchpoint.log", tp(w, summary=None)), "summary", "沟通内容"),
    "touchpoint summary blank": (lambda w: ("rep", "touchpoint.log", tp(w, summary="\n  \t")),
                                 "summary", "沟通内容"),
    "touchpoint customer None": (lambda w: ("rep", "touchpoint.log", tp(w, customer_id=None)),
                                 "customer_id", "客户"),
    "touchpoint channel absent": (lambda w: ("rep", "touchpoint.log", tp(w, channel=ABSENT)), "channel", "渠道"),
    "touchpoint occurred_at None": (lambda w: ("rep", "touchpoint.log", tp(w, occurred_at=None)),
                                    "occurred_at", "发生时间"),
    "user.create username blank": (lambda w: ("admin", "user.create", new_user(username="  ")),
                                   "username", "用户名"),
    "user.create display_name absent": (lambda w: ("admin", "user.create", new_user(display_name=ABSENT)),
                                        "display_name", "姓名"),
    "user.create password None": (lambda w: ("admin", "user.create", new_user(password_hash=None)),
                                  "password_hash", "密码"),
    "user.update display_name None": (lambda w: ("admin", "user.update", {"id": w["rep"], "display_name": None}),
                                      "display_name", "姓名"),
    "user.update role None": (lambda w: ("admin", "user.update", {"id": w["rep"], "role": None}), "role", "角色"),
    "user.set_password blank": (lambda w: ("rep", "user.set_password", {"id": w["rep"], "password_hash": " "}),
                                "password_hash", "密码"),
}


@pytest.mark.parametrize("case, field, label", MISSING.values(), ids=MISSING.keys())
def test_missing_required_field(store, world, case, field, label):
    run_case(store, world, case, "missing_field", field, label)


# ---- references to rows that do not exist

NOT_FOUND: dict[str, tuple[Case, str, str]] = {
    "touchpoint customer": (lambda w: ("rep", "touchpoint.log", tp(w, customer_id=uuid7())), "customer_id", "客户"),
    "touchpoint contact": (lambda w: ("rep", "touchpoint.log", tp(w, contact_id=uuid7())), "contact_id", "联系人"),
    "contact.add customer": (lambda w: ("rep", "contact.add", {"customer_id": uuid7(), "name": "李娜",
                                                               "decision_role": "user"}), "customer_id", "客户"),
    "customer.update": (lambda w: ("rep", "customer.update", {"id": uuid7(), "phone": "1"}), "id", "客户"),
    "contact.update": (lambda w: ("rep", "contact.update", {"id": uuid7(), "title": "经理"}), "id", "联系人"),
    "contact.remove": (lambda w: ("rep", "contact.remove", {"id": uuid7()}), "id", "联系人"),
    "customer.create owner": (lambda w: ("admin", "customer.create", {"name": "新客户", "owner_id": uuid7()}),
                              "owner_id", "负责人"),
    "customer.update owner": (lambda w: ("manager", "customer.update", {"id": w.customer, "owner_id": uuid7()}),
                              "owner_id", "负责人"),
    "user.update": (lambda w: ("admin", "user.update", {"id": uuid7(), "team": "x"}), "id", "用户"),
    "user.set_password": (lambda w: ("admin", "user.set_password", {"id": uuid7(), "password_hash": HASH}),
                          "id", "用户"),
    "user.create manager": (lambda w: ("admin", "user.create", new_user(manager_id=uuid7())), "manager_id", "上级"),
}


@pytest.mark.parametrize("case, field, label", NOT_FOUND.values(), ids=NOT_FOUND.keys())
def test_unknown_reference_is_not_found(store, world, case, field, label):
    err = run_case(store, world, case, "not_found", field, label)
    # The id stays in the details for the log; a person is never shown one.
    assert err.detail["id"] not in err.message_zh and err.detail["id"] not in err.message_en
    assert "不存在或已被删除" in err.message_zh and "does not exist or was removed" in err.message_en


def test_removed_contact_is_not_found_and_named(store, world):
    with store.read() as session:
        name = session.get(Contact, world.contact).name
    run(store, world["rep"], "contact.remove", id=world.contact)
    err = refused(store, world["rep"], "touchpoint.log", tp(world, contact_id=world.contact), "not_found",
                  "contact_id", "联系人")
    assert err.message_zh == f"联系人“{name}”已被删除。" and world.contact not in err.message_en
    refused(store, world["rep"], "contact.update", {"id": world.contact, "title": "经理"}, "not_found", "id", "联系人")


# ---- text over the limit

TOO_LONG: dict[str, tuple[Case, str, str, int, int]] = {
    "customer name": (lambda w: ("rep", "customer.create", {"name": "客" * 201}), "name", "客户名称", 200, 201),
    "customer notes": (lambda w: ("rep", "customer.update", {"id": w.customer, "notes": "x" * 4001}),
                       "notes", "备注", 4000, 4001),
    "customer phone": (lambda w: ("rep", "customer.update", {"id": w.customer, "phone": "1" * 41}),
                       "phone", "电话", 40, 41),
    "contact name": (lambda w: ("rep", "contact.add", {"customer_id": w.customer, "name": "王" * 150,
                                                       "decision_role": "user"}), "name", "姓名", 100, 150),
    "touchpoint summary": (lambda w: ("rep", "touchpoint.log", tp(w, summary="铭" * 4001)),
                           "summary", "沟通内容", 4000, 4001),
    "touchpoint with_whom": (lambda w: ("rep", "touchpoint.log", tp(w, with_whom="a" * 201)),
                             "with_whom", "沟通对象", 200, 201),
    "touchpoint next_step": (lambda w: ("rep", "touchpoint.log", tp(w, next_step="下" * 1001)),
                             "next_step", "下一步", 1000, 1001),
    "username": (lambda w: ("admin", "user.create", new_user(username="u" * 65)), "username", "用户名", 64, 65),
}


@pytest.mark.parametrize("case, field, label, max_len, actual", TOO_LONG.values(), ids=TOO_LONG.keys())
def test_too_long(store, world, case, field, label, max_len, actual):
    err = run_case(store, world, case, "too_long", field, label)
    assert err.detail["max_len"] == max_len and err.detail["actual"] == actual
    assert str(max_len) in err.message_zh and str(actual) in err.message_en


def test_the_limit_itself_is_accepted_and_surrounding_space_does_not_count(store, world):
    """The boundary: exactly max_len characters (Chinese counted as characters, not bytes) is fine."""
    run(store, world["rep"], "customer.create", name="  " + "客" * 200 + "\n")
    with store.read() as s:
        assert s.scalars(select(Customer.name).where(Customer.name.like("客%"))).one() == "客" * 200


# ---- values of the wrong type

WRONG_TYPE: dict[str, tuple[Case, str, str]] = {
    "number for text": (lambda w: ("rep", "customer.create", {"name": 12345}), "name", "客户名称"),
    "list for text": (lambda w: ("rep", "touchpoint.log", tp(w, summary=["现场", "拜访"])), "summary", "沟通内容"),
    "None for optional text": (lambda w: ("rep", "customer.update", {"id": w.customer, "phone": None}),
                               "phone", "电话"),
    "time not a time": (lambda w: ("rep", "touchpoint.log", tp(w, occurred_at="昨天下午")), "occurred_at", "发生时间"),
    "time impossible date": (lambda w: ("rep", "touchpoint.log", tp(w, next_step_due="2026-02-30T09:00:00Z")),
                             "next_step_due", "下一步期限"),
    "time without zone": (lambda w: ("rep", "touchpoint.log", tp(w, occurred_at="2026-01-05T10:00:00")),
                          "occurred_at", "发生时间"),
    "time as number": (lambda w: ("rep", "touchpoint.log", tp(w, occurred_at=1767600000)), "occurred_at", "发生时间"),
    "time out of range": (lambda w: ("rep", "touchpoint.log", tp(w, occurred_at="0001-01-01T00:00:00+08:00")),
                          "occurred_at", "发生时间"),
    "time past 9999": (lambda w: ("rep", "touchpoint.log", tp(w, next_step_due="9999-12-31T23:00:00-05:00")),
                       "next_step_due", "下一步期限"),
    "at not a time": (lambda w: ("rep", "touchpoint.log", tp(w, at="now")), "at", "操作时间"),
    "money text": (lambda w: ("rep", "customer.create", {"name": "新客户", "credit_limit": "abc"}),
                   "credit_limit", "信用额度"),
    "money float": (lambda w: ("rep", "customer.update", {"id": w.customer, "credit_limit": 12000.5}),
                    "credit_limit", "信用额度"),
    "money NaN": (lambda w: ("rep", "customer.update", {"id": w.customer, "credit_limit": "NaN"}),
                  "credit_limit", "信用额度"),
    "money infinite": (lambda w: ("rep", "customer.update", {"id": w.customer, "credit_limit": "Infinity"}),
                       "credit_limit", "信用额度"),
    "money bool": (lambda w: ("rep", "customer.update", {"id": w.customer, "credit_limit": True}),
                   "credit_limit", "信用额度"),
    "id not a uuid": (lambda w: ("rep", "touchpoint.log", tp(w, customer_id="12345")), "customer_id", "客户"),
    "id upper case": (lambda w: ("rep", "touchpoint.log", tp(w, customer_id=w.customer.upper())),
                      "customer_id", "客户"),
    "id as number": (lambda w: ("rep", "contact.update", {"id": 42, "title": "x"}), "id", "编号"),
    "new id not a uuid": (lambda w: ("rep", "customer.create", {"id": "cust-1", "name": "新客户"}), "id", "编号"),
    "bool as text": (lambda w: ("admin", "user.update", {"id": w["rep"], "active": "no"}), "active", "启用"),
}


@pytest.mark.parametrize("case, field, label", WRONG_TYPE.values(), ids=WRONG_TYPE.keys())
def test_wrong_type(store, world, case, field, label):
    run_case(store, world, case, "wrong_type", field, label)


def test_args_that_are_not_a_set_of_fields(store, world):
    for args in (["name", "x"], "name=x", None, 5):
        refused(store, world["rep"], "customer.create", args, "invalid_value", None)


def test_edge_times_are_stored_readably(store, world):
    """Times near the ends of the calendar are either refused (above) or stored as text that reads back.
    A touchpoint before 2000 is a reset clock or a slip of the keyboard: refused, saying so."""
    with pytest.raises(DomainError) as caught:
        run(store, world["rep"], "touchpoint.log", **tp(world, occurred_at="0005-03-01T08:00:00Z", summary="远古"))
    assert (caught.value.code, caught.value.field) == ("invalid_value", "occurred_at")
    assert "2000" in caught.value.message_zh and "2000" in caught.value.message_en
    run(store, world["rep"], "touchpoint.log", **tp(world, occurred_at="2000-01-01T00:00:00Z", summary="远古"))
    run(store, world["rep"], "touchpoint.log", **tp(world, occurred_at="9999-12-31T23:50:00Z",
                                                     at="9999-12-31T23:55:00Z", summary="末日"))
    with store.read() as s:
        stored = dict(s.connection().exec_driver_sql("SELECT summary, occurred_at FROM touchpoints").fetchall())
        assert stored["远古"] == "2000-01-01T00:00:00.000000Z"  # fixed width: sorts as text
        assert sorted(stored.values()) == sorted(stored.values(), key=timeutil.from_text)
        years = {t.summary: t.occurred_at.year for t in s.scalars(select(Touchpoint))}
    assert years["远古"] == 2000 and years["末日"] == 9999


# ---- a value outside the allowed choices

CHOICE: dict[str, tuple[Case, str, str, tuple[str, ...] | None]] = {
    "channel fax": (lambda w: ("rep", "touchpoint.log", tp(w, channel="fax")), "channel", "渠道", CHANNELS),
    "channel upper": (lambda w: ("rep", "touchpoint.log", tp(w, channel="VISIT")), "channel", "渠道", CHANNELS),
    "channel number": (lambda w: ("rep", "touchpoint.log", tp(w, channel=1)), "channel", "渠道", CHANNELS),
    "reaction": (lambda w: ("rep", "touchpoint.log", tp(w, reaction="happy")), "reaction", "客户反应", None),
    "decision_role add": (lambda w: ("rep", "contact.add", {"customer_id": w.customer, "name": "李娜",
                                                            "decision_role": "boss"}),
                          "decision_role", "决策角色", DECISION_ROLES),
    "decision_role update": (lambda w: ("rep", "contact.update", {"id": w.contact, "decision_role": " "}),
                             "decision_role", "决策角色", DECISION_ROLES),
    "segment": (lambda w: ("rep", "customer.create", {"name": "新客户", "segment": "vip"}), "segment", "客户类型", None),
    "status": (lambda w: ("rep", "customer.update", {"id": w.customer, "status": "closed"}), "status", "状态", None),
    "role": (lambda w: ("admin", "user.create", new_user(role="superuser")), "role", "角色", None),
}


@pytest.mark.parametrize("case, field, label, choices", CHOICE.values(), ids=CHOICE.keys())
def test_invalid_choice(store, world, case, field, label, choices):
    err = run_case(store, world, case, "invalid_choice", field, label)
    if choices is not None:
        assert err.detail["choices"] == list(choices)
        assert all(c in err.message_en for c in choices)


# ---- field names the mutation does not take

UNKNOWN_FIELD: dict[str, Case] = {
    "touchpoint colour": lambda w: ("rep", "touchpoint.log", tp(w, colour="red")),
    "customer typo": lambda w: ("rep", "contact.add", {"customer": w.customer, "name": "李娜",
                                                       "decision_role": "user"}),
    "customer version": lambda w: ("rep", "customer.update", {"id": w.customer, "version": 9}),
    "customer created_at": lambda w: ("rep", "customer.update", {"id": w.customer, "created_at": now()}),
    "touchpoint user_id": lambda w: ("rep", "touchpoint.log", tp(w, user_id=w["manager"])),
    "user is_admin": lambda w: ("admin", "user.create", new_user(is_admin=True)),
    "password on update": lambda w: ("admin", "user.update", {"id": w["rep"], "password_hash": HASH}),
}


@pytest.mark.parametrize("case", UNKNOWN_FIELD.values(), ids=UNKNOWN_FIELD.keys())
def test_unknown_field(store, world, case):
    actor, name, args = case(world)
    extra = next(k for k in args if k not in mutations.REGISTRY[name].fields)
    err = refused(store, world[actor], name, args, "unknown_field", extra)
    assert extra in err.message_zh and extra in err.message_en


# ---- roles that may not do it

FORBIDDEN: dict[str, Case] = {
    "finance logs a touchpoint": lambda w: ("finance", "touchpoint.log", tp(w)),
    "finance director logs a touchpoint": lambda w: ("cfo", "touchpoint.log", tp(w)),
    "rep logs for another team's customer": lambda w: ("otherrep", "touchpoint.log", tp(w)),
    "service engineer outside territory": lambda w: ("service", "touchpoint.log", tp(w, customer_id=w.other_customer)),
    "rep edits another team's customer": lambda w: ("otherrep", "customer.update", {"id": w.customer, "phone": "9"}),
    "rep edits a teammate's customer": lambda w: ("rep2", "customer.update", {"id": w.customer, "phone": "9"}),
    "manager edits another team's customer": lambda w: ("othermanager", "customer.update",
                                                        {"id": w.customer, "phone": "9"}),
    "rep adds a contact to another team's customer": lambda w: ("otherrep", "contact.add", {
        "customer_id": w.customer, "name": "李娜", "decision_role": "user"}),
    "rep edits another team's contact": lambda w: ("rep", "contact.update", {"id": w.other_contact, "title": "x"}),
    "rep removes another team's contact": lambda w: ("rep", "contact.remove", {"id": w.other_contact}),
    "rep creates for another team": lambda w: ("rep", "customer.create", {"name": "新客户", "owner_id": w["otherrep"]}),
    "rep hands own customer away": lambda w: ("rep", "customer.update", {"id": w.customer, "owner_id": w["rep2"]}),
    "manager assigns to another team": lambda w: ("manager", "customer.update",
                                                  {"id": w.customer, "owner_id": w["otherrep"]}),
    "finance creates a customer": lambda w: ("finance", "customer.create", {"name": "新客户"}),
    "manager creates a user": lambda w: ("manager", "user.create", new_user()),
    "rep changes a user": lambda w: ("rep", "user.update", {"id": w["rep"], "role": "admin"}),
    "rep changes another's password": lambda w: ("rep", "user.set_password",
                                                 {"id": w["rep2"], "password_hash": HASH}),
}


@pytest.mark.parametrize("case", FORBIDDEN.values(), ids=FORBIDDEN.keys())
def test_forbidden(store, world, case):
    err = run_case(store, world, case, "forbidden", None, None)
    assert "无权" in err.message_zh and "may not" in err.message_en


def test_the_allowed_counterparts_of_forbidden_cases_succeed(store, world):
    """Not vacuous: the same calls by the right people go through."""
    run(store, world["service"], "touchpoint.log", **tp(world))  # in the engineer's territory
    run(store, world["manager"], "customer.update", id=world.customer, owner_id=world["rep2"])
    run(store, world["othermanager"], "contact.update", id=world.other_contact, title="总工")
    run(store, world["rep2"], "user.set_password", id=world["rep2"], password_hash=HASH)
    run(store, world["admin"], "user.create", **new_user())


# ---- conflicts with what exists

def test_duplicate_customer_name(store, world):
    refused(store, world["rep2"], "customer.create", {"name": "苏州恒通精密机械有限公司"}, "conflict", "name", "客户名称")
    refused(store, world["rep2"], "customer.create", {"name": "  苏州恒通精密机械有限公司 "}, "conflict", "name",
            "客户名称")
    refused(store, world["otherrep"], "customer.update", {"id": world.other_customer, "name": "苏州恒通精密机械有限公司"},
            "conflict", "name", "客户名称")


def test_duplicate_customer_name_is_found_whatever_the_width_spacing_or_invisible_characters(store, world):
    run(store, world["rep"], "customer.create", name="ABB（中国）有限公司")
    for variant in ("ABB(中国)有限公司", "ＡＢＢ（中国）有限公司", "abb (中国) 有限公司", "\ufeffABB（中国）\u200b有限公司",
                    "ABB\u3000（中国）有限公司"):
        err = refused(store, world["rep2"], "customer.create", {"name": variant}, "conflict", "name", "客户名称")
        assert "ABB（中国）有限公司" in err.message_zh and "ABB（中国）有限公司" in err.message_en  # names the one that exists
    refused(store, world["rep"], "customer.update", {"id": world.customer, "name": "ａｂｂ(中国)有限公司"},
            "conflict", "name", "客户名称")


def test_a_customer_name_is_stored_without_invisible_characters_and_doubled_spaces(store, world):
    customer = run(store, world["rep"], "customer.create", name="\ufeff上海  申联\u200b 贸易（集团）").changes.entity_id
    with store.read() as s:
        assert s.scalars(select(Customer.name).where(Customer.id == customer)).one() == "上海 申联 贸易（集团）"


def test_duplicate_username(store, world):
    refused(store, world["admin"], "user.create", new_user(username="rep"), "conflict", "username", "用户名")
    refused(store, world["admin"], "user.create", new_user(username="REP"), "conflict", "username", "用户名")


REPLAYED: dict[str, tuple[Case, str]] = {
    "customer": (lambda w: ("rep", "customer.create", {"id": w.customer, "name": "另一个客户"}), "客户"),
    "contact": (lambda w: ("rep", "contact.add", {"id": w.contact, "customer_id": w.customer, "name": "李娜",
                                                  "decision_role": "user"}), "联系人"),
    "touchpoint": (lambda w: ("rep", "touchpoint.log", tp(w, id=w.touchpoint)), "触点记录"),
    "user": (lambda w: ("admin", "user.create", new_user(id=w["rep2"])), "用户"),
}


@pytest.mark.parametrize("case, label", REPLAYED.values(), ids=REPLAYED.keys())
def test_replayed_id_is_a_conflict(store, world, case, label):
    run_case(store, world, case, "conflict", "id", label)


def test_replaying_a_stored_mutation_makes_no_twin(store, world):
    """The args of an outbox entry, sent again verbatim (a retried call), are refused."""
    with store.read() as s:
        stored = s.connection().exec_driver_sql(
            "SELECT name, args FROM outbox WHERE name = 'touchpoint.log'").one()
    refused(store, world["rep"], stored[0], json.loads(stored[1]), "conflict", "id", "触点记录")


# ---- values that are well-formed but not acceptable

INVALID: dict[str, tuple[Case, str | None, str | None]] = {
    "touchpoint in the future": (lambda w: ("rep", "touchpoint.log", tp(w, occurred_at=now(days=1))),
                                 "occurred_at", "发生时间"),
    "next step due before it happened": (lambda w: ("rep", "touchpoint.log", tp(
        w, occurred_at=now(hours=-1), next_step="寄样品", next_step_due=now(hours=-3))), "next_step_due", "下一步期限"),
    "contact of another customer": (lambda w: ("manager", "touchpoint.log", tp(w, contact_id=w.other_contact)),
                                    "contact_id", "联系人"),
    "email without @": (lambda w: ("rep", "contact.add", {"customer_id": w.customer, "name": "李娜",
                                                          "decision_role": "user", "email": "lina.example.com"}),
                        "email", "邮箱"),
    "email without name": (lambda w: ("rep", "contact.update", {"id": w.contact, "email": "@example.com"}),
                           "email", "邮箱"),
    "email without domain": (lambda w: ("rep", "contact.update", {"id": w.contact, "email": "wang@"}),
                             "email", "邮箱"),
    "negative credit limit": (lambda w: ("rep", "customer.update", {"id": w.customer, "credit_limit": "-1"}),
                              "credit_limit", "信用额度"),
    "credit limit too large to store": (lambda w: ("rep", "customer.update", {"id": w.customer,
                                                                              "credit_limit": "1e30"}),
                                        "credit_limit", "信用额度"),
    "owner whose role cannot own": (lambda w: ("admin", "customer.create", {"name": "新客户", "owner_id": w["finance"]}),
                                    "owner_id", "负责人"),
    "username with spaces": (lambda w: ("admin", "user.create", new_user(username="new rep")), "username", "用户名"),
    "password not hashed": (lambda w: ("admin", "user.create", new_user(password_hash="s3cret-pass")),
                            "password_hash", "密码"),
    "password not hashed on change": (lambda w: ("rep", "user.set_password", {"id": w["rep"],
                                                                              "password_hash": "hunter2"}),
                                      "password_hash", "密码"),
    "NUL in a name": (lambda w: ("rep", "customer.update", {"id": w.customer, "name": "A\x00B"}),
                      "name", "客户名称"),
    "escape character in a summary": (lambda w: ("manager", "touchpoint.log", tp(w, summary="拜访\x1b[31m")),
                                      "summary", "沟通内容"),
    "lone surrogate in a name": (lambda w: ("rep", "customer.create", {"name": "苏州\ud800恒通"}), "name", "客户名称"),
    "lone low surrogate in a contact": (lambda w: ("rep", "contact.update", {"id": w.contact, "title": "\udc00总"}),
                                        "title", "职务"),
    "noncharacter in notes": (lambda w: ("rep", "customer.update", {"id": w.customer, "notes": "备注\uffff"}),
                              "notes", "备注"),
    "plane-1 noncharacter in a summary": (lambda w: ("rep", "touchpoint.log", tp(w, summary="拜访\U0001fffe")),
                                          "summary", "沟通内容"),
    "noncharacter in a user's name": (lambda w: ("admin", "user.create", new_user(display_name="新\ufdd0人")),
                                      "display_name", "姓名"),
    "lone surrogate inside policy rules": (lambda w: ("admin", "policy.set", {"rules": [{"key": "\ud800"}]}),
                                           "rules", "规则"),
}


@pytest.mark.parametrize("case, field, label", INVALID.values(), ids=INVALID.keys())
def test_invalid_value(store, world, case, field, label):
    run_case(store, world, case, "invalid_value", field, label)


def rate(**args: Any) -> dict[str, Any]:
    return {"pair": "USD/CNY", "rate": "7.1186", "rate_date": "2026-12-04", "source": "manual", **args}


def test_a_rate_has_at_most_four_decimals_whichever_way_it_arrives(store, world):
    err = refused(store, world["finance"], "rate.record", rate(rate="7.11865"), "invalid_value", "rate", "汇率")
    assert "4 位小数" in err.message_zh and "4 decimal places" in err.message_en
    refused(store, world["finance"], "rate.record", rate(rate="7.000001"), "invalid_value", "rate", "汇率")
    run(store, world["finance"], "rate.record", **rate(rate="7.11860000", at="2026-12-04T02:00:00Z"))  # trailing zeros do not count


def test_a_rate_cannot_be_dated_after_today_in_china(store, world):
    # 16:30 UTC on the 4th is 00:30 on the 5th in Beijing: the 5th is today there, the 6th is not yet.
    late = "2026-12-04T16:30:00Z"
    err = refused(store, world["finance"], "rate.record", rate(rate_date="2026-12-06", at=late), "invalid_value",
                  "rate_date", "汇率日期")
    assert "2026-12-05" in err.message_zh and "2026-12-05" in err.message_en  # says which day today is there
    early = "2026-12-04T15:30:00Z"  # 23:30 on the 4th in Beijing: the 5th is tomorrow
    refused(store, world["finance"], "rate.record", rate(rate_date="2026-12-05", at=early), "invalid_value",
            "rate_date", "汇率日期")
    run(store, world["finance"], "rate.record", **rate(rate_date="2026-12-05", at=late))


def test_a_touchpoint_within_the_clock_slack_is_accepted(store, world):
    run(store, world["rep"], "touchpoint.log", **tp(world, occurred_at=now(minutes=5)))


NO_CHANGE: dict[str, Case] = {
    "customer same phone": lambda w: ("rep", "customer.update", {"id": w.customer, "phone": "0512-1"}),
    "customer nothing given": lambda w: ("rep", "customer.update", {"id": w.customer}),
    "customer same name padded": lambda w: ("rep", "customer.update", {"id": w.customer,
                                                                       "name": " 苏州恒通精密机械有限公司 "}),
    "customer same owner": lambda w: ("rep", "customer.update", {"id": w.customer, "owner_id": w["rep"]}),
    "contact same name": lambda w: ("rep", "contact.update", {"id": w.contact, "name": "王伟"}),
    "user same team": lambda w: ("admin", "user.update", {"id": w["rep"], "team": "east1"}),
}


@pytest.mark.parametrize("case", NO_CHANGE.values(), ids=NO_CHANGE.keys())
def test_an_update_that_changes_nothing(store, world, case):
    run_case(store, world, case, "no_change", None, None)


# ---- the request as a whole

def test_unknown_mutation(store, world):
    for name in ("customer.delete", "touchpoint.edit", "", "CUSTOMER.CREATE"):
        err = refused(store, world["rep"], name, {"id": world.customer}, "unknown_mutation", None)
        assert repr(name) in err.message_en and name in err.message_zh


def test_a_disabled_user_can_do_nothing(store, world):
    run(store, world["admin"], "user.update", id=world["rep"], active=False)
    err = refused(store, world["rep"], "touchpoint.log", tp(world), "forbidden", None)
    assert "停用" in err.message_zh
    refused(store, world["rep"], "user.set_password", {"id": world["rep"], "password_hash": HASH}, "forbidden", None)
    refused(store, world["manager"], "customer.create", {"name": "新客户", "owner_id": world["rep"]},
            "not_found", "owner_id", "负责人")
    run(store, world["admin"], "user.update", id=world["rep"], active=True)
    run(store, world["rep"], "touchpoint.log", **tp(world))  # the refusal was the flag, nothing else


def test_an_unknown_actor_can_do_nothing(store, world):
    refused(store, uuid7(), "touchpoint.log", tp(world), "forbidden", None)


def test_an_admin_cannot_disable_themselves(store, world):
    refused(store, world["admin"], "user.update", {"id": world["admin"], "active": False}, "invalid_value", "active")


def test_a_batch_names_the_call_that_failed_and_writes_nothing(store, world):
    before = db_state(store)
    with pytest.raises(DomainError) as caught:
        mutations.run_many(store, world["rep"], [("touchpoint.log", tp(world)),
                                                 ("touchpoint.log", tp(world, channel="fax"))])
    assert caught.value.code == "invalid_choice" and caught.value.detail["index"] == 1
    assert json.loads(json.dumps(caught.value.to_dict()))["detail"]["index"] == 1
    assert db_state(store) == before


# ---- the error itself

def test_message_picks_the_language():
    err = DomainError("conflict", "用户名“rep”已被使用。", "The username 'rep' is taken.", "username")
    assert err.message("zh_CN") == err.message("zh") == err.message("ZH-tw") == "用户名“rep”已被使用。"
    assert err.message("en") == err.message("en_US") == err.message("fr") == "The username 'rep' is taken."
    data = err.to_dict()
    assert json.loads(json.dumps(data, ensure_ascii=False)) == {
        "code": "conflict", "field": "username", "message_zh": "用户名“rep”已被使用。",
        "message_en": "The username 'rep' is taken.", "detail": {}}
