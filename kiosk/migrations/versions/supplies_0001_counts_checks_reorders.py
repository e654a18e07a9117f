"""Supplies: counts taken at the kiosk, supply checks, and the reorders each check sent.

Revision ID: supplies_0001
Revises: 0001_baseline
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "supplies_0001"
down_revision = "0001_baseline"
branch_labels = ("supplies",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "supply_counts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("location_code", sa.String(20), nullable=False),
        sa.Column("item_code", sa.String(32), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("counted_at", sa.DateTime, nullable=False),
        sa.Column("staff_id", sa.String(60)),
        sa.Column("counted_by", sa.String(120)),
        sa.Column("station", sa.String(60), nullable=False),
    )
    op.create_index("ix_supply_counts_item", "supply_counts", ["location_code", "item_code", "id"])
    op.create_table(
        "supply_checks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime, nullable=False),
        sa.Column("trigger", sa.String(20), nullable=False),
        sa.Column("requested_by", sa.String(120)),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("summary", sa.String(500), nullable=False),
        sa.Column("problem", sa.String(500)),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_index("ix_supply_checks_started_at", "supply_checks", ["started_at"])
    op.create_table(
        "supply_reorders",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("check_id", sa.Integer, sa.ForeignKey("supply_checks.id"), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("location_code", sa.String(20), nullable=False),
        sa.Column("item_code", sa.String(32), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("priority", sa.String(10), nullable=False),
        sa.Column("identifier", sa.String(200), nullable=False),
        sa.Column("fhir_id", sa.String(64)),
        sa.Column("result", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_supply_reorders_check_id", "supply_reorders", ["check_id"])
    op.create_index("ix_supply_reorders_day", "supply_reorders", ["day"])


def downgrade() -> None:
    op.drop_table("supply_reorders")
    op.drop_table("supply_checks")
    op.drop_table("supply_counts")
