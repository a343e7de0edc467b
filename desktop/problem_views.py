"""Sync problems as people read them: each field under its label, and what the ids it names are to a person.

A problem keeps the mutation's args and the server's row, both full of internals (ids, hashes, the
time of the change as UTC text). This reads, in one pass on the database thread, the labels the
mutation declares for its fields and the rows its ids name (a customer's name, a visit's time and
customer, a quote's number), so the page can show words and never an id. Formatting (the user's
language, zone and choice labels) stays in ui/.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop import remote
from desktop.errors import Label
from desktop.models import (
    Attachment,
    Contact,
    Customer,
    OutboxEntry,
    Product,
    Quote,
    SyncProblem,
    Touchpoint,
    User,
)
from desktop.mutations import registry
from desktop.overwrites import SOURCE as OVERWRITTEN

# Internals a user cannot read or act on: the row's own id (the title says what it is), a file's hash,
# a password's hash, the version an approval was made against.
HIDDEN = frozenset({"id", "sha256", "password_hash", "quote_version"})

# Which table the id in a field names; "id" names the row the change is about (the problem's entity).
REFERENCES = {
    "customer_id": "customers", "contact_id": "contacts", "touchpoint_id": "touchpoints",
    "amends_id": "touchpoints", "done_in_id": "touchpoints", "closes_follow_up_id": "touchpoints",
    "owner_id": "users", "manager_id": "users", "to_user_id": "users", "quote_id": "quotes",
    "source_id": "quotes", "product_id": "products",
}
_MODELS: dict[str, Any] = {"customers": Customer, "contacts": Contact, "touchpoints": Touchpoint, "users": User,
                           "quotes": Quote, "products": Product, "attachments": Attachment}


@dataclass(frozen=True)
class Ref:
    """What identifies a row to a person. ``name``: a customer's, contact's, user's or product's name, a
    quote's number, a file's name; for a touchpoint, its customer's name, with ``at`` and ``channel``."""

    table: str
    name: str
    at: datetime | None = None
    channel: str = ""
    parent: str = ""  # a contact's customer, an attachment's visit (its id, itself a reference)
    revision: int = 1


@dataclass(frozen=True)
class Item:
    """One field of the change: the user's value (args form) beside the server's (storage form)."""

    key: str
    label: Label
    kind: str
    mine: Any
    server: Any


@dataclass
class ProblemView:
    problem: SyncProblem
    items: list[Item]
    refs: dict[str, Ref | None] = field(default_factory=dict)  # id -> what it is (None: not on this computer)
    waiting: bool = False  # sent again: waiting for the server's answer
    can_send_again: bool = False  # refused by the server, and what it needs is still here
    missing_file: str = ""  # the attachment's file is no longer here
    overwritten: bool = False  # applied, then replaced by someone else's edit: Send again applies the value again


def read(store: Any) -> list[ProblemView]:
    """The open problems, oldest change first, with their fields and references (detached)."""
    with store.read() as session:
        problems = remote.open_problems(session)
        views = [_view(store, session, problem) for problem in problems]
        session.expunge_all()
    return views


def _view(store: Any, session: Session, problem: SyncProblem) -> ProblemView:
    args = dict(problem.args or {})
    server = problem.server_row or {}
    spec = registry.REGISTRY.get(problem.mutation)
    fields = spec.fields if spec is not None else {}
    items = [Item(key, fields[key].label, fields[key].kind, args.get(key), server.get(key))
             for key in fields if key not in HIDDEN and key != "at" and key in args]
    entry = session.get(OutboxEntry, problem.outbox_seq)
    view = ProblemView(problem, items)
    view.waiting = entry is not None and entry.status == remote.PENDING and problem.source in ("rejected", OVERWRITTEN)
    view.missing_file = remote.missing_file(store, problem.mutation, args)
    view.overwritten = problem.source == OVERWRITTEN
    sendable = remote.APPLIED if view.overwritten else remote.REJECTED
    view.can_send_again = entry is not None and entry.status == sendable and not view.missing_file
    wanted: dict[str, str] = {}
    for key, table in REFERENCES.items():
        for value in (args.get(key), server.get(key)):
            if isinstance(value, str) and value:
                wanted[value] = table
    if isinstance(args.get("id"), str) and problem.entity in _MODELS:
        wanted[args["id"]] = problem.entity
    for row_id, table in list(wanted.items()):
        ref = _ref(session, table, row_id)
        view.refs[row_id] = ref
        if ref is not None and ref.parent and ref.parent not in view.refs:
            view.refs[ref.parent] = _ref(session, "touchpoints" if table == "attachments" else "customers",
                                         ref.parent)
    return view


def _ref(session: Session, table: str, row_id: str) -> Ref | None:
    model = _MODELS[table]
    row = session.scalars(select(model).where(model.id == row_id)).first()
    if row is None:
        return None
    if isinstance(row, Customer):
        return Ref(table, row.name)
    if isinstance(row, Contact):
        return Ref(table, row.name, parent=row.customer_id)
    if isinstance(row, User):
        return Ref(table, row.display_name)
    if isinstance(row, Quote):
        return Ref(table, row.number, revision=row.revision)
    if isinstance(row, Product):
        return Ref(table, row.name)
    if isinstance(row, Attachment):
        return Ref(table, row.filename, parent=row.touchpoint_id)
    customer = session.scalars(select(Customer).where(Customer.id == row.customer_id)).first()
    return Ref(table, customer.name if customer is not None else "", row.check_in_at or row.occurred_at, row.channel)
