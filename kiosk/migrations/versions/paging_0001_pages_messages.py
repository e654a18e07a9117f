"""Paging: pages and the messages that carry them (the paging outbox).

Revision ID: paging_0001
Revises: 0001_baseline
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "paging_0001"
down_revision = "0001_baseline"
branch_labels = ("paging",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "paging_pages",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("public_id", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("station_id", sa.String(64), nullable=False),
        sa.Column("requested_by", sa.String(64), nullable=True),
        sa.Column("requested_by_name", sa.String(120), nullable=True),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("urgency", sa.String(10), nullable=False),
        sa.Column("template", sa.String(30), nullable=True),
        sa.Column("free_text", sa.Text(), nullable=False),
        sa.Column("callback", sa.String(40), nullable=False),
        sa.Column("record_text", sa.Text(), nullable=False),
        sa.Column("patient_ref", sa.String(80), nullable=True),
        sa.Column("encounter_ref", sa.String(80), nullable=True),
        sa.Column("about_room", sa.String(40), nullable=True),
        sa.Column("about_initials", sa.String(20), nullable=True),
        sa.Column("recipient_ref", sa.String(80), nullable=False),
        sa.Column("recipient_name", sa.String(120), nullable=False),
        sa.Column("recipient_role", sa.String(120), nullable=False),
        sa.Column("on_call_role", sa.String(40), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("escalation_step", sa.Integer(), nullable=False),
        sa.Column("escalation_note", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("answered_how", sa.String(20), nullable=True),
        sa.Column("answered_by", sa.String(120), nullable=True),
        sa.Column("called_back_at", sa.DateTime(), nullable=True),
        sa.Column("called_back_by", sa.String(120), nullable=True),
        sa.Column("fhir_request_ref", sa.String(80), nullable=True),
        sa.Column("fhir_request_version", sa.String(40), nullable=True),
        sa.Column("fhir_request_written", sa.String(40), nullable=True),
        sa.Column("fhir_pending", sa.Boolean(), nullable=False),
        sa.Column("fhir_claim_token", sa.String(64), nullable=True),
        sa.Column("fhir_claimed_at", sa.DateTime(), nullable=True),
        sa.Column("fhir_attempts", sa.Integer(), nullable=False),
        sa.Column("fhir_next_at", sa.DateTime(), nullable=True),
        sa.Column("fhir_problem", sa.Text(), nullable=True),
        sa.Column("fhir_note", sa.Text(), nullable=True),
    )
    op.create_index("ux_paging_pages_public_id", "paging_pages", ["public_id"], unique=True)
    op.create_index("ix_paging_pages_status", "paging_pages", ["status", "created_at"])
    op.create_index("ix_paging_pages_fhir", "paging_pages", ["fhir_pending", "fhir_next_at"])
    op.create_table(
        "paging_messages",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("page_id", sa.Integer(), sa.ForeignKey("paging_pages.id"), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("recipient_ref", sa.String(80), nullable=False),
        sa.Column("recipient_name", sa.String(120), nullable=False),
        sa.Column("recipient_role", sa.String(120), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("telecom_system", sa.String(10), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("record_text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("claim_token", sa.String(64), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("receipt", sa.String(200), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("ack_used_at", sa.DateTime(), nullable=True),
        sa.Column("communication_ref", sa.String(80), nullable=True),
        sa.Column("communication_version", sa.String(40), nullable=True),
        sa.Column("communication_written", sa.String(40), nullable=True),
    )
    op.create_index("ix_paging_messages_due", "paging_messages", ["status", "next_attempt_at"])
    op.create_index("ux_paging_messages_page_seq", "paging_messages", ["page_id", "seq"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_paging_messages_page_seq", table_name="paging_messages")
    op.drop_index("ix_paging_messages_due", table_name="paging_messages")
    op.drop_table("paging_messages")
    op.drop_index("ix_paging_pages_fhir", table_name="paging_pages")
    op.drop_index("ix_paging_pages_status", table_name="paging_pages")
    op.drop_index("ux_paging_pages_public_id", table_name="paging_pages")
    op.drop_table("paging_pages")
