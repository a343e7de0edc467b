"""The business tables the server shares with the desktop, and the server's own tables.

Revision ID: s0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.String(27)  # UTC time as fixed-width text, as on the desktop


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
        sa.Column("segment", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("phone", sa.String(40), nullable=False),
        sa.Column("credit_limit", sa.String(32)),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("deleted_at", TS),
        sa.Column("version", sa.Integer, nullable=False),
        sa.CheckConstraint(_in("segment", ("key_account", "standard", "channel", "prospect")),
                           name="ck_customers_segment"),
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
        sa.Column("touchpoint_id", sa.String(36), sa.ForeignKey("touchpoints.id", ondelete="CASCADE"),
                  nullable=False),
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
        "server_devices",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("revoked_at", TS),
        sa.Column("last_seen_at", TS),
    )
    op.create_index("ix_server_devices_user_id", "server_devices", ["user_id"])
    op.create_table(
        "server_processed",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("mutation_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("result", sa.JSON, nullable=False),
        sa.Column("processed_at", TS, nullable=False),
        sa.UniqueConstraint("device_id", "seq", name="uq_processed_device_seq"),
    )
    op.create_table(
        "server_change_log",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("table_name", sa.String(32), nullable=False),
        sa.Column("row_id", sa.String(36), nullable=False),
        sa.Column("customer_id", sa.String(36)),
        sa.Column("committed_at", TS, nullable=False),
    )
    op.create_index("ix_change_log_row", "server_change_log", ["table_name", "row_id"])


def downgrade() -> None:
    for table in ("server_change_log", "server_processed", "server_devices", "attachments", "touchpoints",
                  "contacts", "customers", "users"):
        op.drop_table(table)
