"""Follow-ups: the dated next step of a touchpoint, owned by one person until that person closes it.

A follow-up opens when a touchpoint is logged (or a visit submitted) with a next step and a due date;
its owner is the one who logged it. Only the owner closes it, from Today's plan: done (naming the
touchpoint that did it, if any), postponed to a new date, or handed over to someone else, who
becomes the owner (the owner's manager may hand it over too). Nothing else closes it: a later
touchpoint by anyone, or a CSV import, leaves it open; the owner's own later touchpoint may close it
when the owner ticks the box that offers to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from desktop.models import Customer, Touchpoint, User
from desktop.permissions import CUSTOMER_FACING, can_log_touchpoint

OPEN = "open"
DONE = "done"

# Touchpoints written in bulk without the mutations (the demo organisation): the latest dated next step
# of each customer is open, for the customer's owner; earlier ones were followed up already. The same
# rule the schema migration 0007 applied to data from before follow-ups had owners.
_DATED = "status = 'submitted' AND next_step <> '' AND next_step_due IS NOT NULL AND follow_up = ''"
SETTLE = (
    f"UPDATE touchpoints SET follow_up = 'done', follow_up_owner_id = user_id WHERE {_DATED}"
    " AND EXISTS (SELECT 1 FROM touchpoints later WHERE later.customer_id = touchpoints.customer_id"
    " AND later.status = 'submitted' AND later.occurred_at > touchpoints.occurred_at)",
    f"UPDATE touchpoints SET follow_up = 'open', follow_up_owner_id = (SELECT c.owner_id FROM customers c"
    f" WHERE c.id = touchpoints.customer_id) WHERE {_DATED}",
)


def open_for(touchpoint: Touchpoint) -> None:
    """Open the follow-up of a just-submitted touchpoint, owned by its author, when it has a dated next step."""
    if (touchpoint.next_step or "").strip() and touchpoint.next_step_due is not None:
        touchpoint.follow_up = OPEN
        touchpoint.follow_up_owner_id = touchpoint.user_id


def settle_bulk(session: Session) -> None:
    """Give owners to the dated next steps of touchpoints written in bulk (see SETTLE)."""
    for statement in SETTLE:
        session.execute(text(statement))


@dataclass(frozen=True)
class Choice:
    """One thing to pick in a form: its id and how it reads."""

    id: str
    text: str
    when: datetime | None = None


def open_on_customer(session: Session, user_id: str, customer_id: str) -> list[Choice]:
    """The user's open follow-ups on a customer (what a new touchpoint there may complete), soonest due first."""
    query = select(Touchpoint.id, Touchpoint.next_step, Touchpoint.next_step_due) \
        .where(Touchpoint.customer_id == customer_id, Touchpoint.follow_up_owner_id == user_id,
               Touchpoint.follow_up == OPEN).order_by(Touchpoint.next_step_due, Touchpoint.rid)
    return [Choice(row_id, step, due) for row_id, step, due in session.execute(query)]


def done_in_choices(session: Session, follow_up_id: str, limit: int = 50) -> list[Choice]:
    """Submitted touchpoints on the follow-up's customer since it was set: which one did it, newest first."""
    row = session.scalars(select(Touchpoint).where(Touchpoint.id == follow_up_id)).first()
    if row is None:
        return []
    query = select(Touchpoint.id, Touchpoint.summary, Touchpoint.occurred_at) \
        .where(Touchpoint.customer_id == row.customer_id, Touchpoint.status == "submitted",
               Touchpoint.occurred_at >= row.occurred_at, Touchpoint.id != row.id) \
        .order_by(Touchpoint.occurred_at.desc(), Touchpoint.rid.desc()).limit(limit)
    return [Choice(row_id, summary, when) for row_id, summary, when in session.execute(query)]


def takers(session: Session, follow_up_id: str) -> list[Choice]:
    """Who may take the follow-up over: active users who work with its customer, except its owner."""
    row = session.scalars(select(Touchpoint).where(Touchpoint.id == follow_up_id)).first()
    if row is None:
        return []
    customer = session.scalars(select(Customer).where(Customer.id == row.customer_id)).first()
    if customer is None:
        return []
    users = session.scalars(select(User).where(User.active, User.id != row.follow_up_owner_id,
                                               User.role.in_(CUSTOMER_FACING | {"admin"}))
                            .order_by(User.display_name))
    return [Choice(u.id, u.display_name) for u in users if can_log_touchpoint(session, u, customer)]
