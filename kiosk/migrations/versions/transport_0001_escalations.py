"""Patient transport: the jobs the scheduler escalated because nobody accepted them within their target.

Revision ID: transport_0001
Revises: 0001_baseline
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "transport_0001"
down_revision = "0001_baseline"
branch_labels = ("transport",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "transport_escalations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("task_id", sa.String(64), nullable=False, unique=True),
        sa.Column("unit_id", sa.String(64), nullable=False),
        sa.Column("priority", sa.String(10), nullable=False),
        sa.Column("origin", sa.String(120), nullable=False),
        sa.Column("destination", sa.String(120), nullable=False),
        sa.Column("due_by", sa.DateTime, nullable=False),
        sa.Column("raised_at", sa.DateTime, nullable=False),
        sa.Column("cleared_at", sa.DateTime),
        sa.Column("cleared_why", sa.String(40)),
    )
    op.create_index("ix_transport_escalations_unit_id", "transport_escalations", ["unit_id"])
    op.create_index("ix_transport_escalations_cleared_at", "transport_escalations", ["cleared_at"])


def downgrade() -> None:
    op.drop_table("transport_escalations")
