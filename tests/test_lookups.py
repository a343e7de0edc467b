"""The reads behind the forms: customers to pick (only those the user may see), contacts, possible owners."""

from __future__ import annotations

from sqlalchemy import select

from desktop.lookups import assignable_owners, find_customers, live_contacts
from desktop.models import Customer, User
from desktop.permissions import can_see_customer
from tests.conftest import ORG_USERS, make_customer, run


def _customers(store, org):
    """A customer with "恒通" in its name for each owner, in each owner's region, plus one without."""
    ids = {}
    for owner, region in (("rep", "江苏"), ("rep2", "江苏"), ("otherrep", "浙江"), ("channel", "安徽"),
                          ("manager", "江苏"), ("kad", "上海")):
        ids[owner] = make_customer(store, org[owner], f"{owner}恒通有限公司", region=region)
    make_customer(store, org["rep"], "远景光电", region="江苏")
    return ids


def test_find_customers_offers_exactly_what_the_user_may_see(store, org):
    _customers(store, org)
    with store.read() as s:
        customers = s.scalars(select(Customer).where(Customer.name.like("%恒通%"))).all()
        for username, *_ in ORG_USERS:
            user = s.get(User, org[username])
            expected = {c.id for c in customers if can_see_customer(s, user, c)}
            assert {c.id for c in find_customers(s, user, "恒通")} == expected, username
    with store.read() as s:  # not vacuous: the roles differ
        rep, admin = s.get(User, org["rep"]), s.get(User, org["admin"])
        assert len(find_customers(s, rep, "恒通")) == 1 and len(find_customers(s, admin, "恒通")) == 6


def test_find_customers_newest_first_limited_and_needs_a_query(store, org):
    ids = [make_customer(store, org["rep"], f"恒通{n}号") for n in range(5)]
    with store.read() as s:
        rep = s.get(User, org["rep"])
        assert [c.id for c in find_customers(s, rep, "恒通", limit=3)] == ids[::-1][:3]
        assert find_customers(s, rep, "  ") == []
        assert [c.id for c in find_customers(s, rep, "3号")] == [ids[3]]


def test_live_contacts_leave_out_removed_ones(store, org):
    customer = make_customer(store, org["rep"])
    keep = run(store, org["rep"], "contact.add", customer_id=customer, name="王伟", decision_role="user")
    gone = run(store, org["rep"], "contact.add", customer_id=customer, name="李娜", decision_role="user")
    run(store, org["rep"], "contact.remove", id=gone.changes.entity_id)
    with store.read() as s:
        assert [c.id for c in live_contacts(s, customer)] == [keep.changes.entity_id]


def test_assignable_owners_follow_the_owner_rules(store, org):
    with store.read() as s:
        def names(actor: str, current: str | None = None) -> set[str]:
            return {u.username for u in assignable_owners(s, s.get(User, org[actor]), org[current] if current else None)}

        assert names("rep") == {"rep"}
        assert names("manager") == {"manager", "kad", "rep", "rep2"}  # team east1, owning roles only
        assert names("admin") == {"manager", "kad", "rep", "rep2", "otherrep", "othermanager", "channel"}
        assert names("finance") == set()
        assert names("rep", current="otherrep") == {"rep", "otherrep"}  # who owns it now is always shown
