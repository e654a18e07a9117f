"""Staff accounts, sessions, badge lockouts; the append-only audit trail and its AuditEvent outbox.

Revision ID: auth_0001
Revises: 0001_baseline
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "auth_0001"
down_revision = "0001_baseline"
branch_labels = ("auth",)
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "staff_account",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("badge", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(120), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("practitioner_ref", sa.String(200)),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("pin_hash", sa.String(200), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("pin_changed_at", TZ, nullable=False),
    )
    op.create_index("ix_staff_account_badge", "staff_account", ["badge"], unique=True)
    op.create_table(
        "badge_lockout",
        sa.Column("badge", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("locked_until", TZ),
    )
    op.create_table(
        "staff_session",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("staff_id", sa.Integer, nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("last_activity", TZ, nullable=False),
        sa.Column("locked", sa.Boolean, nullable=False),
        sa.Column("ended_at", TZ),
        sa.Column("return_to", sa.String(300)),
    )
    op.create_index("ix_staff_session_staff_id", "staff_session", ["staff_id"])
    op.create_table(
        "audit_record",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", TZ, nullable=False),
        sa.Column("station", sa.String(64), nullable=False),
        sa.Column("actor_badge", sa.String(64)),
        sa.Column("actor_name", sa.String(120)),
        sa.Column("actor_role", sa.String(32)),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("patient", sa.String(120)),
        sa.Column("entity", sa.String(200)),
        sa.Column("detail", sa.Text),
    )
    for column in ("at", "actor_badge", "action", "patient"):
        op.create_index(f"ix_audit_record_{column}", "audit_record", [column])
    op.create_table(
        "audit_delivery",
        sa.Column("record_id", sa.Integer, primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("claimed_at", TZ),
        sa.Column("sent_at", TZ),
        sa.Column("fhir_id", sa.String(64)),
        sa.Column("last_error", sa.String(300)),
    )
    op.create_index("ix_audit_delivery_state", "audit_delivery", ["state"])
    _append_only("audit_record")


def _append_only(table: str) -> None:
    """The database itself refuses to change or delete audit rows."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'the audit trail is append-only'; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
        )


def downgrade() -> None:
    for table in ("audit_delivery", "audit_record", "staff_session", "badge_lockout", "staff_account"):
        op.drop_table(table)
