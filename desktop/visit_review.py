"""The manager's visit review: submitted visits with their evidence, and the capture rate per rep.

Who sees what follows the team activity (desktop.activity): an admin every visit, a sales manager or
key-account director the visits of their team, anyone else their own - always on customers the viewer
may see (desktop.permissions.visible_customers). Drafts never appear: an unfinished visit is its
author's alone.

A visit *passed* when the capture rule checked it at submission and it met the rule
(``rule_passed`` true). A visit no rule checked - older data, imports - has ``rule_passed`` null and
counts as not passed: the rate measures visits with the evidence the process asks for.

The list is read a page at a time, newest first, with keyset paging on ``(occurred_at, rid)`` over
the ``(channel, occurred_at)`` index (like desktop.timeline), so the first page costs the same over
50,000 visits as over 50. The capture rate is one GROUP BY over the filtered visits.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, Float, Integer, and_, case, cast, column, func, or_, select, text
from sqlalchemy.orm import Session

from desktop.models import Attachment, Customer, Touchpoint, User
from desktop.permissions import MANAGERS, visible_customers
from desktop.search_text import match_expression

RESULTS = ("passed", "not_passed")
_ID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
PAGE = 100
EXCERPT_CHARS = 80


@dataclass(frozen=True)
class VisitFilter:
    """Which visits the review shows.

    ``rep_id``: one person's visits; ``customer_id`` one customer, or ``customer_text`` matched against
    the customer search index (name, short name, city, address...) - a customer id typed or pasted
    there picks that customer; ``since`` (inclusive) and
    ``until`` (exclusive) bound the visit time; ``result`` is "passed", "not_passed" or None for both.
    """

    viewer: User
    rep_id: str | None = None
    customer_id: str | None = None
    customer_text: str = ""
    since: datetime | None = None
    until: datetime | None = None
    result: str | None = None

    def __post_init__(self) -> None:
        if self.result not in (None, *RESULTS):
            raise ValueError(f"unknown rule result {self.result!r}")


@dataclass(frozen=True)
class Evidence:
    """One attachment of a visit, as the review shows it (the file itself is in the blob store)."""

    id: str
    kind: str  # photo, audio, document
    label: str  # storefront, nameplate, other; "" for recordings
    filename: str
    sha256: str
    size: int
    mime: str
    duration_s: float | None
    taken_at: datetime | None


@dataclass(frozen=True)
class VisitRow:
    """One line of the review."""

    rid: int
    id: str
    customer_id: str
    customer_name: str
    user_id: str
    rep_name: str
    occurred_at: datetime
    visit_type: str
    location: str
    notes_excerpt: str
    rule_id: str | None
    rule_version: int | None
    rule_passed: bool | None
    attachments: tuple[Evidence, ...] = ()

    @property
    def passed(self) -> bool:
        """Met the capture rule at submission; a visit no rule checked has not."""
        return self.rule_passed is True

    @property
    def checked(self) -> bool:
        """A capture rule checked this visit (false for older data and imports)."""
        return self.rule_passed is not None

    @property
    def cursor(self) -> tuple[datetime, int]:
        """Where the next page starts (see :func:`visits_page`)."""
        return self.occurred_at, self.rid


@dataclass(frozen=True)
class VisitDetail:
    """What the detail pane shows beyond the row: the whole notes, the reaction, the next step."""

    row: VisitRow
    notes: str
    with_whom: str
    reaction: str
    reaction_note: str
    next_step: str
    next_step_due: datetime | None
    check_in_at: datetime | None
    gps_lat: float | None
    gps_lon: float | None
    amends_id: str | None


@dataclass(frozen=True)
class RepRate:
    """A rep's capture rate over the filtered visits: share = passed / visits."""

    user_id: str
    name: str
    visits: int
    passed: int
    share: float


@dataclass(frozen=True)
class Review:
    """What the review opens with: the first page of visits and the rates over the whole filter."""

    rows: list[VisitRow]
    rates: list[RepRate] = field(default_factory=list)

    @property
    def total(self) -> RepRate:
        """The rates of everyone shown, together (a handful of rows, summed here)."""
        visits = sum(r.visits for r in self.rates)
        passed = sum(r.passed for r in self.rates)
        return RepRate("", "", visits, passed, passed / visits if visits else 0.0)


# ---------------------------------------------------------------------------------------------- scope


def _viewer(session: Session, user: User) -> User:
    # Judged on the user as the database knows them now (a role or a team may have changed).
    return session.get(User, user.id) or user


def scope(viewer: User) -> ColumnElement[bool]:
    """Whose visits the viewer may review (a condition on Touchpoint and Customer)."""
    if viewer.role == "admin":
        authors: ColumnElement[bool] = Touchpoint.user_id.is_not(None)
    elif viewer.role in MANAGERS and viewer.team:
        authors = Touchpoint.user_id.in_(select(User.id).where(User.team == viewer.team))
    else:
        authors = Touchpoint.user_id == viewer.id
    return and_(authors, visible_customers(viewer))


def _where(session: Session, flt: VisitFilter) -> list[ColumnElement[bool]]:
    viewer = _viewer(session, flt.viewer)
    clauses = [Touchpoint.channel == "visit", Touchpoint.status == "submitted", scope(viewer)]
    if flt.rep_id:
        clauses.append(Touchpoint.user_id == flt.rep_id)
    if flt.customer_id:
        clauses.append(Touchpoint.customer_id == flt.customer_id)
    customer = _customer_text(flt.customer_text)
    if customer is not None:
        clauses.append(customer)
    if flt.since is not None:
        clauses.append(Touchpoint.occurred_at >= flt.since)
    if flt.until is not None:
        clauses.append(Touchpoint.occurred_at < flt.until)
    if flt.result == "passed":
        clauses.append(Touchpoint.rule_passed.is_(True))
    elif flt.result == "not_passed":
        clauses.append(or_(Touchpoint.rule_passed.is_(None), Touchpoint.rule_passed.is_(False)))
    return clauses


def _customer_text(typed: str) -> ColumnElement[bool] | None:
    typed = typed.strip()
    if _ID.match(typed):  # a customer's id, pasted: that customer
        return Touchpoint.customer_id == typed.lower()
    expression = match_expression(typed)
    if expression is None:
        return None
    matches = (text("SELECT rowid FROM customer_search WHERE customer_search MATCH :fm_query")
               .bindparams(fm_query=expression).columns(column("rowid", Integer)))
    # The matching customers' ids, found once: a test of customers.rid against the match would let
    # SQLite probe the customers index once per match for every visit scanned (seconds, not ms).
    return Touchpoint.customer_id.in_(select(Customer.id).where(Customer.rid.in_(matches)))


def _joined(query):  # type: ignore[no-untyped-def]
    return query.join(Customer, Customer.id == Touchpoint.customer_id).join(User, User.id == Touchpoint.user_id)


# ---------------------------------------------------------------------------------------------- reading

_ROW_COLUMNS = (Touchpoint.rid, Touchpoint.id, Touchpoint.customer_id, Customer.name, Touchpoint.user_id,
                User.display_name, Touchpoint.occurred_at, Touchpoint.visit_type, Touchpoint.location,
                func.substr(Touchpoint.summary, 1, EXCERPT_CHARS), Touchpoint.rule_id, Touchpoint.rule_version,
                Touchpoint.rule_passed)


def visits_page(session: Session, flt: VisitFilter, *, limit: int | None = None,
                before: tuple[datetime, int] | None = None) -> list[VisitRow]:
    """Up to ``limit`` visits matching ``flt``, newest first, each with its attachments.

    ``before`` is the :attr:`VisitRow.cursor` of the last row of the previous page (keyset paging:
    no OFFSET, so a deep page costs what the first one does, and a visit added meanwhile above the
    cursor neither shifts nor repeats a row).
    """
    query = _joined(select(*_ROW_COLUMNS)).where(*_where(session, flt))
    if before is not None:
        when, rid = before
        # The plain bound lets SQLite start the index scan at the cursor; the OR alone would make it
        # read (and skip) every newer visit first.
        query = query.where(Touchpoint.occurred_at <= when,
                            or_(Touchpoint.occurred_at < when, and_(Touchpoint.occurred_at == when, Touchpoint.rid < rid)))
    query = query.order_by(Touchpoint.occurred_at.desc(), Touchpoint.rid.desc()).limit(limit or PAGE)
    rows = [VisitRow(*values) for values in session.execute(query)]
    return _with_attachments(session, rows)


def _with_attachments(session: Session, rows: list[VisitRow]) -> list[VisitRow]:
    if not rows:
        return rows
    found: dict[str, list[Evidence]] = {}
    query = (select(Attachment.touchpoint_id, Attachment.id, Attachment.kind, Attachment.label, Attachment.filename,
                    Attachment.sha256, Attachment.size, Attachment.mime, Attachment.duration_s, Attachment.taken_at)
             .where(Attachment.touchpoint_id.in_([r.id for r in rows]))
             .order_by(Attachment.touchpoint_id, Attachment.created_at, Attachment.id))
    for touchpoint_id, *values in session.execute(query):
        found.setdefault(touchpoint_id, []).append(Evidence(*values))
    return [VisitRow(**{**_fields(r), "attachments": tuple(found.get(r.id, ()))}) for r in rows]


def _fields(row: VisitRow) -> dict[str, object]:
    return {name: getattr(row, name) for name in row.__dataclass_fields__}


def capture_rates(session: Session, flt: VisitFilter) -> list[RepRate]:
    """Per rep, over the visits matching ``flt``: visits, visits that passed every rule, and the share.

    One GROUP BY in the database; reps with no visit in the filter do not appear.
    """
    passed = func.sum(case((Touchpoint.rule_passed.is_(True), 1), else_=0))
    visits = func.count(Touchpoint.rid)
    query = (_joined(select(Touchpoint.user_id, User.display_name, visits, passed,
                            cast(passed, Float) / visits))
             .where(*_where(session, flt))
             .group_by(Touchpoint.user_id, User.display_name, User.name_sort)
             .order_by(User.name_sort, Touchpoint.user_id))
    return [RepRate(user_id, name, int(n), int(ok or 0), float(share or 0.0))
            for user_id, name, n, ok, share in session.execute(query)]


def open_review(session: Session, flt: VisitFilter, *, limit: int | None = None) -> Review:
    """The first page and the capture rates, as the review opens (one read, one snapshot)."""
    return Review(visits_page(session, flt, limit=limit), capture_rates(session, flt))


def visit_detail(session: Session, viewer: User, visit_id: str) -> VisitDetail | None:
    """One visit in full, or None when it is not a submitted visit this viewer may review."""
    flt = VisitFilter(viewer)
    query = (_joined(select(*_ROW_COLUMNS, Touchpoint.summary, Touchpoint.with_whom, Touchpoint.reaction,
                            Touchpoint.reaction_note, Touchpoint.next_step, Touchpoint.next_step_due,
                            Touchpoint.check_in_at, Touchpoint.gps_lat, Touchpoint.gps_lon, Touchpoint.amends_id))
             .where(Touchpoint.id == visit_id, *_where(session, flt)))
    values = session.execute(query).first()
    if values is None:
        return None
    width = len(_ROW_COLUMNS)
    row = _with_attachments(session, [VisitRow(*values[:width])])[0]
    return VisitDetail(row, *values[width:])


def reps(session: Session, viewer: User) -> list[tuple[str, str]]:
    """(id, name) of the people whose visits the viewer may review, by name: the filter's choices."""
    viewer = _viewer(session, viewer)
    query = select(User.id, User.display_name)
    if viewer.role == "admin":
        pass
    elif viewer.role in MANAGERS and viewer.team:
        query = query.where(User.team == viewer.team)
    else:
        query = query.where(User.id == viewer.id)
    return [(user_id, name) for user_id, name in session.execute(query.order_by(User.name_sort, User.id))]


def photos(row: VisitRow) -> Sequence[Evidence]:
    return [a for a in row.attachments if a.kind == "photo"]


def recordings(row: VisitRow) -> Sequence[Evidence]:
    return [a for a in row.attachments if a.kind == "audio"]
