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

from desktop.migrate import in_batches, report

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None
# The step as the start-up progress window names it (desktop.migrate.step_names).
summary_zh = "补全排序与查找字段，重建搜索索引"
summary_en = "Filling sort and search columns, rebuilding the search indexes"

CUSTOMER_TEXT = "fm_search_text(name, short_name, region, city, address, industry, notes)"
TOUCHPOINT_TEXT = "fm_search_text(summary, with_whom, reaction_note, next_step)"
COLUMNS = {"customers": ("name_sort", "name_key", "phone_digits"), "contacts": ("name_sort", "phone_digits"),
           "users": ("name_sort",)}
INDEXES = (("ix_customers_name_sort", "customers", "name_sort"), ("ix_customers_name_key", "customers", "name_key"),
           ("ix_customers_phone_digits", "customers", "phone_digits"),
           ("ix_contacts_phone_digits", "contacts", "phone_digits"))


# The SQL functions every Fieldmark connection registers (desktop.store), i.e. desktop.derived's rules;
# run a rowid range at a time (desktop.migrate.in_batches) so the start-up window can show progress.
FILL = (("customers", "UPDATE customers SET name_sort = fm_company_key(name), name_key = fm_name_key(name), "
         "phone_digits = fm_phone_digits(phone) WHERE rowid BETWEEN :low AND :high", "客户", "customers"),
        ("contacts", "UPDATE contacts SET name_sort = fm_person_key(name), phone_digits = fm_phone_digits(phone) "
         "WHERE rowid BETWEEN :low AND :high", "联系人", "contacts"),
        ("users", "UPDATE users SET name_sort = fm_person_key(display_name) WHERE rowid BETWEEN :low AND :high",
         "用户", "users"))
SEARCH = (("customers", "customer_search", CUSTOMER_TEXT, "客户", "customer"),
          ("touchpoints", "touchpoint_search", TOUCHPOINT_TEXT, "拜访记录", "touchpoint"))


def add_columns() -> None:
    for table, names in COLUMNS.items():
        with op.batch_alter_table(table, recreate="never") as batch:
            for name in names:
                batch.add_column(sa.Column(name, sa.Text(), nullable=False, server_default=""))


def upgrade() -> None:
    bind = op.get_bind()
    add_columns()
    # Progress in proportion to the rows each phase goes through (a search row costs about what a fill does).
    rows = {table: bind.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("customers", "contacts", "users", "touchpoints")}
    total = max(1, sum(rows[t] for t, *_ in FILL) + sum(rows[t] for t, *_ in SEARCH))
    done = 0
    for table, statement, zh, en in FILL:  # no search trigger fires: none watches the new columns
        in_batches(bind, table, statement, f"计算{zh}的排序与查找字段", f"Computing the {en}' sort and search keys",
                           start=done / total, share=rows[table] / total)
        done += rows[table]
    report(done / total, "建立查找索引", "Building the lookup indexes")
    for name, table, column in INDEXES:
        op.create_index(name, table, [column])
    for table, index, body, zh, en in SEARCH:
        op.execute(f"INSERT INTO {index}({index}) VALUES ('delete-all')")
        in_batches(bind, table, f"INSERT INTO {index}(rowid, body) SELECT rid, {body} FROM {table} "
                           "WHERE rowid BETWEEN :low AND :high", f"重建{zh}搜索索引", f"Rebuilding the {en} search index",
                           start=done / total, share=rows[table] / total)
        done += rows[table]


def downgrade() -> None:
    for name, table, _column in INDEXES:
        op.drop_index(name, table)
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+): recreating customers would cascade-delete its contacts.
    for table, names in COLUMNS.items():
        with op.batch_alter_table(table, recreate="never") as batch:
            for name in names:
                batch.drop_column(name)
