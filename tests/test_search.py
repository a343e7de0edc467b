"""Chinese-aware full-text search over touchpoints and customers (desktop.search, desktop.search_text)."""

from __future__ import annotations

import re
import sqlite3
import string
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError

from desktop import derived, search, snapshot, timeutil
from desktop.demo.generator import CUSTOMER_COLUMNS, TOUCHPOINT_COLUMNS
from desktop.ids import uuid7
from desktop.search_text import index_text, match_expression
from desktop.store import Store
from tests.conftest import Org, make_customer, run

NAMEPLATE = "现场拜访王工，拍摄设备铭牌照片"


def ago(**delta: float) -> str:
    return timeutil.to_text(timeutil.utcnow() - timedelta(**delta))


def log(store: Store, org: Org, customer: str, summary: str, **extra: Any) -> str:
    extra.setdefault("occurred_at", ago(hours=1))
    return run(store, org["rep"], "touchpoint.log", customer_id=customer, channel="meeting", summary=summary,
               **extra).changes.entity_id


def found(store: Store, query: str, **kw: Any) -> list[str]:
    with store.read() as s:
        return [t.id for t in search.search_touchpoints(s, query, **kw)]


def customers_found(store: Store, query: str) -> list[str]:
    with store.read() as s:
        return [c.id for c in search.search_customers(s, query)]


@pytest.fixture
def customer(store: Store, org: Org) -> str:
    return make_customer(store, org["rep"], "无锡华创电子科技有限公司", city="无锡")


@pytest.fixture
def trail(store: Store, org: Org, customer: str) -> dict[str, str]:
    """Three touchpoints, by what they are about."""
    return {
        "nameplate": log(store, org, customer, NAMEPLATE),
        "laser": log(store, org, customer, "Laser cutter demo，客户很感兴趣"),
        "delivery": log(store, org, customer, "电话沟通交期，设备下月到货"),
    }


# ---- what a query finds

@pytest.mark.parametrize("query", ["铭牌", "铭牌照", "设备铭牌照片", "拍摄设备", "王工", "铭", "片"])
def test_substrings_of_any_length_find_the_touchpoint(store, trail, query):
    assert found(store, query) == [trail["nameplate"]]


@pytest.mark.parametrize("query", ["设照", "铭照", "牌铭", "照片铭牌", "铭牌照片了", "镜"])
def test_characters_that_are_not_contiguous_in_the_text_do_not_match(store, trail, query):
    assert found(store, query) == []


def test_a_word_in_two_touchpoints_finds_both(store, trail):
    assert found(store, "设备") == [trail["delivery"], trail["nameplate"]]
    assert found(store, "设") == [trail["delivery"], trail["nameplate"]]


@pytest.mark.parametrize("query", ["aser", "Laser", "LASER", "lAsEr", "cutter demo", "r", "L"])
def test_latin_substrings_match_case_insensitively(store, trail, query):
    assert found(store, query) == [trail["laser"]]


def test_latin_non_substrings_do_not_match(store, trail):
    assert found(store, "lsr") == found(store, "lasers") == found(store, "cutterdemo") == []


def test_every_term_must_match(store, trail):
    assert found(store, "设备 铭牌") == [trail["nameplate"]]
    assert found(store, "  交期\t设备 ") == [trail["delivery"]]
    assert found(store, "设备 laser") == []
    assert found(store, "铭牌 交期") == []


@pytest.mark.parametrize("query", ["", "   ", "\t\n", "，。！", "-", '"', "*", "()", "… —"])
def test_empty_and_punctuation_only_queries_find_nothing(store, trail, query):
    assert match_expression(query) is None
    assert found(store, query) == []
    with store.read() as s:
        assert search.search_customers(s, query) == []


@pytest.mark.parametrize("query", [
    '"', '""', '"铭牌', '铭牌"', "'", "*", "铭*", "**", "AND", "OR", "NOT", "铭牌 AND", "AND 铭牌", "NOT 铭牌",
    "(", ")", "(铭牌", "-", "-铭牌", "铭牌-照片", "NEAR(铭牌 照片)", "^铭牌", "body:铭牌", "{body}:铭牌", "+", "\\",
    "%", "_", "a:b", "铭牌 -交期", 'x" OR "1', "\x00",
])
def test_fts_syntax_in_a_query_is_taken_literally(store, trail, query):
    hits = found(store, query)
    with store.read() as s:
        search.search_customers(s, query)
    assert set(hits) <= set(trail.values())
    if "铭" not in query:
        assert hits == []  # no operator widened the search


@pytest.mark.parametrize("query", ['"铭牌"', "“铭牌”", "「铭牌」", "(铭牌)", "铭牌，", "铭牌。", "-铭牌", "铭牌*"])
def test_punctuation_around_a_term_does_not_hide_a_match(store, trail, query):
    assert found(store, query) == [trail["nameplate"]]


def test_newest_first_and_limited(store, org, customer):
    # Recorded in this order, although they happened in the opposite order: the order is by recording.
    ids = [log(store, org, customer, f"样品测试第{i}轮", occurred_at=ago(hours=10 - i)) for i in range(6)]
    ids.reverse()
    assert found(store, "样品测试") == ids
    assert found(store, "样品测试", limit=3) == ids[:3]
    assert found(store, "样品", limit=1) == ids[:1]
    assert found(store, "第3轮") == [ids[2]]


@pytest.mark.parametrize("field, text, query", [
    ("with_whom", "赵总工程师", "总工"),
    ("reaction_note", "对价格非常敏感", "价格"),
    ("next_step", "寄送检测报告", "检测报告"),
])
def test_other_fields_are_searched(store, org, customer, field, text, query):
    tid = log(store, org, customer, "拜访客户", **{field: text})
    assert found(store, query) == [tid]
    assert found(store, text) == [tid]
    assert found(store, "拜访 " + query) == [tid]


def test_the_contact_named_on_a_touchpoint_is_searchable(store, org, customer):
    contact = run(store, org["rep"], "contact.add", customer_id=customer, name="欧阳明",
                  decision_role="technical").changes.entity_id
    tid = log(store, org, customer, "技术交流", contact_id=contact)  # with_whom defaults to the contact's name
    assert found(store, "欧阳") == [tid]


def test_a_match_does_not_span_two_fields(store, org, customer):
    # In the index the fields follow each other: summary, with_whom, reaction_note, next_step.
    tid = log(store, org, customer, "甲乙", with_whom="丙丁", reaction_note="戊己", next_step="庚辛")
    for inside in ("甲乙", "丙丁", "戊己", "庚辛", "甲", "乙", "丙", "丁", "戊", "己", "庚", "辛"):
        assert found(store, inside) == [tid], inside
    for across in ("乙丙", "丁戊", "己庚", "甲乙丙", "乙丙丁"):
        assert found(store, across) == [], across
    assert found(store, "乙 丙") == [tid]  # as two terms, both are there


# ---- customers

@pytest.fixture
def two_customers(store, org) -> tuple[str, str]:
    suzhou = make_customer(store, org["rep"], "苏州恒通精密机械有限公司", address="工业园区88号", industry="机械制造",
                           short_name="恒通精密", notes="老客户，年采购额稳定")
    hangzhou = make_customer(store, org["rep"], "杭州远景光电科技有限公司", region="浙江", city="杭州",
                             industry="电子")
    return suzhou, hangzhou


def test_customers_by_name_part_city_and_other_fields(store, two_customers):
    suzhou, hangzhou = two_customers
    assert customers_found(store, "恒通精密") == [suzhou]
    assert customers_found(store, "远景光电") == [hangzhou]
    assert customers_found(store, "杭州") == [hangzhou]
    assert customers_found(store, "苏州") == [suzhou]
    assert customers_found(store, "江苏") == [suzhou]
    assert customers_found(store, "工业园区") == customers_found(store, "机械制造") == [suzhou]
    assert customers_found(store, "采购额") == [suzhou]
    assert customers_found(store, "有限公司") == [hangzhou, suzhou]
    assert customers_found(store, "有限公司 浙江") == [hangzhou]
    assert customers_found(store, "恒通光电") == []


def test_renaming_a_customer_reindexes_it(store, org, two_customers):
    suzhou, _ = two_customers
    run(store, org["rep"], "customer.update", id=suzhou, name="苏州博越自动化设备有限公司", short_name="博越")
    assert customers_found(store, "恒通") == []
    assert customers_found(store, "博越自动化") == [suzhou]
    assert customers_found(store, "苏州") == [suzhou]  # unchanged fields stay indexed
    run(store, org["rep"], "customer.update", id=suzhou, city="无锡")
    assert customers_found(store, "博越") == customers_found(store, "无锡") == [suzhou]
    assert customers_found(store, "苏州 工业园区") == [suzhou]  # still in the name, and the address


# ---- rows loaded in bulk (a server snapshot, the demo generator) are searched like any other

TEXTS = [
    (NAMEPLATE, "王工", "很满意", "下周回访"),
    ("Laser cutter demo", "Mr. Smith", "", "寄送报价单"),
    ("电话沟通交期", "李经理", "价格敏感", ""),
]
QUERIES = ["铭牌", "铭", "设备铭牌照片", "设照", "aser", "SMITH", "王工", "满意", "回访", "交期 价格", "片王",
           "报价", "单", "经理", "价", "ser 报价", "Laser cutter demo"]


def naive(query: str, fields: tuple[str, ...]) -> bool:
    """The oracle: every term (without surrounding punctuation) is inside one field, ignoring case."""
    terms = [t.strip(string.punctuation + "，。") for t in query.split()]
    return all(any(t.lower() in f.lower() for f in fields) for t in terms if t)


def touchpoint_row(customer: str, user: str, texts: tuple[str, str, str, str]) -> tuple[Any, ...]:
    summary, with_whom, reaction_note, next_step = texts
    at = ago(days=1)
    values = {"id": uuid7(), "customer_id": customer, "user_id": user, "contact_id": None, "channel": "visit",
              "occurred_at": at, "with_whom": with_whom, "summary": summary, "reaction": "neutral",
              "reaction_note": reaction_note, "next_step": next_step, "next_step_due": None, "status": "submitted",
              "created_at": at, "updated_at": at, "version": 1}
    return tuple(values[c] for c in TOUCHPOINT_COLUMNS)


def customer_row(name: str, owner: str, city: str) -> tuple[Any, ...]:
    at = ago(days=30)
    values = {"id": uuid7(), "name": name, "short_name": "", "owner_id": owner, "region": "江苏", "city": city,
              "address": "", "industry": "", "segment": "standard", "status": "active", "phone": "",
              "credit_limit": None, "notes": "", "created_at": at, "updated_at": at, "version": 1,
              **derived.customer_columns(name, "")}
    return tuple(values[c] for c in CUSTOMER_COLUMNS)


def trigger_sql(store: Store, table: str) -> str | None:
    with store.read() as s:
        return s.connection().exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?",
            (search.INDEXES[table].insert_trigger,)).scalar()


def tokens(store: Store, table: str) -> dict[int, list[str]]:
    """The index's tokens per row, in position order (through fts5vocab, on a separate connection)."""
    with closing(sqlite3.connect(store.path)) as conn:
        conn.execute(f"CREATE VIRTUAL TABLE temp.v USING fts5vocab(main, {search.INDEXES[table].index}, 'instance')")
        out: dict[int, list[str]] = {}
        for term, doc in conn.execute("SELECT term, doc FROM temp.v ORDER BY doc, offset"):
            out.setdefault(doc, []).append(term)
        return out


def rids(store: Store, table: str, ids: list[str]) -> list[int]:
    with store.read() as s:
        by_id = dict(s.connection().exec_driver_sql(f"SELECT id, rid FROM {table}").fetchall())
    return [by_id[i] for i in ids]


def test_bulk_loaded_rows_are_found_exactly_like_rows_written_by_mutations(store, org):
    by_mutation = make_customer(store, org["rep"], "甲公司")
    mutated = [log(store, org, by_mutation, s, with_whom=w, reaction_note=r, next_step=n, occurred_at=ago(days=1))
               for s, w, r, n in TEXTS]
    triggers = {t: trigger_sql(store, t) for t in search.INDEXES}
    assert all(triggers.values())

    # Two customers, loaded as a snapshot: one without precomputed search texts, one with them.
    plain_customer = customer_row("乙方昆山激光设备有限公司", org["rep"], "昆山")
    ahead_customer = customer_row("丙方常熟铭牌制造有限公司", org["rep"], "常熟")
    plain_rows = [touchpoint_row(plain_customer[0], org["rep"], t) for t in TEXTS]
    ahead_rows = [touchpoint_row(ahead_customer[0], org["rep"], t) for t in TEXTS]
    with store.writer("snapshot") as s:
        snapshot.insert_rows(s, "customers", CUSTOMER_COLUMNS, [plain_customer])
        snapshot.insert_rows(s, "customers", CUSTOMER_COLUMNS, [ahead_customer],
                             [search.index_row("customers", CUSTOMER_COLUMNS, ahead_customer)])
        snapshot.insert_rows(s, "touchpoints", TOUCHPOINT_COLUMNS, plain_rows)
        snapshot.insert_rows(s, "touchpoints", TOUCHPOINT_COLUMNS, ahead_rows,
                             [search.index_row("touchpoints", TOUCHPOINT_COLUMNS, r) for r in ahead_rows])
    groups = {"mutation": mutated, "bulk": [r[0] for r in plain_rows], "bulk ahead": [r[0] for r in ahead_rows]}

    for query in QUERIES:
        hits = set(found(store, query))
        expected = [i for i, fields in enumerate(TEXTS) if naive(query, fields)]
        for name, ids in groups.items():
            assert [i for i, tid in enumerate(ids) if tid in hits] == expected, (query, name)
    assert any(naive(q, f) for q in QUERIES for f in TEXTS) and not all(naive(q, f) for q in QUERIES for f in TEXTS)

    # Token for token the same index entries, whichever way the row came in.
    index = tokens(store, "touchpoints")
    for n in range(len(TEXTS)):
        mine = [index[rids(store, "touchpoints", ids)[n]] for ids in groups.values()]
        assert mine[0] and mine[0] == mine[1] == mine[2]

    # Bulk-loaded customers are found, and their index entries can be replaced by a later edit.
    assert customers_found(store, "激光设备") == [plain_customer[0]]
    assert customers_found(store, "铭牌") == [ahead_customer[0]]
    for row, new_name in ((plain_customer, "乙方昆山精工有限公司"), (ahead_customer, "丙方常熟精工有限公司")):
        run(store, org["rep"], "customer.update", id=row[0], name=new_name)
    assert customers_found(store, "激光") == customers_found(store, "铭牌") == []
    assert set(customers_found(store, "精工")) == {plain_customer[0], ahead_customer[0]}

    # The insert triggers are back, unchanged, and index what mutations write next.
    assert {t: trigger_sql(store, t) for t in search.INDEXES} == triggers
    later = log(store, org, plain_customer[0], "补拍设备铭牌照片")
    assert found(store, "补拍")[0] == later and later in found(store, "铭牌照")
    fresh = make_customer(store, org["rep"], "丁方太仓新材料有限公司")
    assert customers_found(store, "太仓新材料") == [fresh]


def test_a_failed_bulk_load_leaves_the_trigger_and_the_index_as_they_were(store, org, customer):
    before = trigger_sql(store, "touchpoints")
    rows = [touchpoint_row(customer, org["rep"], ("批量导入铭牌", "", "", ""))] * 2  # the same id twice
    with pytest.raises(IntegrityError, match="UNIQUE"):
        with store.writer("snapshot") as s:
            snapshot.insert_rows(s, "touchpoints", TOUCHPOINT_COLUMNS, rows)
    assert trigger_sql(store, "touchpoints") == before
    assert found(store, "批量导入") == []
    tid = log(store, org, customer, "批量导入失败后补录")
    assert found(store, "批量导入") == [tid]


def test_rebuild_gives_the_same_results(store, org, trail, two_customers):
    queries = ["铭牌", "设备", "aser", "交期 设备", "苏州", "有限公司", "杭州", "铭"]

    def results() -> list[tuple[list[str], list[str]]]:
        return [(found(store, q), customers_found(store, q)) for q in queries]

    before = results()
    assert all(tps or cs for tps, cs in before)
    with store.writer("migration") as s:
        for spec in search.INDEXES.values():
            s.connection().exec_driver_sql(f"INSERT INTO {spec.index}({spec.index}) VALUES ('delete-all')")
    assert all(r == ([], []) for r in results())  # the index really was emptied...
    with store.writer("migration") as s:
        search.rebuild(s)
    assert results() == before  # ...and rebuilt from the rows
    with store.writer("migration") as s:
        search.rebuild(s)  # twice is the same as once
    assert results() == before
    run(store, org["rep"], "customer.update", id=two_customers[0], name="苏州新名字有限公司")
    # the edit's trigger removes exactly what the rebuild indexed
    assert customers_found(store, "精密机械") == [] and customers_found(store, "新名字") == [two_customers[0]]


# ---- the query plan

@contextmanager
def statements(store: Store) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        seen.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", record)


def plans(store: Store, executed: list[tuple[str, Any]], table: str) -> list[str]:
    details = []
    with store.read() as s:
        for statement, parameters in executed:
            if re.search(rf"\b{table}\b", statement):
                rows = s.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()
                details += [row[-1] for row in rows]
    return details


def test_touchpoint_search_is_answered_from_the_index(store, trail):
    with statements(store) as executed, store.read() as s:
        assert [t.id for t in search.search_touchpoints(s, "铭牌")] == [trail["nameplate"]]
    details = plans(store, executed, "touchpoints") + plans(store, executed, "touchpoint_search")
    assert any(re.match(r"SCAN touchpoint_search VIRTUAL TABLE INDEX \d+:M", d) for d in details), details
    assert not any(re.match(r"SCAN touchpoints(\s|$)", d) for d in details), details
    assert any(d.startswith("SEARCH touchpoints USING INTEGER PRIMARY KEY") for d in details), details


def test_customer_search_is_answered_from_the_index(store, two_customers):
    with statements(store) as executed, store.read() as s:
        assert [c.id for c in search.search_customers(s, "恒通")] == [two_customers[0]]
    details = plans(store, executed, "customer_search")
    assert any(re.match(r"SCAN customer_search VIRTUAL TABLE INDEX \d+:M", d) for d in details), details
    assert not any(re.match(r"SCAN customers(\s|$)", d) for d in details), details
    assert any(d.startswith("SEARCH customers USING INTEGER PRIMARY KEY") for d in details), details


# ---- property: any substring of any field is found, and nothing else is

SMALL_CJK = "设备铭牌照片报价单客户交期拜访"  # few characters, so texts share bigrams and near-misses abound
SEPARATORS = " ，。-/\n"
ALNUM = st.one_of(st.sampled_from(SMALL_CJK), st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
                  st.sampled_from(string.ascii_letters + string.digits))
FIELD = st.text(st.one_of(ALNUM, ALNUM, st.sampled_from(SEPARATORS)), min_size=1, max_size=16)
ROW = st.lists(FIELD, min_size=1, max_size=4)


def fts_table() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(body, content='', columnsize=0, "
               "tokenize='unicode61 remove_diacritics 2')")
    return db


def fts_search(db: sqlite3.Connection, query: str) -> set[int]:
    expression = match_expression(query)
    return {r for (r,) in db.execute("SELECT rowid FROM t WHERE t MATCH ?", (expression,))} if expression else set()


@st.composite
def corpus_and_query(draw: st.DrawFn) -> tuple[list[list[str]], int, str, str]:
    rows = draw(st.lists(ROW, min_size=1, max_size=6))
    words = [(n, w) for n, row in enumerate(rows) for f in row for w in re.findall(r"[^\W_]+", f)]
    n, word = draw(st.sampled_from(words)) if words else (0, "")
    size = draw(st.integers(1, min(6, len(word)))) if word else 0
    start = draw(st.integers(0, len(word) - size)) if word else 0
    other = draw(st.text(ALNUM, min_size=1, max_size=3))
    return rows, n, word[start:start + size], other


@settings(max_examples=600, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(corpus_and_query())
def test_property_every_substring_is_found_and_only_where_it_occurs(case):
    rows, n, sub, other = case
    db = fts_table()
    db.executemany("INSERT INTO t(rowid, body) VALUES (?, ?)", [(i, index_text(*row)) for i, row in enumerate(rows)])

    def where(*terms: str) -> set[int]:
        return {i for i, row in enumerate(rows) if all(any(t.lower() in f.lower() for f in row) for t in terms)}

    if sub:
        hits = fts_search(db, sub)
        assert n in hits
        assert hits == where(sub)
        assert fts_search(db, f"“{sub}”") == fts_search(db, f"({sub})，") == hits
        assert fts_search(db, f"{sub} {other}") == where(sub, other)
    assert fts_search(db, other) == where(other)
