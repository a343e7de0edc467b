"""Pinyin sort keys, folded customer names and phone digits, as on the desktop
(migrations/versions/0008, whose reasons this repeats; the server has no search index to rebuild).

The existing rows are filled with the functions the mutations use (desktop.derived), so a row
pulled from the server carries the same values the desktop would compute.

Revision ID: s0008
Revises: s0007
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from desktop import derived

revision = "s0008"
down_revision = "s0007"
branch_labels = None
depends_on = None

COLUMNS = {"customers": ("name_sort", "name_key", "phone_digits"), "contacts": ("name_sort", "phone_digits"),
           "users": ("name_sort",)}
INDEXES = (("ix_customers_name_sort", "customers", "name_sort"), ("ix_customers_name_key", "customers", "name_key"),
           ("ix_customers_phone_digits", "customers", "phone_digits"),
           ("ix_contacts_phone_digits", "contacts", "phone_digits"))


def upgrade() -> None:
    for table, names in COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for name in names:
                batch.add_column(sa.Column(name, sa.Text(), nullable=False, server_default=""))
    bind = op.get_bind()
    sources = {"customers": ("SELECT id, name, phone FROM customers", derived.customer_columns),
               "contacts": ("SELECT id, name, phone FROM contacts", derived.contact_columns),
               "users": ("SELECT id, display_name FROM users", derived.user_columns)}
    for table, (query, make) in sources.items():
        rows = [{"row_id": row[0], **make(*(value or "" for value in row[1:]))}
                for row in bind.execute(sa.text(query))]
        if rows:
            sets = ", ".join(f"{c} = :{c}" for c in COLUMNS[table])
            bind.execute(sa.text(f"UPDATE {table} SET {sets} WHERE id = :row_id"), rows)
    for name, table, column in INDEXES:
        op.create_index(name, table, [column])


def downgrade() -> None:
    for name, table, _column in INDEXES:
        op.drop_index(name, table)
    for table, names in COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for name in names:
                batch.drop_column(name)
