"""Audit intents: a row written before a write to the outside world (outcome 'pending'), closed by a
new row that names it (`intent_id`); at most one outcome per intent.

Revision ID: auth_0003
Revises: auth_0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "auth_0003"
down_revision = "auth_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (no table copy): the append-only triggers stay as they are.
    op.add_column("audit_record", sa.Column("intent_id", sa.Integer))
    op.create_index("ix_audit_record_intent_id", "audit_record", ["intent_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_audit_record_intent_id", "audit_record")
    op.drop_column("audit_record", "intent_id")
