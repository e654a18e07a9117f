"""Audit rows name what they are about in words as well as by reference: `entity_label` ('bed 4W-401',
'hospital stay'), written with the row (never patient data), shown on the Audit page instead of a
server id. Older rows have none (their hash does not cover it).

Revision ID: auth_0006
Revises: auth_0005
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "auth_0006"
down_revision = "auth_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no table copy): the append-only triggers stay as they are.
    op.add_column("audit_record", sa.Column("entity_label", sa.String(200)))


def downgrade() -> None:
    op.drop_column("audit_record", "entity_label")
