"""The call-light figures: shifts in the station's zone, nearest-rank percentiles, and the chart."""

from __future__ import annotations

from datetime import datetime

import pytest

from kiosk import timeutil
from kiosk.calls.figures import Answered, chart, percentile, recent_shifts, shift_at, shift_by_key, shift_figures
from kiosk.calls.settings import CallsSettings

SETTINGS = CallsSettings()


@pytest.fixture(autouse=True)
def new_york() -> None:
    timeutil.configure("America/New_York")
    yield
    timeutil.configure("")


def test_percentiles_are_nearest_rank() -> None:
    assert percentile([], 90) is None
    assert percentile([5.0], 90) == 5.0
    assert percentile([float(m) for m in range(1, 11)], 90) == 9.0
    assert percentile([1, 1, 2, 3, 4, 6, 8, 10], 90) == 10
    assert percentile([4, 1, 3, 2], 50) == 2


def test_shifts_follow_the_station_clock_past_midnight() -> None:
    night = shift_at(datetime.fromisoformat("2026-11-29T05:30:00"), SETTINGS)  # 00:30 in New York
    assert (night.name, night.key) == ("Night", "2026-11-28-night")
    assert night.start.hour == 19 and night.end.hour == 7 and night.end.day == 29
    day = shift_at(datetime.fromisoformat("2026-11-29T12:00:00"), SETTINGS)  # 07:00 sharp: the day shift
    assert day.key == "2026-11-29-day"
    assert shift_by_key("2026-11-28-night", SETTINGS) == night
    assert shift_by_key("2026-11-28-evening", SETTINGS) is None and shift_by_key("x-day", SETTINGS) is None
    keys = [s.key for s in recent_shifts(datetime.fromisoformat("2026-11-29T12:00:00"), SETTINGS, 4)]
    assert keys == ["2026-11-29-day", "2026-11-28-night", "2026-11-28-day", "2026-11-27-night"]


def test_figures_by_reason_and_their_chart() -> None:
    shift = shift_at(datetime.fromisoformat("2026-11-29T15:00:00"), SETTINGS)
    calls = [Answered("pain", 120), Answered("pain", 600), Answered("bathroom", 60), Answered("emergency", None)]
    figures = shift_figures(shift, calls)
    assert (figures.total.calls, figures.total.answered, figures.total.median_minutes) == (4, 3, 2.0)
    pain = next(f for f in figures.by_reason if f.label == "Pain")
    assert (pain.calls, pain.median_minutes, pain.p90_minutes) == (2, 6.0, 10.0)
    drawn = chart(figures)
    assert [r.label for r in drawn.rows][:3] == ["All calls", "Pain", "Bathroom"]
    longest = max(bar.width for row in drawn.rows for bar in row.bars)
    assert longest == next(b for b in drawn.rows[1].bars if b.kind == "p90").width  # pain's 90th is the longest
    assert [label for _, label in drawn.ticks] == ["0", "2", "4", "6", "8", "10"]
    assert drawn.rows[-1].count == "1 call, 1 open"
