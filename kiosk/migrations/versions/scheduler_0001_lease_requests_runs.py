"""Scheduler: the lease that keeps one scheduler running, run-now requests, and the run log.

Revision ID: scheduler_0001
Revises: 0001_baseline
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "scheduler_0001"
down_revision = "0001_baseline"
branch_labels = ("scheduler",)
depends_on = None


def upgrade() -> None:
    lease = op.create_table(
        "scheduler_lease",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("holder", sa.String(160)),
        sa.Column("host", sa.String(120)),
        sa.Column("pid", sa.Integer),
        sa.Column("started_at", sa.DateTime),
        sa.Column("heartbeat_at", sa.DateTime),
        sa.Column("expires_at", sa.DateTime),
    )
    op.bulk_insert(lease, [{"name": "scheduler"}])
    op.create_table(
        "scheduler_job_requests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("job", sa.String(60), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("requested_at", sa.DateTime, nullable=False),
        sa.Column("requested_by", sa.String(120)),
        sa.Column("station", sa.String(60)),
        sa.Column("claimed_by", sa.String(160)),
        sa.Column("started_at", sa.DateTime),
        sa.Column("finished_at", sa.DateTime),
        sa.Column("result", sa.String(500)),
    )
    op.create_index("ix_scheduler_job_requests_job", "scheduler_job_requests", ["job"])
    op.create_index("ix_scheduler_job_requests_status", "scheduler_job_requests", ["status"])
    op.create_table(
        "scheduler_job_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("job", sa.String(60), nullable=False),
        sa.Column("trigger", sa.String(20), nullable=False),
        sa.Column("scheduler", sa.String(160), nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime, nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("summary", sa.String(500), nullable=False),
    )
    op.create_index("ix_scheduler_job_runs_job", "scheduler_job_runs", ["job"])


def downgrade() -> None:
    op.drop_table("scheduler_job_runs")
    op.drop_table("scheduler_job_requests")
    op.drop_table("scheduler_lease")
