"""Consistency checks over a whole database: audit chain, outbox accounting, derived columns."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop import audit, derived
from desktop.models import DATA_TABLES, OutboxEntry, SyncedRow


def outbox_accounting(session: Session) -> list[str]:
    """Problems found when matching every row's version against the changes that account for it.

    Each local change bumps a row's version and is one outbox entry naming that version, so a row's
    entries must be consecutive and end at its current version: starting at 1 with an insert when the
    row was made here, or at 2 when it arrived at version 1 from the server (a snapshot, or a pulled
    row). A row with no entry must still be at version 1. Anything else is a change that bypassed
    the mutation path.

    Rows from the server carry versions counted there: other users' and devices' changes, and this
    device's own once the server applied them. desktop.remote records in ``sync_rows`` the version at
    which the server last sent a row, whenever it is not 1. For such a row the server's version is
    the starting point: the entries that account for versions above it must be consecutive up to the
    row's current version (pending changes applied on top, or changes made since), and entries at or
    below it are history the server has folded in. The row may not be below the server's version.
    So a write that bumps a pulled row without an outbox entry is still caught; only the server's
    own count is taken on trust, as the server's data is.

    An entry whose effect was undone (rejected by the server; undone to lie under a pulled page and
    not yet applied again) names no rows (desktop.remote keeps its ``rows`` to what it accounts for
    *now*). A row the server told us to forget has a record with no version: entries may still name
    it, but it must be gone. A record at a version for a row that does not exist is a deletion
    nobody accounted for.
    """
    touched: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for changes in session.scalars(select(OutboxEntry.changes)):
        for table, row_id, op, version in changes["rows"]:
            touched.setdefault((table, row_id), []).append((version, op))
    served: dict[tuple[str, str], int | None] = {
        (r.table_name, r.row_id): r.version for r in session.scalars(select(SyncedRow))}
    problems = []
    for table in DATA_TABLES:
        for row_id, version in session.connection().exec_driver_sql(f"SELECT id, version FROM {table}"):
            key = (table, row_id)
            entries = sorted(touched.pop(key, []))
            if key in served:
                base = served.pop(key)
                if base is None:
                    problems.append(f"{table} {row_id} is here though the server said to forget it")
                    continue
                since = [v for v, _ in entries if v > base]
                if version < base or since != list(range(base + 1, version + 1)):
                    problems.append(f"{table} {row_id} is at version {version}; the server sent version {base} "
                                    f"and the outbox accounts for {since} since")
                continue
            if not entries:
                if version != 1:
                    problems.append(f"{table} {row_id} is at version {version} but no outbox entry changed it")
                continue
            versions = [v for v, _ in entries]
            first = 1 if entries[0][1] == "insert" else 2
            if versions != list(range(first, version + 1)):
                problems.append(f"{table} {row_id} is at version {version}; outbox accounts for {versions}")
    # Rows that are gone: fine when their last entry deleted them and the entries before it are complete.
    for (table, row_id), entries in touched.items():
        entries.sort()
        base = served.pop((table, row_id), 0)
        if base is None:
            continue  # forgotten by the server's word
        if not _deleted(entries, base):
            problems.append(f"outbox names {table} {row_id}, which does not exist")
    problems.extend(f"the server sent {table} {row_id} at version {version}, but it does not exist"
                    for (table, row_id), version in served.items() if version is not None)
    return problems


def _deleted(entries: list[tuple[int, str]], base: int) -> bool:
    """Whether entries (sorted by version) account for a row up to its deletion: consecutive from the
    row's start (1 with an insert made here, else 2, or the server's version + 1) to a final delete."""
    if not entries or entries[-1][1] != "delete":
        return False
    first = base + 1 if base else (1 if entries[0][1] == "insert" else 2)
    versions = [v for v, _ in entries if v >= first]
    return versions == list(range(first, entries[-1][0] + 1))


def derived_columns(session: Session) -> list[str]:
    """Rows whose stored sort keys, folded names or phone digits are not what desktop.derived computes
    from their current values: a write path that bypassed the mutations without filling them."""
    conn = session.connection()
    sources = (("customers", "SELECT id, name, phone, name_sort, name_key, phone_digits FROM customers",
                derived.customer_columns, 2),
               ("contacts", "SELECT id, name, phone, name_sort, phone_digits FROM contacts",
                derived.contact_columns, 2),
               ("users", "SELECT id, display_name, name_sort FROM users", derived.user_columns, 1))
    problems = []
    for table, query, make, inputs in sources:
        for row in conn.exec_driver_sql(query):
            expected = tuple(make(*(value or "" for value in row[1:1 + inputs])).values())
            if tuple(row[1 + inputs:]) != expected:
                problems.append(f"{table} {row[0]}: derived columns {tuple(row[1 + inputs:])!r}, expected {expected!r}")
    return problems


def check(session: Session) -> list[str]:
    """Every problem found: a broken audit chain, unaccounted row changes, stale derived columns."""
    report = audit.verify_chain(session)
    problems = [] if report.ok else [f"audit log broken at entry {report.broken_at}: {report.reason}"]
    return problems + outbox_accounting(session) + derived_columns(session)
