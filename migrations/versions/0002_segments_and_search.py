"""Customer segment, and full-text search over customers and touchpoints (Chinese-aware).

Adds ``customers.segment`` with its CHECK constraint, which SQLite can only do by rebuilding the
table (batch mode; foreign keys are off during migrations so the rebuild cannot cascade-delete
contacts and touchpoints), then creates the search indexes and fills them from existing rows.
The indexed text comes from the ``fm_search_text`` SQL function (desktop.search_text), which
every Fieldmark connection registers.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None
# The step as the start-up progress window names it (desktop.migrate.step_names).
summary_zh = "增加客户分级，建立搜索索引"
summary_en = "Adding customer segments and the search indexes"

CUSTOMER_TEXT = "fm_search_text({p}.name, {p}.short_name, {p}.region, {p}.city, {p}.address, {p}.industry, {p}.notes)"
TOUCHPOINT_TEXT = "fm_search_text({p}.summary, {p}.with_whom, {p}.reaction_note, {p}.next_step)"


def _search_index(table: str, index: str, text: str, columns: str) -> None:
    new, old = text.format(p="new"), text.format(p="old")
    op.execute(f"CREATE VIRTUAL TABLE {index} USING fts5(body, content='', columnsize=0, "
               "tokenize='unicode61 remove_diacritics 2')")
    op.execute(f"CREATE TRIGGER {table}_search_ai AFTER INSERT ON {table} BEGIN "
               f"INSERT INTO {index}(rowid, body) VALUES (new.rid, {new}); END")
    op.execute(f"CREATE TRIGGER {table}_search_ad AFTER DELETE ON {table} BEGIN "
               f"INSERT INTO {index}({index}, rowid, body) VALUES ('delete', old.rid, {old}); END")
    op.execute(f"CREATE TRIGGER {table}_search_au AFTER UPDATE OF {columns} ON {table} BEGIN "
               f"INSERT INTO {index}({index}, rowid, body) VALUES ('delete', old.rid, {old}); "
               f"INSERT INTO {index}(rowid, body) VALUES (new.rid, {new}); END")
    op.execute(f"INSERT INTO {index}(rowid, body) SELECT rid, {text.format(p=table)} FROM {table}")


def upgrade() -> None:
    with op.batch_alter_table("customers", recreate="always") as batch:
        batch.add_column(sa.Column("segment", sa.String(16), nullable=False, server_default="standard"))
        batch.create_check_constraint(
            "ck_customers_segment", "segment IN ('key_account', 'standard', 'channel', 'prospect')")
    _search_index("customers", "customer_search", CUSTOMER_TEXT,
                  "name, short_name, region, city, address, industry, notes")
    _search_index("touchpoints", "touchpoint_search", TOUCHPOINT_TEXT,
                  "summary, with_whom, reaction_note, next_step")


def downgrade() -> None:
    for table, index in (("touchpoints", "touchpoint_search"), ("customers", "customer_search")):
        for suffix in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_search_{suffix}")
        op.execute(f"DROP TABLE IF EXISTS {index}")
    with op.batch_alter_table("customers", recreate="always") as batch:
        batch.drop_constraint("ck_customers_segment", type_="check")
        batch.drop_column("segment")
