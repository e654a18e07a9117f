"""A migrated kiosk database in a temporary file, for unit tests of services."""

from __future__ import annotations

from pathlib import Path

from kiosk.db import Database


def migrated_database(path: Path) -> Database:
    database = Database(f"sqlite:///{path}")
    database.upgrade()
    return database
