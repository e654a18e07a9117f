"""Patient transport: each escalation pages the transport dispatcher once (the raise's number, the page,
when it was settled and what the board says of it).

Revision ID: transport_0002
Revises: transport_0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "transport_0002"
down_revision = "transport_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("transport_escalations") as batch:
        batch.add_column(sa.Column("raised_count", sa.Integer, nullable=False, server_default="1"))
        batch.add_column(sa.Column("page_id", sa.Integer))
        batch.add_column(sa.Column("dispatched_at", sa.DateTime))
        batch.add_column(sa.Column("dispatch", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("transport_escalations") as batch:
        batch.drop_column("dispatch")
        batch.drop_column("dispatched_at")
        batch.drop_column("page_id")
        batch.drop_column("raised_count")
