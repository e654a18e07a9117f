"""One station clock for every time a person sees."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from kiosk import timeutil
from kiosk.config import ConfigError, load_settings


@pytest.fixture
def new_york() -> Iterator[None]:
    timeutil.configure("America/New_York")
    yield
    timeutil.configure("")


def test_an_evening_in_new_york_is_still_that_day(new_york: None) -> None:
    late = datetime(2026, 11, 27, 2, 30, tzinfo=UTC)  # 21:30 on the 26th in New York
    assert timeutil.local_date(late) == date(2026, 11, 26)
    assert timeutil.today(late) == date(2026, 11, 26)
    assert timeutil.local(late).strftime("%H:%M") == "21:30"
    assert timeutil.local(datetime(2026, 11, 27, 2, 30)).strftime("%H:%M") == "21:30"  # naive = UTC


def test_a_wrong_zone_stops_start_up() -> None:
    with pytest.raises(ConfigError, match=r"station\.timezone"):
        load_settings(env={"KIOSK_STATION_TIMEZONE": "Mars/Olympus_Mons"})
    assert load_settings(env={"KIOSK_STATION_TIMEZONE": "Europe/Berlin"}).station.timezone == "Europe/Berlin"
