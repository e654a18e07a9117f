"""Room readiness: the ticks of each bed's checklist before an admission or transfer in.

Revision ID: readiness_0001
Revises: 0001_baseline
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "readiness_0001"
down_revision = "0001_baseline"
branch_labels = ("readiness",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "readiness_checks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("bed_id", sa.String(64), nullable=False),
        sa.Column("encounter_id", sa.String(64), nullable=False),
        sa.Column("item_key", sa.String(40), nullable=False),
        sa.Column("done", sa.Boolean, nullable=False),
        sa.Column("checked_at", sa.DateTime, nullable=False),
        sa.Column("staff_id", sa.String(60)),
        sa.Column("checked_by", sa.String(120)),
        sa.Column("station", sa.String(60), nullable=False),
    )
    op.create_index("ix_readiness_checks_bed", "readiness_checks", ["bed_id", "encounter_id", "item_key", "id"])


def downgrade() -> None:
    op.drop_index("ix_readiness_checks_bed", table_name="readiness_checks")
    op.drop_table("readiness_checks")
