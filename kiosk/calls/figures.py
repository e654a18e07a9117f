"""The call-light figures per shift: how many calls, and the median and 90th percentile minutes to
answer, in all and by reason, with a bar chart drawn on the server (SVG, no script).

Shifts are the day and night shifts of config/calls.toml in the station's time zone; a shift's calls are
those raised in it. Percentiles use the nearest-rank method (the 90th percentile of 10 answers is the
9th fastest): no interpolation between answers that did not happen. Calls not answered yet are
counted but have no time to answer.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from kiosk import timeutil
from kiosk.figures import nearest_rank

from .models import Reason
from .settings import CallsSettings


def _zone() -> tzinfo:
    return timeutil.station_zone() or datetime.now().astimezone().tzinfo  # type: ignore[return-value]


@dataclass(frozen=True)
class Shift:
    name: str  # 'Day', 'Night'
    start: datetime  # aware, the station's time zone
    end: datetime

    @property
    def key(self) -> str:
        return f"{self.start.date().isoformat()}-{self.name.lower()}"

    @property
    def label(self) -> str:
        return f"{self.name} shift {self.start:%a %d %b}, {self.start:%H:%M} to {self.end:%H:%M}"


def _starts(around: date, settings: CallsSettings) -> list[tuple[datetime, str]]:
    day, night = settings.shift_starts()
    zone = _zone()
    out = [(datetime.combine(around + timedelta(days=offset), clock, tzinfo=zone), name)
           for offset in (-1, 0, 1, 2) for name, clock in (("Day", day), ("Night", night))]
    return sorted(out)


def shift_at(moment: datetime, settings: CallsSettings) -> Shift:
    """The shift `moment` (UTC, naive or aware) falls in."""
    local = timeutil.local(moment)
    starts = _starts(local.date(), settings)
    index = max(i for i, (start, _) in enumerate(starts) if start <= local)
    return Shift(starts[index][1], starts[index][0], starts[index + 1][0])


def shift_by_key(key: str, settings: CallsSettings) -> Shift | None:
    """The shift a key names ('2026-11-28-day'), or None for anything else."""
    day_text, _, name = key.rpartition("-")
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        return None
    for i, (start, shift_name) in enumerate(starts := _starts(day, settings)):
        if start.date() == day and shift_name.lower() == name:
            return Shift(shift_name, start, starts[i + 1][0])
    return None


def recent_shifts(now: datetime, settings: CallsSettings, count: int = 6) -> list[Shift]:
    """This shift and the ones before it, newest first."""
    shifts = [shift_at(now, settings)]
    while len(shifts) < count:
        shifts.append(shift_at(shifts[-1].start - timedelta(minutes=1), settings))
    return shifts


def percentile(values: list[float], q: float) -> float | None:
    """The nearest-rank percentile with q from 0 to 100 (kiosk.figures), or None when there are none."""
    return nearest_rank(values, q / 100)


@dataclass(frozen=True)
class Figures:
    label: str
    calls: int
    answered: int
    median_minutes: float | None
    p90_minutes: float | None


@dataclass(frozen=True)
class Answered:
    """One call as the figures need it: no bed, no patient."""

    reason: str
    response_seconds: int | None


def figures_of(label: str, calls: list[Answered]) -> Figures:
    minutes = [c.response_seconds / 60 for c in calls if c.response_seconds is not None]
    return Figures(label, len(calls), len(minutes), statistics.median(minutes) if minutes else None,
                   percentile(minutes, 90))


@dataclass(frozen=True)
class ShiftFigures:
    shift: Shift
    total: Figures
    by_reason: list[Figures]  # every reason, in the order of the touch grid


def shift_figures(shift: Shift, calls: list[Answered]) -> ShiftFigures:
    return ShiftFigures(shift, figures_of("All calls", calls),
                        [figures_of(r.label, [c for c in calls if c.reason == r.value]) for r in Reason])


# ---------------------------------------------------------------- the chart


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    kind: str  # median, p90
    text: str  # the minutes written at the end of the bar


@dataclass(frozen=True)
class ChartRow:
    y: float  # the middle of the row
    label: str
    count: str
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    label_width: int
    rows: tuple[ChartRow, ...]
    ticks: tuple[tuple[float, str], ...]  # (x, minutes) of the scale's lines
    bottom: float

    @property
    def title(self) -> str:
        return "Minutes to answer a call, by reason: median and 90th percentile"


CHART_WIDTH, LABEL_WIDTH, ROW, BAR, TOP = 760, 170, 44, 14, 10


def _nice_scale(largest: float) -> float:
    for step in (5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 360, 480, 720):
        if largest <= step:
            return float(step)
    return float(math.ceil(largest / 60) * 60)


def chart(figures: ShiftFigures) -> Chart:
    """Horizontal bars per reason: the median above the 90th percentile, on one scale of minutes."""
    rows = [figures.total, *figures.by_reason]
    largest = max([f.p90_minutes or 0 for f in rows] + [f.median_minutes or 0 for f in rows] + [1])
    scale = _nice_scale(largest)
    plot = CHART_WIDTH - LABEL_WIDTH - 70

    def length(minutes: float | None) -> float:
        return 0.0 if minutes is None else max(2.0, round(minutes / scale * plot, 1))

    out = []
    for index, f in enumerate(rows):
        middle = TOP + index * ROW + ROW / 2
        bars = []
        if f.median_minutes is not None:
            bars.append(Bar(LABEL_WIDTH, middle - BAR - 1, length(f.median_minutes), BAR, "median",
                            f"{f.median_minutes:.1f}"))
        if f.p90_minutes is not None:
            bars.append(Bar(LABEL_WIDTH, middle + 1, length(f.p90_minutes), BAR, "p90", f"{f.p90_minutes:.1f}"))
        count = f"{f.calls} call{'s' if f.calls != 1 else ''}" + (f", {f.calls - f.answered} open"
                                                                   if f.calls > f.answered else "")
        out.append(ChartRow(middle, f.label, count, tuple(bars)))
    bottom = TOP + len(rows) * ROW
    step = next(s for s in (1, 2, 5, 10, 15, 30, 60, 120, 240) if scale / s <= 6)
    ticks = tuple((LABEL_WIDTH + plot * m / scale, f"{m:g}") for m in range(0, int(scale) + 1, step))
    return Chart(CHART_WIDTH, int(bottom + 46), LABEL_WIDTH, tuple(out), ticks, bottom)
