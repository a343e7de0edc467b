"""Core tables: users, customers, contacts, touchpoints, attachments, device, outbox, audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None
# The step as the start-up progress window names it (desktop.migrate.step_names).
summary_zh = "建立基本数据表"
summary_en = "Creating the core tables"

TS = sa.String(27)  # UTC time as fixed-width text (desktop.types.UTCDateTime)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("territory", sa.String(64), nullable=False),
        sa.Column("team", sa.String(64), nullable=False),
        sa.Column("manager_id", sa.String(36), sa.ForeignKey("users.id")),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.CheckConstraint(_in("role", ("field_rep", "key_account_director", "channel_manager", "sales_manager",
                                        "finance", "finance_director", "service_engineer", "admin")),
                           name="ck_users_role"),
    )
    op.create_table(
        "customers",
        sa.Column("rid", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(36), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("short_name", sa.String(50), nullable=False),
        sa.Column("owner_id", sa.String(36), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("city", sa.String(32), nullable=False),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("industry", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("phone", sa.String(40), nullable=False),
        sa.Column("credit_limit", sa.String(32)),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("deleted_at", TS),
        sa.Column("version", sa.Integer, nullable=False),
        sa.CheckConstraint(_in("status", ("active", "dormant", "lost")), name="ck_customers_status"),
    )
    op.create_index("ix_customers_owner", "customers", ["owner_id"])
    op.create_index("ix_customers_name", "customers", ["name"])
    op.create_index("ix_customers_region_city", "customers", ["region", "city"])
    op.create_table(
        "contacts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("customer_id", sa.String(36), sa.ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("decision_role", sa.String(20), nullable=False),
        sa.Column("phone", sa.String(40), nullable=False),
        sa.Column("wechat", sa.String(64), nullable=False),
        sa.Column("email", sa.String(200), nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("last_reached_at", TS),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("deleted_at", TS),
        sa.Column("version", sa.Integer, nullable=False),
        sa.CheckConstraint(_in("decision_role", ("decision_maker", "technical", "purchasing", "user", "influencer")),
                           name="ck_contacts_decision_role"),
    )
    op.create_index("ix_contacts_customer", "contacts", ["customer_id"])
    op.create_table(
        "touchpoints",
        sa.Column("rid", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(36), nullable=False, unique=True),
        sa.Column("customer_id", sa.String(36), sa.ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("contact_id", sa.String(36), sa.ForeignKey("contacts.id", ondelete="SET NULL")),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("occurred_at", TS, nullable=False),
        sa.Column("with_whom", sa.String(200), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("reaction", sa.String(16), nullable=False),
        sa.Column("reaction_note", sa.Text, nullable=False),
        sa.Column("next_step", sa.Text, nullable=False),
        sa.Column("next_step_due", TS),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.CheckConstraint(_in("channel", ("visit", "call", "wechat", "email", "file_sent", "meeting")),
                           name="ck_touchpoints_channel"),
        sa.CheckConstraint(_in("reaction", ("positive", "neutral", "negative", "unknown")),
                           name="ck_touchpoints_reaction"),
        sa.CheckConstraint(_in("status", ("draft", "submitted")), name="ck_touchpoints_status"),
    )
    op.create_index("ix_touchpoints_customer_time", "touchpoints", ["customer_id", "occurred_at"])
    op.create_index("ix_touchpoints_user_time", "touchpoints", ["user_id", "occurred_at"])
    op.create_table(
        "attachments",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("touchpoint_id", sa.String(36), sa.ForeignKey("touchpoints.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("label", sa.String(32), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("mime", sa.String(100), nullable=False),
        sa.Column("duration_s", sa.Float),
        sa.Column("taken_at", TS),
        sa.Column("gps_lat", sa.Float),
        sa.Column("gps_lon", sa.Float),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.CheckConstraint(_in("kind", ("photo", "audio", "document")), name="ck_attachments_kind"),
    )
    op.create_index("ix_attachments_touchpoint", "attachments", ["touchpoint_id"])
    op.create_index("ix_attachments_sha256", "attachments", ["sha256"])
    op.create_table(
        "device_state",
        sa.Column("singleton", sa.Integer, primary_key=True),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("device_code", sa.String(16), nullable=False),
        sa.Column("next_seq", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.CheckConstraint("singleton = 1", name="ck_device_state_singleton"),
    )
    op.create_table(
        "outbox",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("mutation_id", sa.String(36), nullable=False, unique=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("args", sa.JSON, nullable=False),
        sa.Column("base_version", sa.Integer),
        sa.Column("schema_version", sa.String(32), nullable=False),
        sa.Column("client_time", TS, nullable=False),
        sa.Column("actor_id", sa.String(36), nullable=False),
        sa.Column("changes", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("result", sa.JSON),
        sa.CheckConstraint(_in("status", ("pending", "applied", "rejected")), name="ck_outbox_status"),
    )
    op.create_index("ix_outbox_status", "outbox", ["status", "seq"])
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor_id", sa.String(36), nullable=False),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("entity_id", sa.String(36), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
    )
    # Append-only: the database itself refuses edits and deletions. (Someone with the file can drop
    # these triggers; desktop.audit.verify_chain detects what they then change.)
    op.execute("CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
               "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")
    op.execute("CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
               "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")


def downgrade() -> None:
    for table in ("audit_log", "outbox", "device_state", "attachments", "touchpoints", "contacts", "customers", "users"):
        op.drop_table(table)
