"""Chinese text as Chinese users expect it: names in pinyin order (the stored key the mutations keep),
full-width input folded, customers found by phone number."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from desktop import customer_list, lookups, search
from desktop.customer_list import CustomerFilter
from desktop.models import Contact, Customer, User
from desktop.sort_keys import company_key, person_key
from desktop.text_rules import fold, name_key, phone_digits
from tests.conftest import make_customer, run

# ---- The sort key itself

def test_company_names_read_with_the_phrase_dictionary():
    assert company_key("重庆银行").startswith("chong!qing!yin!hang ")  # not zhong qing, not yin xing
    assert company_key("长春一汽").startswith("chang!chun!")
    assert company_key("ABB（中国）有限公司").startswith("abb!zhong!guo!you!xian!gong!si ")


@pytest.mark.parametrize("name, reading", [
    ("曾国藩", "zeng!guo!fan"), ("单田芳", "shan!tian!fang"), ("仇英", "qiu!ying"), ("区永安", "ou!yong!an"),
    ("解缙", "xie!jin"), ("朴智星", "piao!zhi!xing"), ("查良镛", "zha!liang!yong"), ("盖聂", "ge!nie"),
    ("乐嘉", "yue!jia"), ("尉迟恭", "yu!chi!gong"), ("万俟卨", "mo!qi!xie"), ("张三", "zhang!san"),
])
def test_a_persons_surname_is_read_as_a_surname(name, reading):
    assert person_key(name).split(" ")[0] == reading


def test_the_surname_reading_applies_only_to_the_first_characters():
    assert person_key("李曾").startswith("li!ceng ")  # 曾 as a given name keeps its everyday reading
    assert company_key("曾经科技").startswith("ceng!jing!")  # a company is not a person


def test_the_order_of_mixed_names():
    """Digits first (by value), then Chinese and Latin together by letter, other scripts last; a name
    that is the start of another first; same letters: Latin before Chinese, then by tone."""
    names = ["张伟", "Zhang Wei", "10号仓库", "2号仓库", "阿里巴巴", "Alibaba", "安徽海螺", "Baidu", "北京现代",
             "李", "李明", "马云", "妈妈驿站", "Ελλάδα", "ＡＢＣ", "abc"]
    assert sorted(names, key=company_key) == [
        "2号仓库", "10号仓库", "阿里巴巴", "abc", "ＡＢＣ", "Alibaba", "安徽海螺", "Baidu", "北京现代", "李", "李明",
        "妈妈驿站", "马云", "Zhang Wei", "张伟", "Ελλάδα"]


def test_the_same_reading_is_ordered_by_tone_then_by_the_name_itself():
    assert sorted(["李明", "黎明"], key=company_key) == ["黎明", "李明"]  # li2 before li3
    assert company_key("ＡＢＣ") != company_key("ABC")  # the same words and tones: the text decides, no tie


def test_folding_rules():
    assert fold("ＡＢＣ１２３（）") == "ABC123()"
    assert name_key("\ufeffＡＢＢ （中国）\u200b有限公司") == name_key("abb(中国)有限公司") == "abb(中国)有限公司"
    assert phone_digits("+86 138-0013-8000") == phone_digits("（0086）13800138000") == "13800138000"
    assert phone_digits("０５１２－６６６６ ８８８８") == "051266668888"
    assert phone_digits("+1 (415) 555-0100") == "14155550100"  # another country keeps its code


# ---- Lists sorted by the stored key

def test_the_customer_list_sorts_by_pinyin_and_follows_a_rename(store, org):
    admin = org["admin"]
    ids = {name: make_customer(store, admin, name, owner_id=org["rep"])
           for name in ["重庆银行", "北京现代", "Alibaba", "阿里巴巴", "10号仓库", "2号仓库", "曾经科技", "中信证券"]}
    with store.read() as s:
        user = s.get(User, admin)
        rids = customer_list.ordered_rids(s, CustomerFilter("all", user), "name")
        names = [customer_list.rows_by_rid(s, rids)[rid].name for rid in rids]
    assert names == ["2号仓库", "10号仓库", "阿里巴巴", "Alibaba", "北京现代", "曾经科技", "重庆银行", "中信证券"]
    run(store, admin, "customer.update", id=ids["中信证券"], name="安信证券")
    with store.read() as s:
        rids = customer_list.ordered_rids(s, CustomerFilter("all", s.get(User, admin)), "name", descending=True)
        names = [customer_list.rows_by_rid(s, rids)[rid].name for rid in rids]
    assert names == ["重庆银行", "曾经科技", "北京现代", "安信证券", "Alibaba", "阿里巴巴", "10号仓库", "2号仓库"]


def test_contacts_and_people_sort_by_surname_reading(store, org):
    rep = org["rep"]
    customer = make_customer(store, rep)
    for name in ["张伟", "曾小贤", "陈静", "单雄信", "Alice Wang"]:
        run(store, rep, "contact.add", customer_id=customer, name=name, decision_role="user")
    with store.read() as s:
        contacts = {c.name: c.id for c in lookups.live_contacts(s, customer)}
    # 陈 chen < 单 shan < 曾 zeng < 张 zhang; read as everyday words 曾 (ceng) and 单 (dan) would come first
    assert list(contacts) == ["Alice Wang", "陈静", "单雄信", "曾小贤", "张伟"]
    run(store, rep, "contact.update", id=contacts["张伟"], name="艾伦")
    with store.read() as s:
        assert [c.name for c in lookups.live_contacts(s, customer)][:2] == ["艾伦", "Alice Wang"]


def test_user_names_sort_by_pinyin_where_users_are_chosen(store, org, password_hash):
    admin = org["admin"]
    for username, display in [("zeng", "曾强"), ("chen", "陈刚"), ("an", "安然")]:
        run(store, admin, "user.create", username=username, display_name=display, role="field_rep",
            password_hash=password_hash, team="east1")
    with store.read() as s:
        names = [u.display_name for u in lookups.assignable_owners(s, s.get(User, admin))]
        keys = [u.name_sort for u in lookups.assignable_owners(s, s.get(User, admin))]
    assert names.index("安然") < names.index("陈刚") < names.index("曾强")
    assert keys == sorted(keys)


# ---- Search: full-width folding and phone numbers

def test_full_width_and_half_width_find_each_other(store, org):
    rep = org["rep"]
    half = make_customer(store, rep, "ABB123自动化有限公司")
    full = make_customer(store, rep, "ＸＹＺ７８９精工")
    with store.read() as s:
        assert [c.id for c in search.search_customers(s, "ＡＢＢ１２３")] == [half]
        assert [c.id for c in search.search_customers(s, "xyz789")] == [full]
        assert [c.id for c in lookups.find_customers(s, s.get(User, rep), "ａｂｂ")] == [half]


def test_customers_are_found_by_their_own_or_their_contacts_phone(store, org):
    rep = org["rep"]
    own = make_customer(store, rep, "苏州恒通精密机械有限公司", phone="+86 512-6666-8888")
    via_contact = make_customer(store, rep, "无锡华光激光设备有限公司", phone="")
    contact = run(store, rep, "contact.add", customer_id=via_contact, name="王伟", decision_role="purchasing",
                  phone="138 0013 8000").changes.entity_id
    make_customer(store, rep, "杭州东方电子有限公司", phone="0571-8888-0000")
    with store.read() as s:
        user = s.get(User, rep)

        def listed(query: str) -> set[str]:
            rids = customer_list.ordered_rids(s, CustomerFilter("mine", user, text=query))
            return {row.id for row in customer_list.rows_by_rid(s, rids).values()}

        for query in ("13800138000", "+86 138-0013-8000", "138 0013", "１３８００１３８０００", "0086 138 0013 8000"):
            assert listed(query) == {via_contact}, query
            assert [c.id for c in lookups.find_customers(s, user, query)] == [via_contact], query
        assert listed("512 6666") == {own} and listed("+86 512") == {own}
        assert listed("13") == set()  # too short to be a number: an ordinary text search
        assert listed("139") == set()
    run(store, rep, "contact.remove", id=contact)
    run(store, rep, "customer.update", id=own, phone="021-5555-1234")
    with store.read() as s:
        user = s.get(User, rep)
        assert customer_list.ordered_rids(s, CustomerFilter("mine", user, text="13800138000")) == []
        assert customer_list.ordered_rids(s, CustomerFilter("mine", user, text="5126666")) == []
        assert len(customer_list.ordered_rids(s, CustomerFilter("mine", user, text="021 5555"))) == 1


def test_phone_lookup_uses_the_indexes(store, org):
    make_customer(store, org["rep"], phone="13800138000")
    with store.read() as s:
        conn = s.connection()
        plan = " | ".join(row[3] for row in conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT rid FROM customers WHERE phone_digits >= '138' AND phone_digits < '138:'"))
        assert "ix_customers_phone_digits" in plan, plan
        plan = " | ".join(row[3] for row in conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT customer_id FROM contacts WHERE phone_digits >= '138' "
            "AND phone_digits < '138:'"))
        assert "ix_contacts_phone_digits" in plan, plan


def test_the_derived_columns_are_what_the_functions_give(store, org):
    rep = org["rep"]
    customer = make_customer(store, rep, "ＡＢＢ（中国）有限公司", phone="+86 21 1234 5678")
    run(store, rep, "contact.add", customer_id=customer, name="曾小贤", decision_role="user", phone="(0512) 1")
    with store.read() as s:
        row = s.scalars(select(Customer).where(Customer.id == customer)).one()
        assert (row.name_sort, row.name_key, row.phone_digits) == (
            company_key("ＡＢＢ（中国）有限公司"), "abb(中国)有限公司", "2112345678")
        contact = s.scalars(select(Contact).where(Contact.customer_id == customer)).one()
        assert (contact.name_sort, contact.phone_digits) == (person_key("曾小贤"), "05121")
