"""Full-text search over customers and touchpoints, Chinese included (see desktop.search_text).

The indexes are contentless FTS5 tables keyed by the searched table's ``rid``. Triggers (created
by migration 0002) keep them current on every insert, update and delete. Bulk loads of many rows
use :func:`bulk_insert`, which writes the index rows directly: FTS5 fed by one executemany is
about 2.5x faster than the same rows fed one by one through a trigger.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Integer, column, func, select, text
from sqlalchemy.orm import Session

from desktop.models import Contact, Customer, Touchpoint
from desktop.search_text import index_text, match_expression
from desktop.text_rules import fold, phone_digits


@dataclass(frozen=True)
class SearchIndex:
    table: str
    index: str
    columns: tuple[str, ...]  # in the order fm_search_text receives them in the triggers

    @property
    def insert_trigger(self) -> str:
        return f"{self.table}_search_ai"


TOUCHPOINTS = SearchIndex("touchpoints", "touchpoint_search", ("summary", "with_whom", "reaction_note", "next_step"))
CUSTOMERS = SearchIndex("customers", "customer_search",
                        ("name", "short_name", "region", "city", "address", "industry", "notes"))
INDEXES = {i.table: i for i in (TOUCHPOINTS, CUSTOMERS)}


def bulk_insert(session: Session, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]],
                bodies: Sequence[str] | None = None) -> None:
    """Insert many rows into a searched table and index them, inside the caller's transaction.

    ``bodies``, when given, are the rows' search texts (:func:`index_row`) made ahead, perhaps in
    another process. The insert trigger is dropped and re-created within the same transaction (its SQL is read back
    from the schema, so it cannot drift from the migration), hence a crash leaves either all or none.
    """
    spec = INDEXES[table]
    conn = session.connection()
    trigger_sql = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (spec.insert_trigger,)).scalar_one()
    first = (conn.exec_driver_sql(f"SELECT max(rid) FROM {table}").scalar() or 0) + 1
    if bodies is None:
        at = [list(columns).index(c) for c in spec.columns]
        bodies = [index_text(*(row[i] for i in at)) for row in rows]
    conn.exec_driver_sql(f"DROP TRIGGER {spec.insert_trigger}")
    conn.exec_driver_sql(
        f"INSERT INTO {table} (rid, {', '.join(columns)}) VALUES ({', '.join('?' * (len(columns) + 1))})",
        [(first + n, *row) for n, row in enumerate(rows)])
    conn.exec_driver_sql(
        f"INSERT INTO {spec.index} (rowid, body) VALUES (?, ?)",
        [(first + n, body) for n, body in enumerate(bodies)])
    conn.exec_driver_sql(trigger_sql)


def index_row(table: str, columns: Sequence[str], row: Sequence[Any]) -> str:
    """The search text of one raw row of a searched table, as the triggers would make it."""
    spec = INDEXES[table]
    return index_text(*(row[columns.index(c)] for c in spec.columns))


def search_touchpoints(session: Session, query: str, *, limit: int = 50) -> list[Touchpoint]:
    """Touchpoints whose text contains every term of query, most recently recorded first."""
    expression = match_expression(query)
    if expression is None:
        return []
    rids = session.execute(
        text("SELECT rowid FROM touchpoint_search WHERE touchpoint_search MATCH :q ORDER BY rowid DESC LIMIT :n"),
        {"q": expression, "n": limit}).scalars().all()
    if not rids:
        return []
    rows = session.scalars(select(Touchpoint).where(Touchpoint.rid.in_(rids))).all()
    return sorted(rows, key=lambda t: t.rid, reverse=True)


def search_customer_touchpoints(session: Session, customer_id: str, query: str, *,
                                limit: int = 200) -> list[Touchpoint]:
    """One customer's touchpoints whose text contains every term of query, newest first (by occurred_at).

    FTS5 walks the query terms' doclists once, and SQLite keeps the rowids that belong to the
    customer (its rids come from the (customer_id, occurred_at) index). The ``+rowid`` is deliberate:
    it keeps the membership test out of FTS5, which would otherwise run the whole query once per
    candidate rowid — measured at 1M touchpoints: 20 µs to 3 ms per candidate, i.e. seconds for a
    customer with a thousand touchpoints, against 3-25 ms for one pass over the doclists
    (bench/customer_list.py).
    """
    matches = _customer_matches(customer_id, query)
    if matches is None:
        return []
    return list(session.scalars(
        select(Touchpoint).where(Touchpoint.customer_id == customer_id, Touchpoint.rid.in_(matches))
        .order_by(Touchpoint.occurred_at.desc(), Touchpoint.rid.desc()).limit(limit)))


def count_customer_touchpoints(session: Session, customer_id: str, query: str, *where: Any) -> int:
    """How many of a customer's touchpoints :func:`search_customer_touchpoints` matches, with no limit
    (``where``: further conditions on Touchpoint, e.g. what the viewer may see)."""
    matches = _customer_matches(customer_id, query)
    if matches is None:
        return 0
    return session.scalar(select(func.count()).select_from(Touchpoint).where(
        Touchpoint.customer_id == customer_id, Touchpoint.rid.in_(matches), *where)) or 0


def _customer_matches(customer_id: str, query: str):
    expression = match_expression(query)
    if expression is None:
        return None
    return (text("SELECT rowid FROM touchpoint_search WHERE touchpoint_search MATCH :fm_q "
                 "AND +rowid IN (SELECT rid FROM touchpoints WHERE customer_id = :fm_c)")
            .bindparams(fm_q=expression, fm_c=customer_id).columns(column("rowid", Integer)))


def search_customers(session: Session, query: str, *, limit: int = 50) -> list[Customer]:
    """Live customers whose profile contains every term of query, newest first."""
    expression = match_expression(query)
    if expression is None:
        return []
    rows = session.execute(
        select(Customer)
        .from_statement(text(
            "SELECT customers.* FROM customer_search JOIN customers ON customers.rid = customer_search.rowid "
            "WHERE customer_search MATCH :q AND customers.deleted_at IS NULL "
            "ORDER BY customer_search.rowid DESC LIMIT :n")),
        {"q": expression, "n": limit}).scalars().all()
    return list(rows)


def rebuild(session: Session) -> None:
    """Re-index every searched table from scratch (after a change to the search text's rules)."""
    conn = session.connection()
    for spec in INDEXES.values():
        conn.exec_driver_sql(f"INSERT INTO {spec.index}({spec.index}) VALUES ('delete-all')")
        # One statement: the rows stream through the triggers' own function, none is held in memory.
        conn.exec_driver_sql(f"INSERT INTO {spec.index} (rowid, body) "
                             f"SELECT rid, fm_search_text({', '.join(spec.columns)}) FROM {spec.table}")


# ---- Customers by phone number: what a rep types when a customer calls

PHONE_CHARS = frozenset("0123456789 -+()")
MIN_PHONE_DIGITS = 3


def phone_query(query: str) -> str | None:
    """The digits to look phone numbers up by, when the query is a phone number or the start of one.

    Full-width digits count (NFKC), spaces, dashes and brackets are ignored and +86 or 0086 is dropped,
    as desktop.text_rules.phone_digits does for the stored numbers.
    """
    folded = fold(query).strip()
    if not folded or not set(folded) <= PHONE_CHARS:
        return None
    digits = phone_digits(folded)
    return digits if len(digits) >= MIN_PHONE_DIGITS else None


def _starts(digits_column: Any, digits: str) -> ColumnElement[bool]:
    # A range rather than LIKE 'digits%': an index seek on phone_digits whatever the collation.
    return (digits_column >= digits) & (digits_column < digits + ":")  # ":" follows "9"


def with_phone(digits: str) -> ColumnElement[bool]:
    """Customers whose own phone, or a live contact's, starts with digits (two index range scans)."""
    return _starts(Customer.phone_digits, digits) | Customer.id.in_(
        select(Contact.customer_id).where(_starts(Contact.phone_digits, digits), Contact.deleted_at.is_(None)))
