"""Orders: the orders providers disagreed with, kept until someone on the unit marks them seen (the
co-signature's and the patient's ids, when found, who saw it and when).

Revision ID: orders_0003
Revises: orders_0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "orders_0003"
down_revision = "orders_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "orders_disagreements",
        sa.Column("task_id", sa.String(64), primary_key=True),
        sa.Column("unit_id", sa.String(200), nullable=False),
        sa.Column("patient", sa.String(100), nullable=True),
        sa.Column("found_at", sa.DateTime, nullable=False),
        sa.Column("seen_by", sa.String(120), nullable=True),
        sa.Column("seen_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_orders_disagreements_unit_id", "orders_disagreements", ["unit_id"])


def downgrade() -> None:
    op.drop_table("orders_disagreements")
