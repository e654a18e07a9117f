"""The audit trail's hash chain (kiosk/audit/chain.py): every row's place and hash, the chain's head,
existing rows hashed in id order; REPLACE / UPSERT / TRUNCATE refused as UPDATE and DELETE already are.

Revision ID: auth_0004
Revises: auth_0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kiosk.audit.chain import GENESIS, HASHED, HEAD_ID, row_hash

revision = "auth_0004"
down_revision = "auth_0003"
branch_labels = None
depends_on = None

APPEND_ONLY = "the audit trail is append-only"


def upgrade() -> None:
    op.create_table(
        "audit_chain",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.add_column("audit_record", sa.Column("chain_seq", sa.Integer))
    op.add_column("audit_record", sa.Column("row_hash", sa.String(64)))
    op.create_index("ix_audit_record_chain_seq", "audit_record", ["chain_seq"], unique=True)
    bind = op.get_bind()
    dialect = bind.dialect.name
    _allow_updates(dialect, True)
    seq, previous = _hash_existing(bind)
    _allow_updates(dialect, False)
    bind.execute(sa.text("INSERT INTO audit_chain (id, seq, hash) VALUES (:id, :seq, :hash)"),
                 {"id": HEAD_ID, "seq": seq, "hash": previous})
    _refuse_rewrites(dialect)


def _hash_existing(bind: sa.Connection) -> tuple[int, str]:
    """Every existing row in id order (the order they were written), chained from the start."""
    record = sa.table("audit_record", sa.column("id", sa.Integer), sa.column("at", sa.DateTime(timezone=True)),
                      sa.column("intent_id", sa.Integer), sa.column("chain_seq", sa.Integer),
                      sa.column("row_hash", sa.String),
                      *(sa.column(name, sa.String) for name in HASHED if name not in ("at", "intent_id")))
    hashed = [record.c[name] for name in ("id", *HASHED)]
    rows = bind.execute(sa.select(*hashed).order_by(record.c.id)).mappings().all()
    seq, previous = 0, GENESIS
    for row in rows:
        seq += 1
        previous = row_hash(previous, seq, dict(row))
        bind.execute(sa.update(record).where(record.c.id == row["id"])
                     .values(chain_seq=seq, row_hash=previous))
    return seq, previous


def _allow_updates(dialect: str, allow: bool) -> None:
    """Lift the append-only trigger for the migration's own UPDATE of the new columns, then restore it."""
    if dialect == "sqlite":
        if allow:
            op.execute("DROP TRIGGER audit_record_no_update")
        else:
            op.execute("CREATE TRIGGER audit_record_no_update BEFORE UPDATE ON audit_record "
                       f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END")
    elif dialect == "postgresql":
        op.execute(f"ALTER TABLE audit_record {'DISABLE' if allow else 'ENABLE'} TRIGGER audit_record_append_only")


def _refuse_rewrites(dialect: str) -> None:
    if dialect == "sqlite":
        # INSERT OR REPLACE deletes the row it collides with without firing the DELETE trigger (unless
        # recursive_triggers is on), so an insert that would collide is refused before it happens.
        op.execute(
            "CREATE TRIGGER audit_record_no_replace BEFORE INSERT ON audit_record "
            "WHEN EXISTS (SELECT 1 FROM audit_record WHERE id = NEW.id OR chain_seq = NEW.chain_seq "
            "OR intent_id = NEW.intent_id) "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
        )
    elif dialect == "postgresql":
        # INSERT ... ON CONFLICT DO UPDATE fires the UPDATE trigger; TRUNCATE fires no row trigger.
        op.execute("CREATE TRIGGER audit_record_no_truncate BEFORE TRUNCATE ON audit_record "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER audit_record_no_replace")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER audit_record_no_truncate ON audit_record")
    op.drop_index("ix_audit_record_chain_seq", "audit_record")
    op.drop_column("audit_record", "row_hash")
    op.drop_column("audit_record", "chain_seq")
    op.drop_table("audit_chain")
