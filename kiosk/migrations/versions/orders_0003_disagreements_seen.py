"""Orders: the unit is told when a provider disagrees with an order: who on the unit saw it, and the
disagreements the co-signature job last found (for the home screen).

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
        "orders_disagreements_seen",
        sa.Column("task_id", sa.String(64), primary_key=True),
        sa.Column("seen_by", sa.String(120), nullable=False),
        sa.Column("seen_at", sa.DateTime, nullable=False),
    )
    with op.batch_alter_table("orders_cosign_counts") as batch:
        batch.add_column(sa.Column("disagreements", sa.Text, nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("orders_cosign_counts") as batch:
        batch.drop_column("disagreements")
    op.drop_table("orders_disagreements_seen")
