"""Visits with evidence: visit fields on touchpoints, and the capture rules a sales manager sets.

- ``touchpoints`` gains the visit's type, check-in time and place, the visit it amends, and the
  capture rule (id, version, passed) it was checked against when submitted. Added columns only: the
  table keeps its rows, its rid and its search triggers.
- ``capture_rules``: what evidence a visit needs, per visit type, customer segment or by default
  (desktop.capture_rules). Without a row the built-in default applies (the brief's).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None
# The step as the start-up progress window names it (desktop.migrate.step_names).
summary_zh = "增加拜访与取证规则"
summary_en = "Adding visits and evidence rules"

TS = sa.String(27)  # UTC time as fixed-width text (desktop.types.UTCDateTime)


def upgrade() -> None:
    with op.batch_alter_table("touchpoints", recreate="never") as batch:
        batch.add_column(sa.Column("visit_type", sa.String(16), nullable=False, server_default=""))
        batch.add_column(sa.Column("check_in_at", TS))
        batch.add_column(sa.Column("location", sa.String(200), nullable=False, server_default=""))
        batch.add_column(sa.Column("gps_lat", sa.Float))
        batch.add_column(sa.Column("gps_lon", sa.Float))
        batch.add_column(sa.Column("rule_id", sa.String(36)))
        batch.add_column(sa.Column("rule_version", sa.Integer))
        batch.add_column(sa.Column("rule_passed", sa.Boolean))
    # SQLite adds a column with a reference in place (Alembic would rebuild the table for it).
    op.execute("ALTER TABLE touchpoints ADD COLUMN amends_id VARCHAR(36) REFERENCES touchpoints (id)")
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
    with op.batch_alter_table("touchpoints") as batch:
        for column in ("amends_id", "rule_passed", "rule_version", "rule_id", "gps_lon", "gps_lat", "location",
                       "check_in_at", "visit_type"):
            batch.drop_column(column)
