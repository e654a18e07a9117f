"""What the home screen's orders panel counts (kiosk/orders/counts.py) on a real SQLite database, without a
server: disagreements nobody on the unit marked seen, found by the job or made at this kiosk, and a mark
that is made once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiosk.db import Database
from kiosk.orders.counts import add_disagreement, latest_count, mark_seen, seen_marks, store_count

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
UNIT = "urn:oid:1.2.3|4W"


@pytest.fixture
def database(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'kiosk.db'}")
    database.upgrade()
    return database


def test_the_home_screen_counts_the_disagreements_nobody_marked_seen(database: Database) -> None:
    assert latest_count(database, UNIT) is None
    add_disagreement(database, UNIT, "t1", NOW)  # made at this kiosk before the job ever counted
    count = latest_count(database, UNIT)
    assert count is not None and (count.awaiting, count.unseen_disagreements) == (0, 1)
    store_count(database, UNIT, 3, 1, NOW, ["t1", "t2"])
    add_disagreement(database, UNIT, "t2", NOW)  # already known: counted once
    count = latest_count(database, UNIT)
    assert count is not None and (count.awaiting, count.past_due, count.unseen_disagreements) == (3, 1, 2)

    assert mark_seen(database, "t1", "Dana Reyes", NOW)
    assert not mark_seen(database, "t1", "Sam Lee", NOW)  # the first mark stands
    assert seen_marks(database, ["t1", "t2"]) == {"t1": ("Dana Reyes", NOW)}
    count = latest_count(database, UNIT)
    assert count is not None and count.unseen_disagreements == 1
    store_count(database, UNIT, 3, 1, NOW, [])  # out of the window: no longer counted
    count = latest_count(database, UNIT)
    assert count is not None and count.unseen_disagreements == 0
