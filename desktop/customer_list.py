"""The customer list: which customers a user sees, in which order, and a page of display rows.

Built for 100,000 customers. A list is two steps (docs/design-core.md, "The customer list"):

1. :func:`ordered_rids` returns the integer ``rid`` of every matching live customer, in display
   order. Plain ints are cheap: 100k of them arrive in tens of milliseconds, and the view only needs
   the count and the order to lay out its scroll bar.
2. :func:`rows_by_rid` reads the display rows of the few hundred rids the view actually shows.

The text filter is answered by the customer full-text index (``customer_search MATCH``), never by a
LIKE over the table; a filter that is a phone number (digits, with spaces, dashes or +86) also finds
the customers whose own or whose contacts' phone starts with those digits, through the indexed
``phone_digits`` columns. Names sort by their stored pinyin key (desktop.sort_keys). Scopes mirror :func:`desktop.permissions.can_see_customer` through
:func:`desktop.permissions.visible_customers`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, and_, column, func, select, text, type_coerce
from sqlalchemy.orm import Session

from desktop.models import Contact, Customer, Touchpoint, User
from desktop.permissions import visible_customers
from desktop.search import phone_query, with_phone
from desktop.search_text import match_expression
from desktop.types import UTCDateTime

SCOPES = ("mine", "team", "all")
# The columns a list can be sorted by, in display order.
COLUMNS = ("name", "short_name", "owner", "region", "city", "segment", "status", "contacts", "last_touchpoint")


@dataclass(frozen=True)
class CustomerFilter:
    """What the list shows.

    ``scope``: "mine" (the user owns them), "team" (owned by the user or someone in the user's team,
    and visible to the user), "all" (every customer the user may see). ``text`` is matched against
    the customer search index; ``owner_id`` and ``region`` narrow further when set.
    """

    scope: str
    user: User
    text: str = ""
    owner_id: str | None = None
    region: str | None = None

    def __post_init__(self) -> None:
        if self.scope not in SCOPES:
            raise ValueError(f"unknown scope {self.scope!r}")


@dataclass(frozen=True)
class CustomerRow:
    """One line of the customer list."""

    rid: int
    id: str
    name: str
    short_name: str
    owner_id: str
    owner_name: str
    region: str
    city: str
    segment: str
    status: str
    contacts: int
    last_touchpoint_at: datetime | None


@dataclass(frozen=True)
class Owner:
    id: str
    display_name: str


def _user(session: Session, user: User) -> User:
    # Permissions are judged on the user as the database knows them now (a role may have changed).
    return session.get(User, user.id) or user


def _scope_clause(session: Session, flt: CustomerFilter) -> ColumnElement[bool]:
    user = _user(session, flt.user)
    if flt.scope == "mine":
        return Customer.owner_id == user.id
    visible = visible_customers(user)
    if flt.scope == "all":
        return visible
    team = Customer.owner_id == user.id
    if user.team:
        team = Customer.owner_id.in_(select(User.id).where(User.team == user.team)) | team
    return and_(team, visible)


def _where(session: Session, flt: CustomerFilter) -> list[ColumnElement[bool]]:
    clauses = [Customer.deleted_at.is_(None), _scope_clause(session, flt)]
    if flt.owner_id:
        clauses.append(Customer.owner_id == flt.owner_id)
    if flt.region:
        clauses.append(Customer.region == flt.region)
    expression = match_expression(flt.text)
    if expression is not None:
        matches = (text("SELECT rowid FROM customer_search WHERE customer_search MATCH :fm_query")
                   .bindparams(fm_query=expression).columns(column("rowid", Integer)))
        found = Customer.rid.in_(matches)
        digits = phone_query(flt.text)
        if digits is not None:
            found = found | with_phone(digits)
        clauses.append(found)
    return clauses



def _contacts_count() -> Any:
    return (select(func.count()).select_from(Contact)
            .where(Contact.customer_id == Customer.id, Contact.deleted_at.is_(None))
            .correlate(Customer).scalar_subquery())


def _last_touchpoint() -> Any:
    # max() over the (customer_id, occurred_at) index is one index seek per customer.
    return type_coerce(select(func.max(Touchpoint.occurred_at)).where(Touchpoint.customer_id == Customer.id)
                       .correlate(Customer).scalar_subquery(), UTCDateTime())


def _owner_name() -> Any:
    return (select(User.display_name).where(User.id == Customer.owner_id)
            .correlate(Customer).scalar_subquery())


def _owner_sort() -> Any:
    return (select(User.name_sort).where(User.id == Customer.owner_id)
            .correlate(Customer).scalar_subquery())


def _sort_keys(sort_column: str) -> list[Any]:
    keys: dict[str, list[Any]] = {
        "name": [Customer.name_sort],
        "short_name": [Customer.short_name],
        "owner": [_owner_sort()],
        "region": [Customer.region, Customer.city],
        "city": [Customer.city],
        "segment": [Customer.segment],
        "status": [Customer.status],
        "contacts": [_contacts_count()],
        "last_touchpoint": [_last_touchpoint()],
    }
    if sort_column not in keys:
        raise ValueError(f"cannot sort by {sort_column!r}")
    # rid last: equal keys keep a stable order, so a refresh does not shuffle the view.
    return [*keys[sort_column], Customer.rid]


def ordered_rids(session: Session, flt: CustomerFilter, sort_column: str = "name",
                 descending: bool = False) -> list[int]:
    """The rid of every live customer matching ``flt``, in display order."""
    keys = _sort_keys(sort_column)
    query: Select[tuple[int]] = select(Customer.rid).where(*_where(session, flt))
    return _ints(session, query.order_by(*(k.desc() if descending else k.asc() for k in keys)))


def _ints(session: Session, query: Select[tuple[int]]) -> list[int]:
    """The first column of query, read straight from the sqlite3 cursor.

    SQLAlchemy builds and compiles the statement; its result layer is skipped because it costs
    about half a microsecond a row, 40-70 ms of a 100k-row list (bench/customer_list.py).
    """
    conn = session.connection()  # begins the session's transaction: the cursor reads its snapshot
    compiled = query.compile(dialect=conn.dialect)
    params = compiled.params
    args = tuple(params[name] for name in compiled.positiontup or ())
    cursor = conn.connection.driver_connection.cursor()
    try:
        return [row[0] for row in cursor.execute(str(compiled), args)]
    finally:
        cursor.close()


def count(session: Session, flt: CustomerFilter) -> int:
    """How many live customers match ``flt``."""
    return session.scalar(select(func.count()).select_from(Customer).where(*_where(session, flt))) or 0


def rows_by_rid(session: Session, rids: Iterable[int]) -> dict[int, CustomerRow]:
    """Display rows for the given rids (a page). Rids that no longer exist are absent."""
    wanted = list(rids)
    if not wanted:
        return {}
    query = (select(Customer.rid, Customer.id, Customer.name, Customer.short_name, Customer.owner_id,
                    func.coalesce(_owner_name(), ""), Customer.region, Customer.city, Customer.segment,
                    Customer.status, _contacts_count(), _last_touchpoint())
             .where(Customer.rid.in_(wanted)))
    return {row[0]: CustomerRow(*row) for row in session.execute(query)}


def owners(session: Session, flt: CustomerFilter) -> list[Owner]:
    """People who own at least one live customer in the filter's scope (for the owner combo).

    Only ``scope`` and ``user`` of the filter count: the combo offers every owner the scope allows.
    """
    scope = _scope_clause(session, flt)
    owns = (select(Customer.rid).where(Customer.owner_id == User.id, Customer.deleted_at.is_(None), scope)
            .correlate(User).exists())
    rows = session.execute(select(User.id, User.display_name).where(owns).order_by(User.name_sort, User.id))
    return [Owner(*row) for row in rows]


def regions(session: Session) -> list[str]:
    """The distinct non-empty regions of customers, sorted.

    A skip scan over the (region, city) index: one seek per region instead of reading 100k entries.
    Regions of deleted customers are included, which keeps the scan inside the index.
    """
    rows = session.connection().exec_driver_sql(
        "WITH RECURSIVE r(region) AS ("
        " SELECT min(region) FROM customers WHERE region > ''"
        " UNION ALL SELECT (SELECT min(region) FROM customers WHERE region > r.region) FROM r"
        " WHERE r.region IS NOT NULL) "
        "SELECT region FROM r WHERE region IS NOT NULL")
    return [row[0] for row in rows]

