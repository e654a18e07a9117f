"""Badge lockouts: counted under a hash of the badge, with the time of the last failure so that old
failures are forgotten.

Revision ID: auth_0002
Revises: auth_0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "auth_0002"
down_revision = "auth_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Counters keyed by the typed badge text are dropped: they are short-lived by nature.
    op.execute("DELETE FROM badge_lockout")
    with op.batch_alter_table("badge_lockout") as batch:
        batch.alter_column("badge", type_=sa.String(80))
        batch.add_column(sa.Column("last_failure", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("badge_lockout") as batch:
        batch.drop_column("last_failure")
