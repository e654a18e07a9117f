"""Calls: the call-light log.

Revision ID: calls_0001
Revises: 0001_baseline
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "calls_0001"
down_revision = "0001_baseline"
branch_labels = ("calls",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calls_lights",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(64), nullable=False),
        sa.Column("station_id", sa.String(64), nullable=False),
        sa.Column("bed_ref", sa.String(80), nullable=False),
        sa.Column("bed_name", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("emergency", sa.Boolean(), nullable=False),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column("entered_by", sa.String(120), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("answered_how", sa.String(16), nullable=True),
        sa.Column("answered_by", sa.String(120), nullable=True),
        sa.Column("response_seconds", sa.Integer(), nullable=True),
        sa.Column("page_id", sa.Integer(), nullable=True),
        sa.Column("paged_at", sa.DateTime(), nullable=True),
        sa.Column("paged_to", sa.String(120), nullable=True),
    )
    op.create_index("ux_calls_lights_external", "calls_lights", ["source", "external_id"], unique=True)
    op.create_index("ix_calls_lights_open", "calls_lights", ["answered_at", "raised_at"])
    op.create_index("ix_calls_lights_bed", "calls_lights", ["bed_ref", "answered_at"])


def downgrade() -> None:
    op.drop_index("ix_calls_lights_bed", table_name="calls_lights")
    op.drop_index("ix_calls_lights_open", table_name="calls_lights")
    op.drop_index("ux_calls_lights_external", table_name="calls_lights")
    op.drop_table("calls_lights")
