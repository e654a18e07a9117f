"""Orders: the order numbers being sent to the FHIR server right now (one row while a send is under way),
so that the two requests of a double tap send one order on any server.

Revision ID: orders_0002
Revises: orders_0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "orders_0002"
down_revision = "orders_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "orders_sends_in_flight",
        sa.Column("number", sa.String(40), primary_key=True),
        sa.Column("token", sa.String(32), nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("orders_sends_in_flight")
