"""Orders: a disagreement is kept per unit (the unit the order was entered on, and the unit its patient is
on now), each marking its own: the primary key is the co-signature's id and the unit.

Revision ID: orders_0004
Revises: orders_0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "orders_0004"
down_revision = "orders_0003"
branch_labels = None
depends_on = None

COLUMNS = "task_id, unit_id, patient, found_at, seen_by, seen_at"


def _table(name: str, key: tuple[str, ...]) -> None:
    op.create_table(
        name,
        sa.Column("task_id", sa.String(64), nullable=False),
        sa.Column("unit_id", sa.String(200), nullable=False),
        sa.Column("patient", sa.String(100), nullable=True),
        sa.Column("found_at", sa.DateTime, nullable=False),
        sa.Column("seen_by", sa.String(120), nullable=True),
        sa.Column("seen_at", sa.DateTime, nullable=True),
        sa.PrimaryKeyConstraint(*key, name=f"pk_orders_disagreements_{'_'.join(key)}"),
    )


def _rebuild(key: tuple[str, ...]) -> None:
    """The table again with `key` as its primary key, its rows copied (SQLite cannot change a key in place)."""
    _table("orders_disagreements_new", key)
    op.execute(f"INSERT INTO orders_disagreements_new ({COLUMNS}) SELECT {COLUMNS} FROM orders_disagreements")
    op.drop_index("ix_orders_disagreements_unit_id", table_name="orders_disagreements")
    op.drop_table("orders_disagreements")
    op.rename_table("orders_disagreements_new", "orders_disagreements")
    op.create_index("ix_orders_disagreements_unit_id", "orders_disagreements", ["unit_id"])


def upgrade() -> None:
    _rebuild(("task_id", "unit_id"))


def downgrade() -> None:
    """One row per disagreement again: of a task kept for several units, the row nobody marked seen is kept
    (the earliest found of them), so that a unit not yet told stays told."""
    rows = op.get_bind().execute(sa.text(
        "SELECT task_id, unit_id FROM orders_disagreements "
        "ORDER BY task_id, CASE WHEN seen_by IS NULL THEN 0 ELSE 1 END, found_at, unit_id")).all()
    first: dict[str, str] = {}
    for task_id, unit_id in rows:
        first.setdefault(task_id, unit_id)
    for task_id, unit_id in rows:
        if first[task_id] != unit_id:
            op.get_bind().execute(sa.text("DELETE FROM orders_disagreements WHERE task_id = :t AND unit_id = :u"),
                                  {"t": task_id, "u": unit_id})
    _rebuild(("task_id",))
