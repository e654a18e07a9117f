"""Every migration runs on PostgreSQL as on SQLite, and the schema ends where the models say."""

from __future__ import annotations

from sqlalchemy import inspect

from kiosk.db import Base, Database


def test_the_migrations_run_on_postgresql_and_match_the_models(postgres_url: str) -> None:
    database = Database(postgres_url)
    try:
        database.upgrade()
        assert database.is_current()
        database.upgrade()  # safe to run at every start
        tables = set(inspect(database.engine).get_table_names())
    finally:
        database.dispose()
    assert set(Base.metadata.tables) <= tables
