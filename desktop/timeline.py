"""A customer's touchpoint trail, newest first, read a page at a time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from desktop.models import Touchpoint


def shown_to(viewer_id: str | None) -> ColumnElement[bool]:
    """Submitted touchpoints, and the viewer's own drafts (an unfinished visit is its author's alone)."""
    if viewer_id is None:
        return Touchpoint.status == "submitted"
    return or_(Touchpoint.status == "submitted", Touchpoint.user_id == viewer_id)


def customer_timeline(session: Session, customer_id: str, *, limit: int = 100,
                      before: tuple[datetime, int] | None = None,
                      not_before: tuple[datetime, int] | None = None,
                      viewer_id: str | None = None) -> list[Touchpoint]:
    """Up to ``limit`` touchpoints of a customer, newest first; drafts only the viewer's own.

    ``before`` is the (occurred_at, rid) of the last row of the previous page: keyset paging stays
    as fast on the hundredth page as on the first (an OFFSET would re-read every skipped row).
    ``not_before`` keeps the rows at or after a position: a screen reads again down to the last row
    it shows, whatever was added above it meanwhile.
    """
    query = select(Touchpoint).where(Touchpoint.customer_id == customer_id, shown_to(viewer_id))
    if before is not None:
        when, rid = before
        query = query.where(or_(Touchpoint.occurred_at < when,
                                and_(Touchpoint.occurred_at == when, Touchpoint.rid < rid)))
    if not_before is not None:
        when, rid = not_before
        query = query.where(or_(Touchpoint.occurred_at > when,
                                and_(Touchpoint.occurred_at == when, Touchpoint.rid >= rid)))
    query = query.order_by(Touchpoint.occurred_at.desc(), Touchpoint.rid.desc()).limit(limit)
    return list(session.scalars(query))
