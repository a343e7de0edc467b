"""When a person's role, team or territory changes, who sees which customers changes with it.

Pull decides visibility when it reads the change log, entry by entry. A customer that did not change
keeps its old entries, already read by every device, so a manager whose team gains a rep would never
receive that rep's customers, and the rep's old manager would keep them. After such a change the
customers whose visibility may have moved are announced again, with what hangs off them: each reader
then gets them (with their contacts and touchpoints) or a "forget", by the usual rule.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop.models import Customer, User
from desktop.permissions import visible_customers
from sync.server import changes

SCOPE_FIELDS = frozenset({"role", "team", "territory"})


def moved_by(diff: dict[str, Any]) -> bool:
    """Whether a user change with this diff ({field: [before, after]}) can move anyone's scope."""
    return not SCOPE_FIELDS.isdisjoint(diff)


def user_changed(session: Session, user: User, diff: dict[str, Any]) -> list[dict[str, Any]]:
    """Change-log rows re-announcing the customers a change of ``user`` (already applied; ``diff`` holds
    the values before) may have moved into or out of someone's view.

    - The user's own view: customers visible before XOR after (a rep who becomes a manager gains the
      team's customers; a manager who changes team trades one team's for the other's).
    - Others' views of the user's customers: managers see their team's customers, so a change of team
      moves the user's own customers between two managers.
    """
    if not moved_by(diff):
        return []
    before = User(id=user.id, role=_before(diff, "role", user.role), team=_before(diff, "team", user.team),
                  territory=_before(diff, "territory", user.territory))
    seen_before = set(session.scalars(select(Customer.id).where(visible_customers(before))))
    seen_now = set(session.scalars(select(Customer.id).where(visible_customers(user))))
    ids = seen_before ^ seen_now
    if "team" in diff:
        ids |= set(session.scalars(select(Customer.id).where(Customer.owner_id == user.id)))
    out = changes.entries(session, "customers", sorted(ids))
    for customer_id in sorted(ids):
        out += changes.customer_tree(session, customer_id)
    return out


def _before(diff: dict[str, Any], name: str, now: Any) -> Any:
    return diff[name][0] if name in diff else now
