"""Labels: the printer's own word on a job ("Printer paused"), and the print server's id of a sent job that
the print-retry job follows until the printer confirms it.

Revision ID: labels_0003_confirmation
Revises: labels_0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "labels_0003_confirmation"
down_revision = "labels_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("labels_print_jobs") as batch:
        batch.add_column(sa.Column("printer_reason", sa.String(200), nullable=True))
        batch.add_column(sa.Column("printer_job", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("labels_print_jobs") as batch:
        batch.drop_column("printer_job")
        batch.drop_column("printer_reason")
