"""Discharge-ready milestones: the ticks of each stay (ride home, prescriptions, teaching...).

Revision ID: discharge_0001
Revises: 0001_baseline
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "discharge_0001"
down_revision = "0001_baseline"
branch_labels = ("discharge",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "discharge_milestones",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("encounter_id", sa.String(64), nullable=False),
        sa.Column("bed_id", sa.String(64), nullable=False),
        sa.Column("milestone_key", sa.String(40), nullable=False),
        sa.Column("done", sa.Boolean, nullable=False),
        sa.Column("ticked_at", sa.DateTime, nullable=False),
        sa.Column("staff_id", sa.String(60)),
        sa.Column("ticked_by", sa.String(120)),
        sa.Column("station", sa.String(60), nullable=False),
    )
    op.create_index("ix_discharge_milestones_encounter", "discharge_milestones",
                    ["encounter_id", "milestone_key", "id"])


def downgrade() -> None:
    op.drop_index("ix_discharge_milestones_encounter", table_name="discharge_milestones")
    op.drop_table("discharge_milestones")
