"""Small reads that forms need: customers to pick from, a customer's contacts, who may own a customer."""

from __future__ import annotations

from sqlalchemy import Integer, column, select, table, text
from sqlalchemy.orm import Session

from desktop.models import Contact, Customer, User
from desktop.permissions import OWNERS, can_assign_owner, visible_customers
from desktop.search import phone_query, with_phone
from desktop.search_text import match_expression


def live_contacts(session: Session, customer_id: str) -> list[Contact]:
    """The customer's contacts that have not been removed, by name."""
    return list(session.scalars(
        select(Contact).where(Contact.customer_id == customer_id, Contact.deleted_at.is_(None))
        .order_by(Contact.name_sort, Contact.id)))


def assignable_owners(session: Session, actor: User, current_owner_id: str | None = None) -> list[User]:
    """Active users whose role may own customers and to whom actor may give one, by name.

    The current owner is always included (a form must be able to show who owns the customer now),
    even when actor could not choose them.
    """
    users = session.scalars(
        select(User).where(User.active.is_(True), User.role.in_(sorted(OWNERS)))
        .order_by(User.name_sort, User.username)).all()
    owners = [u for u in users if u.id == current_owner_id or can_assign_owner(actor, u)]
    if current_owner_id is not None and all(u.id != current_owner_id for u in owners):
        current = session.get(User, current_owner_id)  # disabled since, or no longer in an owning role
        if current is not None:
            owners.insert(0, current)
    return owners


_CUSTOMER_INDEX = table("customer_search", column("rowid", Integer))


def find_customers(session: Session, user: User, query: str, *, limit: int = 50) -> list[Customer]:
    """Live customers ``user`` may see whose profile contains every term of query, newest first.

    For pickers. Visibility is part of the query rather than a filter on the answer of
    desktop.search.search_customers: the newest 50 matches among 100,000 customers may hold none of
    a rep's own 400. FTS5 yields matches newest first and SQLite stops at ``limit`` visible ones;
    at 100k customers the worst case (a common term, none of it visible) reads every match in ~30 ms.
    """
    expression = match_expression(query)
    if expression is None:
        return []
    user = session.get(User, user.id) or user  # judged as the database knows them now
    found = list(session.scalars(
        select(Customer)
        .join(_CUSTOMER_INDEX, _CUSTOMER_INDEX.c.rowid == Customer.rid)
        .where(text("customer_search MATCH :fm_query").bindparams(fm_query=expression),
               Customer.deleted_at.is_(None), visible_customers(user))
        .order_by(_CUSTOMER_INDEX.c.rowid.desc())
        .limit(limit)))
    digits = phone_query(query)
    if digits is None:
        return found
    # A phone number: also the customers whose own or whose contacts' phone starts with it, merged newest first.
    by_phone = session.scalars(select(Customer).where(with_phone(digits), Customer.deleted_at.is_(None),
                                                      visible_customers(user))
                               .order_by(Customer.rid.desc()).limit(limit))
    merged = {c.rid: c for c in [*found, *by_phone]}
    return [merged[rid] for rid in sorted(merged, reverse=True)[:limit]]
