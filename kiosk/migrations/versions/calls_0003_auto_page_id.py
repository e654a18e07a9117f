"""Calls: the automatic page of an emergency kept by its own id (a page a person sends about the call later
becomes the call's page), so that it can be closed when the call is answered.

Revision ID: calls_0003
Revises: calls_0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "calls_0003"
down_revision = "calls_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("calls_lights") as batch:
        batch.add_column(sa.Column("auto_page_id", sa.Integer))
    # Rows paged automatically before: the call's page is still the automatic one while its time is.
    op.execute("UPDATE calls_lights SET auto_page_id = page_id WHERE page_id IS NOT NULL "
               "AND auto_paged_at IS NOT NULL AND paged_at = auto_paged_at")


def downgrade() -> None:
    with op.batch_alter_table("calls_lights") as batch:
        batch.drop_column("auto_page_id")
