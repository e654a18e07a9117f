"""The audit trail on each database the kiosk runs on: SQLite and PostgreSQL (a fresh database per test)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.db import Database


@pytest.fixture(params=["sqlite", "postgresql"])
def any_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated kiosk database: SQLite in a file, or a fresh PostgreSQL database."""
    url = f"sqlite:///{tmp_path / 'kiosk.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    database = Database(url)
    database.upgrade()
    yield database
    database.dispose()
