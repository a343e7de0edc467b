"""What the workbenches list: a rep's plan for today, a manager's view of the team's trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop.models import Customer, Touchpoint, User
from desktop.permissions import MANAGERS, visible_customers


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
    """For each of the user's customers, the latest touchpoint if its next step is due by ``until``.

    A later touchpoint on the same customer counts as the follow-up, so only the latest one matters.
    Overdue first, most overdue at the top.
    """
    latest = (select(Touchpoint.customer_id, func.max(Touchpoint.occurred_at).label("at"))
              .join(Customer, Customer.id == Touchpoint.customer_id)
              .where(Customer.owner_id == user.id, Customer.deleted_at.is_(None), Touchpoint.status == "submitted")
              .group_by(Touchpoint.customer_id).subquery())
    query = _joined(select(Touchpoint, Customer.name, User.display_name)
                    .join(latest, (latest.c.customer_id == Touchpoint.customer_id)
                          & (latest.c.at == Touchpoint.occurred_at))) \
        .where(Touchpoint.next_step != "", Touchpoint.next_step_due.is_not(None), Touchpoint.next_step_due <= until,
               Touchpoint.status == "submitted") \
        .order_by(Touchpoint.next_step_due)
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
                  limit: int = 500) -> list[ActivityRow]:
    """The team's touchpoints since a time, newest first (at most ``limit``).

    Only touchpoints on customers the user may see: a team member's trail on a customer handed to
    another team (or logged before the member joined this one) is not this user's to read.
    """
    members = [m.id for m in team_members(session, user)]
    if member_id is not None:
        members = [m for m in members if m == member_id]
    viewer = session.get(User, user.id) or user  # judged as the database knows them now
    query = _joined(select(Touchpoint, Customer.name, User.display_name)) \
        .where(Touchpoint.user_id.in_(members), Touchpoint.occurred_at >= since, visible_customers(viewer),
               Touchpoint.status == "submitted") \
        .order_by(Touchpoint.occurred_at.desc()).limit(limit)
    return _rows(session, query)
