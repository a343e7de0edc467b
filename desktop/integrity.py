"""Consistency checks over a whole database: the audit chain and the outbox's account of every row."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop import audit
from desktop.models import DATA_TABLES, OutboxEntry


def outbox_accounting(session: Session) -> list[str]:
    """Problems found when matching every row's version against the outbox entries that touched it.

    Each local change bumps a row's version and is one outbox entry naming that version, so a row's
    entries must be consecutive and end at its current version: starting at 1 with an insert when the
    row was made here, or at 2 when it arrived at version 1 from the server. A row with no entry must
    still be at version 1. Anything else is a change that bypassed the mutation path.
    """
    touched: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for changes in session.scalars(select(OutboxEntry.changes)):
        for table, row_id, op, version in changes["rows"]:
            touched.setdefault((table, row_id), []).append((version, op))
    problems = []
    for table in DATA_TABLES:
        for row_id, version in session.connection().exec_driver_sql(f"SELECT id, version FROM {table}"):
            entries = sorted(touched.pop((table, row_id), []))
            if not entries:
                if version != 1:
                    problems.append(f"{table} {row_id} is at version {version} but no outbox entry changed it")
                continue
            versions = [v for v, _ in entries]
            first = 1 if entries[0][1] == "insert" else 2
            if versions != list(range(first, version + 1)):
                problems.append(f"{table} {row_id} is at version {version}; outbox accounts for {versions}")
    problems.extend(f"outbox names {table} {row_id}, which does not exist" for table, row_id in touched)
    return problems


def check(session: Session) -> list[str]:
    """Every problem found: a broken audit chain and unaccounted row changes."""
    report = audit.verify_chain(session)
    problems = [] if report.ok else [f"audit log broken at entry {report.broken_at}: {report.reason}"]
    return problems + outbox_accounting(session)
