"""What the workbenches list: a rep's plan for today, a manager's view of the team's trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from desktop.cut import Cut, cut
from desktop.follow_ups import OPEN
from desktop.models import Customer, Touchpoint, User
from desktop.permissions import MANAGERS, visible_customers

TEAM_LIMIT = 500  # touchpoints the team page shows; it says how many the period holds beyond them


@dataclass(frozen=True)
class ActivityRow:
    touchpoint_id: str
    customer_id: str
    customer_name: str
    user_name: str
    channel: str
    occurred_at: datetime
    with_whom: str
    summary: str
    reaction: str
    next_step: str
    next_step_due: datetime | None


def _rows(session: Session, query) -> list[ActivityRow]:
    return [ActivityRow(t.id, t.customer_id, name, user, t.channel, t.occurred_at, t.with_whom, t.summary,
                        t.reaction, t.next_step, t.next_step_due) for t, name, user in session.execute(query)]


def _joined(query):
    return query.join(Customer, Customer.id == Touchpoint.customer_id).join(User, User.id == Touchpoint.user_id)


def next_steps_due(session: Session, user: User, until: datetime) -> list[ActivityRow]:
    """The user's open follow-ups due by ``until``, most overdue first (desktop.follow_ups).

    Only the owner's closing ends one: a later touchpoint on the customer, or an import, does not.
    """
    query = _joined(select(Touchpoint, Customer.name, User.display_name)) \
        .where(Touchpoint.follow_up_owner_id == user.id, Touchpoint.follow_up == OPEN,
               Touchpoint.next_step_due <= until, Customer.deleted_at.is_(None)) \
        .order_by(Touchpoint.next_step_due, Touchpoint.rid)
    return _rows(session, query)


def logged_between(session: Session, user: User, start: datetime, end: datetime) -> list[ActivityRow]:
    """Touchpoints the user logged for the period (e.g. today), newest first."""
    query = _joined(select(Touchpoint, Customer.name, User.display_name)) \
        .where(Touchpoint.user_id == user.id, Touchpoint.occurred_at >= start, Touchpoint.occurred_at < end) \
        .order_by(Touchpoint.occurred_at.desc())
    return _rows(session, query)


def team_members(session: Session, user: User) -> list[User]:
    """Whose activity the user may follow: a manager's team, everyone for an admin, else themselves."""
    if user.role == "admin":
        return list(session.scalars(select(User).order_by(User.name_sort, User.id)))
    if user.role in MANAGERS and user.team:
        return list(session.scalars(select(User).where(User.team == user.team).order_by(User.name_sort, User.id)))
    return [user]


def team_activity(session: Session, user: User, since: datetime, *, member_id: str | None = None,
                  limit: int = TEAM_LIMIT) -> list[ActivityRow]:
    """The team's touchpoints since a time, newest first (at most ``limit``).

    Only touchpoints on customers the user may see: a team member's trail on a customer handed to
    another team (or logged before the member joined this one) is not this user's to read.
    """
    where = _team_where(session, user, since, member_id)
    return _rows(session, _joined(select(Touchpoint, Customer.name, User.display_name)).where(*where)
                 .order_by(Touchpoint.occurred_at.desc()).limit(limit))


def team_activity_cut(session: Session, user: User, since: datetime, *, member_id: str | None = None,
                      limit: int = TEAM_LIMIT) -> Cut[ActivityRow]:
    """:func:`team_activity` with the number of touchpoints the period holds in all."""
    rows = team_activity(session, user, since, member_id=member_id, limit=limit)
    # The count needs the customer (who may see it) but not the author's name the list shows.
    where = _team_where(session, user, since, member_id) if len(rows) >= limit else []
    return cut(session, rows, select(Touchpoint.id).join(Customer, Customer.id == Touchpoint.customer_id)
               .where(*where), limit)


def _team_where(session: Session, user: User, since: datetime, member_id: str | None) -> list[ColumnElement[bool]]:
    members = [m.id for m in team_members(session, user)]
    if member_id is not None:
        members = [m for m in members if m == member_id]
    viewer = session.get(User, user.id) or user  # judged as the database knows them now
    return [Touchpoint.user_id.in_(members), Touchpoint.occurred_at >= since, visible_customers(viewer),
            Touchpoint.status == "submitted"]
