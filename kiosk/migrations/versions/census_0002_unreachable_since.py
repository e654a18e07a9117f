"""The downtime census: when the FHIR server was first found unreachable (cleared when it answers).

Revision ID: census_0002
Revises: census_0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "census_0002"
down_revision = "census_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("census_check") as batch:
        batch.add_column(sa.Column("unreachable_since", sa.DateTime, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("census_check") as batch:
        batch.drop_column("unreachable_since")
