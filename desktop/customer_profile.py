"""What the customer detail shows: the profile, its contacts, and the touchpoint trail as display entries.

Each function reads inside the caller's session and checks that the user may see the customer
(:func:`desktop.permissions.can_see_customer`), so a screen cannot show what a list would hide.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop import errors
from desktop.cut import CAP, Cut
from desktop.errors import Label
from desktop.models import DECISION_ROLES, Contact, Customer, Touchpoint, User
from desktop.permissions import can_edit_customer, can_log_touchpoint, can_quote, can_see_customer
from desktop.search import count_customer_touchpoints, search_customer_touchpoints
from desktop.timeline import customer_timeline, shown_to

CUSTOMER = Label("客户", "Customer")


@dataclass(frozen=True)
class ContactEntry:
    id: str
    name: str
    title: str
    decision_role: str
    phone: str
    wechat: str
    email: str
    last_reached_at: datetime | None


@dataclass(frozen=True)
class CustomerProfile:
    """A customer as the detail shows it, with what the user may do to it."""

    id: str
    rid: int
    name: str
    short_name: str
    owner_id: str
    owner_name: str
    region: str
    city: str
    address: str
    industry: str
    segment: str
    status: str
    phone: str
    credit_limit: Decimal | None
    notes: str
    version: int
    contacts: tuple[ContactEntry, ...]
    touchpoint_count: int
    can_edit: bool
    can_log_touchpoint: bool
    can_quote: bool = False


@dataclass(frozen=True)
class TimelineEntry:
    """One touchpoint of the trail, with the names the screen needs."""

    rid: int
    id: str
    occurred_at: datetime
    channel: str
    user_id: str
    user_name: str
    with_whom: str
    summary: str
    reaction: str
    reaction_note: str
    next_step: str
    next_step_due: datetime | None
    status: str

    @property
    def cursor(self) -> tuple[datetime, int]:
        """The keyset position of this entry, for :func:`timeline_page`'s ``before``."""
        return (self.occurred_at, self.rid)


def _visible(session: Session, user_id: str, customer_id: str) -> tuple[User, Customer]:
    user = session.get(User, user_id)
    customer = session.scalars(select(Customer).where(Customer.id == customer_id)).first()
    if user is None or customer is None or customer.deleted_at is not None:
        raise errors.not_found("customer_id", CUSTOMER, customer_id)
    if not can_see_customer(session, user, customer):
        raise errors.forbidden("查看此客户", "see this customer")
    return user, customer


def load_profile(session: Session, user_id: str, customer_id: str) -> CustomerProfile:
    """The profile and live contacts of a customer the user may see (decision makers first)."""
    user, customer = _visible(session, user_id, customer_id)
    owner = session.get(User, customer.owner_id)
    contacts = session.scalars(select(Contact).where(Contact.customer_id == customer.id,
                                                     Contact.deleted_at.is_(None)))
    rank = {role: n for n, role in enumerate(DECISION_ROLES)}
    ordered = sorted(contacts, key=lambda c: (rank.get(c.decision_role, len(rank)), c.name_sort, c.id))
    entries = [ContactEntry(c.id, c.name, c.title, c.decision_role, c.phone, c.wechat, c.email, c.last_reached_at)
               for c in ordered]
    count = session.scalar(select(func.count()).select_from(Touchpoint)
                           .where(Touchpoint.customer_id == customer.id, shown_to(user.id))) or 0
    return CustomerProfile(
        id=customer.id, rid=customer.rid, name=customer.name, short_name=customer.short_name,
        owner_id=customer.owner_id, owner_name=owner.display_name if owner else "", region=customer.region,
        city=customer.city, address=customer.address, industry=customer.industry, segment=customer.segment,
        status=customer.status, phone=customer.phone, credit_limit=customer.credit_limit, notes=customer.notes,
        version=customer.version, contacts=tuple(entries), touchpoint_count=count,
        can_edit=can_edit_customer(session, user, customer),
        can_log_touchpoint=can_log_touchpoint(session, user, customer),
        can_quote=can_quote(session, user, customer))


def _entries(session: Session, touchpoints: Sequence[Touchpoint]) -> list[TimelineEntry]:
    user_ids = {t.user_id for t in touchpoints}
    names: dict[str, str] = {}
    if user_ids:
        names = {row.id: row.display_name
                 for row in session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids)))}
    return [TimelineEntry(t.rid, t.id, t.occurred_at, t.channel, t.user_id, names.get(t.user_id, ""), t.with_whom,
                          t.summary, t.reaction, t.reaction_note, t.next_step, t.next_step_due, t.status)
            for t in touchpoints]


def timeline_page(session: Session, user_id: str, customer_id: str, *, limit: int = 50,
                  before: tuple[datetime, int] | None = None,
                  not_before: tuple[datetime, int] | None = None) -> list[TimelineEntry]:
    """Up to ``limit`` touchpoints of the customer, newest first (see desktop.timeline.customer_timeline)."""
    _visible(session, user_id, customer_id)
    return _entries(session, customer_timeline(session, customer_id, limit=limit, before=before,
                                               not_before=not_before, viewer_id=user_id))


def search_timeline(session: Session, user_id: str, customer_id: str, query: str, *,
                    limit: int = 200) -> list[TimelineEntry]:
    """The customer's touchpoints containing every term of query, newest first."""
    _visible(session, user_id, customer_id)
    found = search_customer_touchpoints(session, customer_id, query, limit=limit)
    return _entries(session, [t for t in found if t.status == "submitted" or t.user_id == user_id])


def search_timeline_cut(session: Session, user_id: str, customer_id: str, query: str, *,
                        limit: int = 200) -> Cut[TimelineEntry]:
    """:func:`search_timeline`, with how many touchpoints match in all when more than ``limit`` do."""
    found = search_timeline(session, user_id, customer_id, query, limit=limit)
    if len(found) < limit:
        return Cut(found, len(found))
    total = count_customer_touchpoints(session, customer_id, query, shown_to(user_id))
    return Cut(found, min(total, CAP), total > CAP)

