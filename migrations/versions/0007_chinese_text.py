"""Chinese text: pinyin sort keys, folded names for the duplicate check, phone digits, NFKC search.

Customers, contacts and users get ``name_sort`` (desktop.sort_keys); customers also ``name_key``
(the duplicate check's folded name) and both customers and contacts ``phone_digits`` (phone search).
Existing rows are filled here with the same functions the mutations use (desktop.derived). The
search text is now NFKC-folded (desktop.search_text), so both search indexes are rebuilt: a
contentless FTS5 index can only delete a row given the exact text it was indexed with.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from desktop import derived

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

CUSTOMER_TEXT = "fm_search_text(name, short_name, region, city, address, industry, notes)"
TOUCHPOINT_TEXT = "fm_search_text(summary, with_whom, reaction_note, next_step)"
COLUMNS = {"customers": ("name_sort", "name_key", "phone_digits"), "contacts": ("name_sort", "phone_digits"),
           "users": ("name_sort",)}
INDEXES = (("ix_customers_name_sort", "customers", "name_sort"), ("ix_customers_name_key", "customers", "name_key"),
           ("ix_customers_phone_digits", "customers", "phone_digits"),
           ("ix_contacts_phone_digits", "contacts", "phone_digits"))


def fill(bind: sa.Connection) -> None:
    """Every row's derived columns, as the mutations would compute them."""
    sources = {"customers": ("SELECT id, name, phone FROM customers", derived.customer_columns),
               "contacts": ("SELECT id, name, phone FROM contacts", derived.contact_columns),
               "users": ("SELECT id, display_name FROM users", derived.user_columns)}
    for table, (query, make) in sources.items():
        rows = [{"row_id": row[0], **make(*(value or "" for value in row[1:]))}
                for row in bind.execute(sa.text(query))]
        if rows:
            sets = ", ".join(f"{c} = :{c}" for c in COLUMNS[table])
            bind.execute(sa.text(f"UPDATE {table} SET {sets} WHERE id = :row_id"), rows)


def add_columns() -> None:
    for table, names in COLUMNS.items():
        with op.batch_alter_table(table, recreate="never") as batch:
            for name in names:
                batch.add_column(sa.Column(name, sa.Text(), nullable=False, server_default=""))


def upgrade() -> None:
    add_columns()
    fill(op.get_bind())
    for name, table, column in INDEXES:
        op.create_index(name, table, [column])
    for table, index, body in (("customers", "customer_search", CUSTOMER_TEXT),
                               ("touchpoints", "touchpoint_search", TOUCHPOINT_TEXT)):
        op.execute(f"INSERT INTO {index}({index}) VALUES ('delete-all')")
        op.execute(f"INSERT INTO {index}(rowid, body) SELECT rid, {body} FROM {table}")


def downgrade() -> None:
    for name, table, _column in INDEXES:
        op.drop_index(name, table)
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+): recreating customers would cascade-delete its contacts.
    for table, names in COLUMNS.items():
        with op.batch_alter_table(table, recreate="never") as batch:
            for name in names:
                batch.drop_column(name)
