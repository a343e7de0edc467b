"""Who may see and change what. Used by the mutations on the device and, through them, on the server."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.orm import Session

from desktop.models import Customer, User

MANAGERS = frozenset({"sales_manager", "key_account_director"})
OWNERS = frozenset({"field_rep", "channel_manager"}) | MANAGERS
FINANCE = frozenset({"finance", "finance_director"})
# Roles that talk to customers and so log touchpoints.
CUSTOMER_FACING = OWNERS | {"service_engineer"}


def _owner_team(session: Session, customer: Customer) -> str:
    owner = session.get(User, customer.owner_id)
    return owner.team if owner is not None else ""


def can_see_customer(session: Session, user: User, customer: Customer) -> bool:
    """Reps see their own customers, managers their team's, service engineers their territory's."""
    if user.role == "admin" or user.role in FINANCE:
        return True
    if customer.owner_id == user.id:
        return True
    if user.role in MANAGERS:
        return bool(user.team) and _owner_team(session, customer) == user.team
    if user.role == "service_engineer":
        return not user.territory or customer.region == user.territory
    return False


def visible_customers(user: User) -> ColumnElement[bool]:
    """The SQL form of :func:`can_see_customer` for ``user``: a condition on ``Customer`` for lists.

    Keep the two in step; a test compares them for every role.
    """
    if user.role == "admin" or user.role in FINANCE:
        return true()
    own = Customer.owner_id == user.id
    if user.role in MANAGERS:
        if not user.team:
            return own
        return or_(own, Customer.owner_id.in_(select(User.id).where(User.team == user.team)))
    if user.role == "service_engineer":
        return true() if not user.territory else or_(own, Customer.region == user.territory)
    return own


def can_edit_customer(session: Session, user: User, customer: Customer) -> bool:
    """The owner, a manager of the owner's team, or an admin may change a customer and its contacts."""
    if user.role == "admin" or customer.owner_id == user.id:
        return True
    return user.role in MANAGERS and bool(user.team) and _owner_team(session, customer) == user.team


def can_log_touchpoint(session: Session, user: User, customer: Customer) -> bool:
    return (user.role == "admin" or user.role in CUSTOMER_FACING) and can_see_customer(session, user, customer)


def can_assign_owner(user: User, new_owner: User) -> bool:
    """Managers hand customers to people in their team; admins to anyone; reps only keep their own."""
    if user.role == "admin":
        return True
    if user.role in MANAGERS:
        return new_owner.id == user.id or (bool(user.team) and new_owner.team == user.team)
    return new_owner.id == user.id


def can_quote(session: Session, user: User, customer: Customer) -> bool:
    """Who makes quotes for a customer: the people who sell to it (and admins)."""
    return (user.role == "admin" or user.role in OWNERS) and can_see_customer(session, user, customer)
