"""The downtime census's words and limits without a server: the board's sentence, the keep time of the
census kept in the database (kiosk.census.store), and when the server was first found unreachable."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk import timeutil
from kiosk.beds.board import Downtime
from kiosk.census.models import CensusCheck, UnitCensus
from kiosk.census.store import CensusStore
from kiosk.config import ConfigError
from kiosk.db import Database
from tests.conftest import make_settings
from tests.support.clock import TestClock

START = datetime(2026, 11, 28, 19, 1, tzinfo=UTC)


@pytest.fixture
def new_york() -> Iterator[None]:
    timeutil.configure("America/New_York")
    yield
    timeutil.configure("")


def test_the_sentence_names_both_times_and_a_day_when_they_differ(new_york: None) -> None:
    same_day = Downtime(unreachable_since=START + timedelta(minutes=1), as_of=START)
    assert same_day.sentence == "FHIR server unreachable since 14:02; census as of 14:01"
    next_day = Downtime(unreachable_since=START + timedelta(hours=12), as_of=START)
    assert next_day.sentence == "FHIR server unreachable since Sun 29 Nov 02:01; census as of Sat 28 Nov 14:01"
    unknown = Downtime(unreachable_since=None, as_of=START)
    assert unknown.sentence == "FHIR server unreachable; census as of 14:01"


@pytest.fixture
def store(tmp_path: Path) -> tuple[CensusStore, TestClock]:
    database = Database(f"sqlite:///{tmp_path / 'kiosk.db'}")
    database.upgrade()
    clock = TestClock(START)
    return CensusStore(database, clock, timedelta(0), keep=timedelta(hours=2)), clock


def keep_census(store: CensusStore, unit_id: str, read_at: datetime, dirty: int = 0) -> None:
    with store.database.session() as db:
        db.add(UnitCensus(unit_id=unit_id, version=1, payload=json.dumps({}), refs="[]", read_at=read_at,
                          dirty=dirty, clean=0))


def test_a_census_last_known_current_longer_ago_than_the_keep_time_is_deleted(
        store: tuple[CensusStore, TestClock]) -> None:
    census, clock = store
    keep_census(census, "old", START - timedelta(hours=3))
    keep_census(census, "recent", START - timedelta(hours=1))
    keep_census(census, "checked", START - timedelta(hours=3))
    assert census.forget_stale() == ["checked", "old"]  # no look yet: their reads are all that counts
    keep_census(census, "checked", START - timedelta(hours=3))
    keep_census(census, "touched", START - timedelta(hours=3), dirty=1)
    with census.database.session() as db:  # a look half an hour ago found nothing that touched them
        db.add(CensusCheck(id=1, since="", seen="[]", checked_at=START - timedelta(minutes=30)))
    assert census.forget_stale() == ["touched"]  # a touched census is as old as its read
    clock.advance(2 * 3600)
    assert census.forget_stale() == ["checked", "recent"]


def test_unreachable_since_is_the_time_of_the_first_failure(
        store: tuple[CensusStore, TestClock]) -> None:
    census, clock = store
    assert census.unreachable_since() is None
    census.unreachable()
    clock.advance(300)
    census.unreachable()
    assert census.unreachable_since() == START


def test_the_keep_time_is_a_setting_with_limits(tmp_path: Path) -> None:
    settings = make_settings("http://127.0.0.1:1/fhir", tmp_path / "k.db", KIOSK_CENSUS_DOWNTIME_KEEP_HOURS="6")
    assert settings.census.downtime_keep_hours == 6
    with pytest.raises(ConfigError, match="downtime_keep_hours"):
        make_settings("http://127.0.0.1:1/fhir", tmp_path / "k.db", KIOSK_CENSUS_DOWNTIME_KEEP_HOURS="0")
