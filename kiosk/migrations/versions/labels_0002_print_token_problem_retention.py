"""Labels: a one-time print token per print form (a second POST of the same form finds the first job),
the kind of problem a job met (for plain-language status), and when its label bytes were removed.

Revision ID: labels_0002
Revises: labels_0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "labels_0002"
down_revision = "labels_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("labels_print_jobs") as batch:
        batch.add_column(sa.Column("print_token", sa.String(64), nullable=True))
        batch.add_column(sa.Column("problem", sa.String(16), nullable=True))
        batch.add_column(sa.Column("payload_removed_at", sa.DateTime(), nullable=True))
    op.create_index("ux_labels_print_jobs_token", "labels_print_jobs", ["print_token"], unique=True)
    op.create_index("ix_labels_print_jobs_retention", "labels_print_jobs", ["payload_removed_at", "updated_at"])


def downgrade() -> None:
    op.drop_index("ix_labels_print_jobs_retention", table_name="labels_print_jobs")
    op.drop_index("ux_labels_print_jobs_token", table_name="labels_print_jobs")
    with op.batch_alter_table("labels_print_jobs") as batch:
        batch.drop_column("payload_removed_at")
        batch.drop_column("problem")
        batch.drop_column("print_token")
