"""Labels: the print queue.

Revision ID: labels_0001
Revises: 0001_baseline
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "labels_0001"
down_revision = "0001_baseline"
branch_labels = ("labels",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "labels_print_jobs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("station_id", sa.String(64), nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=True),
        sa.Column("patient_id", sa.String(64), nullable=True),
        sa.Column("encounter_id", sa.String(64), nullable=True),
        sa.Column("label_type", sa.String(32), nullable=False),
        sa.Column("copies", sa.Integer(), nullable=False),
        sa.Column("printer_id", sa.String(64), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("dpi", sa.Integer(), nullable=False),
        sa.Column("media_rotated", sa.Boolean(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("payload_sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("claim_token", sa.String(64), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("printed_at", sa.DateTime(), nullable=True),
        sa.Column("receipt", sa.String(200), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("reprint_reason", sa.String(32), nullable=True),
        sa.Column("test_label", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_labels_print_jobs_due", "labels_print_jobs", ["status", "next_attempt_at"])
    op.create_index("ix_labels_print_jobs_patient", "labels_print_jobs", ["patient_id", "encounter_id", "label_type"])


def downgrade() -> None:
    op.drop_index("ix_labels_print_jobs_patient", table_name="labels_print_jobs")
    op.drop_index("ix_labels_print_jobs_due", table_name="labels_print_jobs")
    op.drop_table("labels_print_jobs")
