"""Chinese text: pinyin sort keys, folded names for the duplicate check, phone digits, NFKC search.

Customers, contacts and users get ``name_sort`` (desktop.sort_keys); customers also ``name_key``
(the duplicate check's folded name) and both customers and contacts ``phone_digits`` (phone search).
Existing rows are filled here with the rules the mutations use (desktop.derived), through the SQL
functions every connection registers (desktop.store), as 0002 fills the search index. The
search text is now NFKC-folded (desktop.search_text), so both search indexes are rebuilt: a
contentless FTS5 index can only delete a row given the exact text it was indexed with.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

CUSTOMER_TEXT = "fm_search_text(name, short_name, region, city, address, industry, notes)"
TOUCHPOINT_TEXT = "fm_search_text(summary, with_whom, reaction_note, next_step)"
COLUMNS = {"customers": ("name_sort", "name_key", "phone_digits"), "contacts": ("name_sort", "phone_digits"),
           "users": ("name_sort",)}
INDEXES = (("ix_customers_name_sort", "customers", "name_sort"), ("ix_customers_name_key", "customers", "name_key"),
           ("ix_customers_phone_digits", "customers", "phone_digits"),
           ("ix_contacts_phone_digits", "contacts", "phone_digits"))


# The SQL functions every Fieldmark connection registers (desktop.store), i.e. desktop.derived's rules.
FILL = ("UPDATE customers SET name_sort = fm_company_key(name), name_key = fm_name_key(name), "
        "phone_digits = fm_phone_digits(phone)",
        "UPDATE contacts SET name_sort = fm_person_key(name), phone_digits = fm_phone_digits(phone)",
        "UPDATE users SET name_sort = fm_person_key(display_name)")


def add_columns() -> None:
    for table, names in COLUMNS.items():
        with op.batch_alter_table(table, recreate="never") as batch:
            for name in names:
                batch.add_column(sa.Column(name, sa.Text(), nullable=False, server_default=""))


def upgrade() -> None:
    add_columns()
    for statement in FILL:  # no search trigger fires: none watches the new columns
        op.execute(statement)
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
