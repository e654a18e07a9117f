"""What the kiosk keeps of the orders providers disagreed with (kiosk/orders/disagreements.py) on a real
SQLite database, without a server: kept until someone marks them seen, whatever their age; one mark
stands; only this unit's; one disagreement kept for two units (the order's, and the patient's now), each
marking its own; seen ones forgotten once the page no longer lists them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.db import Database
from kiosk.fhir.orders import CosignRecord
from kiosk.orders.disagreements import FORGET_SEEN_AFTER, forget_seen, mark_seen, remember_found, unseen_count
from kiosk.orders.settings import Catalog, OrdersSettings

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
UNIT = "urn:oid:1.2.3|4W"
OTHER = "urn:oid:1.2.3|5E"
SETTINGS = OrdersSettings(catalog=Catalog(), catalog_path=Path("unused.toml"), disagreement_hours=48)


@pytest.fixture
def database(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'kiosk.db'}")
    database.upgrade()
    return database


def refused(task_id: str) -> CosignRecord:
    return CosignRecord(id=task_id, version="2", status="cancelled", order=f"ServiceRequest/o-{task_id}",
                        patient="Patient/p1", owner="Practitioner/iyer", owner_name="Dr. Iyer", due=None,
                        priority="routine", authored_on=None, description="CBC")


def test_a_disagreement_is_counted_until_someone_marks_it_seen_however_old(database: Database) -> None:
    remember_found(database, UNIT, [refused("t1"), refused("t2")], NOW)
    remember_found(database, UNIT, [refused("t2")], NOW + timedelta(minutes=5))  # found again: kept once
    remember_found(database, OTHER, [refused("t9")], NOW)
    assert unseen_count(database, UNIT) == 2
    assert forget_seen(database, SETTINGS, NOW + timedelta(days=30)) == 0  # unseen: never forgotten
    assert unseen_count(database, UNIT) == 2

    assert mark_seen(database, UNIT, "t1", "Dana Reyes", NOW, audited=None) is True
    assert mark_seen(database, UNIT, "t1", "Sam Lee", NOW, audited=None) is False  # the first mark stands
    assert mark_seen(database, UNIT, "t9", "Dana Reyes", NOW, audited=None) is None  # another unit's
    assert mark_seen(database, UNIT, "nope", "Dana Reyes", NOW, audited=None) is None
    assert unseen_count(database, UNIT) == 1

    kept_for = timedelta(hours=SETTINGS.disagreement_hours) + FORGET_SEEN_AFTER
    assert forget_seen(database, SETTINGS, NOW + kept_for - timedelta(minutes=1)) == 0
    assert forget_seen(database, SETTINGS, NOW + kept_for + timedelta(minutes=1)) == 1
    assert unseen_count(database, UNIT) == 1


def test_the_mark_and_its_audit_row_are_one_transaction(database: Database) -> None:
    remember_found(database, UNIT, [refused("t1")], NOW)

    def failing_audit(*_: object) -> None:
        raise RuntimeError("the audit trail refused the row")

    with pytest.raises(RuntimeError):
        mark_seen(database, UNIT, "t1", "Dana Reyes", NOW, audited=failing_audit)
    assert unseen_count(database, UNIT) == 1  # not marked without its audit row


def test_two_units_keep_the_same_disagreement_and_each_marks_its_own(database: Database) -> None:
    """The unit the order was entered on, and the unit the patient is on now."""
    remember_found(database, UNIT, [refused("t1")], NOW)
    remember_found(database, OTHER, [refused("t1")], NOW + timedelta(minutes=5))
    assert unseen_count(database, UNIT) == 1 and unseen_count(database, OTHER) == 1
    assert mark_seen(database, OTHER, "t1", "Sam Lee", NOW, audited=None) is True
    assert unseen_count(database, OTHER) == 0
    assert unseen_count(database, UNIT) == 1  # the other unit's mark is not this one's
    assert mark_seen(database, UNIT, "t1", "Dana Reyes", NOW, audited=None) is True
