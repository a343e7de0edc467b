"""Visits with evidence, as on the desktop (migrations/versions/0004): visit fields on touchpoints and
the capture rules table.

Revision ID: s0002
Revises: s0001
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "s0002"
down_revision = "s0001"
branch_labels = None
depends_on = None

TS = sa.String(27)  # UTC time as fixed-width text, as on the desktop


def upgrade() -> None:
    op.add_column("touchpoints", sa.Column("visit_type", sa.String(16), nullable=False, server_default=""))
    op.add_column("touchpoints", sa.Column("check_in_at", TS))
    op.add_column("touchpoints", sa.Column("location", sa.String(200), nullable=False, server_default=""))
    op.add_column("touchpoints", sa.Column("gps_lat", sa.Float))
    op.add_column("touchpoints", sa.Column("gps_lon", sa.Float))
    op.add_column("touchpoints", sa.Column("rule_id", sa.String(36)))
    op.add_column("touchpoints", sa.Column("rule_version", sa.Integer))
    op.add_column("touchpoints", sa.Column("rule_passed", sa.Boolean))
    if op.get_bind().dialect.name == "sqlite":  # adds a column with a reference in place
        op.execute("ALTER TABLE touchpoints ADD COLUMN amends_id VARCHAR(36) REFERENCES touchpoints (id)")
    else:
        op.add_column("touchpoints", sa.Column("amends_id", sa.String(36)))
        op.create_foreign_key(None, "touchpoints", "touchpoints", ["amends_id"], ["id"])
    op.create_index("ix_touchpoints_channel_time", "touchpoints", ["channel", "occurred_at"])
    op.create_table(
        "capture_rules",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("scope_value", sa.String(32), nullable=False),
        sa.Column("required_labels", sa.JSON, nullable=False),
        sa.Column("min_audio_s", sa.Float),
        sa.Column("photo_window_h", sa.Float),
        sa.Column("max_file_mb", sa.Float),
        sa.Column("no_photo_reuse", sa.Boolean, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("updated_by", sa.String(36), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.CheckConstraint("scope IN ('default', 'visit_type', 'segment')", name="ck_capture_rules_scope"),
        sa.UniqueConstraint("scope", "scope_value", name="uq_capture_rules_scope"),
    )


def downgrade() -> None:
    op.drop_table("capture_rules")
    op.drop_index("ix_touchpoints_channel_time", "touchpoints")
    for column in ("amends_id", "rule_passed", "rule_version", "rule_id", "gps_lon", "gps_lat", "location",
                   "check_in_at", "visit_type"):
        op.drop_column("touchpoints", column)
