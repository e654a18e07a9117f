"""Orders: the co-signature counts the scheduler keeps for the home screen, and the specimen-label prints
asked for from an order.

Revision ID: orders_0001
Revises: 0001_baseline
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "orders_0001"
down_revision = "0001_baseline"
branch_labels = ("orders",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "orders_cosign_counts",
        sa.Column("unit_id", sa.String(200), primary_key=True),
        sa.Column("awaiting", sa.Integer, nullable=False),
        sa.Column("past_due", sa.Integer, nullable=False),
        sa.Column("counted_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "orders_label_prints",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("order_id", sa.String(64), nullable=False),
        sa.Column("print_token", sa.String(64), nullable=False, unique=True),
        sa.Column("asked_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_orders_label_prints_order_id", "orders_label_prints", ["order_id"])


def downgrade() -> None:
    op.drop_table("orders_label_prints")
    op.drop_table("orders_cosign_counts")
