"""Wrong PINs counted per client across badges (with the alerts administrators see), and the time of the
page's last touch report on each session.

Revision ID: auth_0005
Revises: auth_0004
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "auth_0005"
down_revision = "auth_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_client",
        sa.Column("client", sa.String(64), primary_key=True),
        sa.Column("tat", sa.Float, nullable=False, server_default="0"),
        sa.Column("wait_until", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "sign_in_alert",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("client", sa.String(64), nullable=False, index=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
        sa.Column("longest_wait_seconds", sa.Integer, nullable=False, server_default="0"),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True)),
        sa.Column("acknowledged_by", sa.String(120)),
    )
    with op.batch_alter_table("staff_session") as batch:
        batch.add_column(sa.Column("touch_reported_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("staff_session") as batch:
        batch.drop_column("touch_reported_at")
    op.drop_table("sign_in_alert")
    op.drop_table("sign_in_client")
