"""The shared census: each unit's census as last read, and the change check's mark.

Revision ID: census_0001
Revises: 0001_baseline
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "census_0001"
down_revision = "0001_baseline"
branch_labels = ("census",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unit_census",
        sa.Column("unit_id", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("refs", sa.Text, nullable=False),
        sa.Column("read_at", sa.DateTime, nullable=False),
        sa.Column("dirty", sa.Integer, nullable=False),
        sa.Column("clean", sa.Integer, nullable=False),
    )
    op.create_table(
        "census_check",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("since", sa.String(40), nullable=False),
        sa.Column("seen", sa.Text, nullable=False),
        sa.Column("checked_at", sa.DateTime),
    )


def downgrade() -> None:
    op.drop_table("census_check")
    op.drop_table("unit_census")
