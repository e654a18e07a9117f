"""Calls: an emergency nobody answered or paged is paged by the scheduler (what the row says of it, and
when that was settled).

Revision ID: calls_0002
Revises: calls_0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "calls_0002"
down_revision = "calls_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls_lights") as batch:
        batch.add_column(sa.Column("auto_page", sa.String(500)))
        batch.add_column(sa.Column("auto_paged_at", sa.DateTime))


def downgrade() -> None:
    with op.batch_alter_table("calls_lights") as batch:
        batch.drop_column("auto_paged_at")
        batch.drop_column("auto_page")
