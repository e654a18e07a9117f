"""Shifts on the station's clock: which one a moment is in, across midnight and a change of summer time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from kiosk import timeutil
from kiosk.whiteboard.settings import WhiteboardSettings
from kiosk.whiteboard.shifts import next_shift, previous_shift, shift_at

TWO = WhiteboardSettings().shifts
THREE = WhiteboardSettings(shift_names=("Day", "Evening", "Night"), shift_starts=("07:00", "15:00", "23:00")).shifts


@pytest.fixture(autouse=True)
def chicago() -> Iterator[None]:
    timeutil.configure("America/Chicago")
    yield
    timeutil.configure("")


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timeutil.station_zone()).astimezone(UTC)


def test_day_and_night_and_the_night_that_began_yesterday() -> None:
    assert shift_at(local("2026-11-28 07:00"), TWO).key == "2026-11-28-day"
    assert shift_at(local("2026-11-28 18:59"), TWO).key == "2026-11-28-day"
    night = shift_at(local("2026-11-28 19:00"), TWO)
    assert night.key == "2026-11-28-night"
    assert shift_at(local("2026-11-29 06:59"), TWO) == night
    assert night.label == "Night shift, Sat 28 Nov, 19:00–07:00" and night.short == "Night 28 Nov"
    assert next_shift(night, TWO).key == "2026-11-29-day"
    assert previous_shift(night, TWO).key == "2026-11-28-day"
    assert previous_shift(shift_at(local("2026-11-29 08:00"), TWO), TWO) == night


def test_three_shifts_and_a_change_of_summer_time() -> None:
    assert [shift_at(local(f"2026-11-28 {h}"), THREE).name for h in ("06:00", "07:00", "15:00", "23:30")] == \
        ["Night", "Day", "Evening", "Night"]
    # Summer time ends in Chicago on 1 Nov 2026 at 02:00: that night shift lasts nine hours.
    night = shift_at(local("2026-10-31 23:30"), THREE)
    assert (night.end - night.start).total_seconds() == 9 * 3600
