"""The charge nurse's figures: today's and the last seven days' transport jobs of the unit, and by
priority the median and 90th percentile of the minutes from the time a job could be picked up (the
request, or the pickup time asked for) to the pickup and to the delivery, with a chart drawn on the
server (SVG). Read from the Tasks on the FHIR server: one search, followed page by page.

Percentiles are nearest-rank: the 90th percentile of n values is the ceil(0.9 n)-th smallest, a minute
that really happened.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from kiosk import timeutil
from kiosk.fhir.gateway import FhirGateway
from kiosk.figures import nearest_rank

from .board import PRIORITY_WORDS
from .fhir import JobRecord, jobs_authored_since
from .settings import PRIORITIES, TransportSettings

DAYS = 7



def minutes_between(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None or end < start:
        return None
    return (end - start).total_seconds() / 60


@dataclass(frozen=True)
class PriorityFigures:
    priority: str
    label: str
    target: int
    jobs: int
    delivered: int
    cancelled: int
    to_pickup: tuple[float | None, float | None]
    to_delivery: tuple[float | None, float | None]
    within_target: int
    picked_up: int


@dataclass(frozen=True)
class Period:
    title: str
    since: datetime
    jobs: int
    rows: tuple[PriorityFigures, ...]


def period_figures(title: str, since: datetime, jobs: list[JobRecord], settings: TransportSettings) -> Period:
    rows = []
    chosen = [j for j in jobs if j.authored_on is not None and j.authored_on >= since]
    for priority in PRIORITIES:
        mine = [j for j in chosen if j.priority == priority]
        pickups = [m for m in (minutes_between(j.due_from or j.authored_on, j.picked_up_at) for j in mine)
                   if m is not None]
        deliveries = [m for m in (minutes_between(j.due_from or j.authored_on, j.delivered_at)
                                  for j in mine if j.status == "completed") if m is not None]
        target = settings.targets.minutes(priority)
        rows.append(PriorityFigures(
            priority=priority, label=PRIORITY_WORDS[priority], target=target, jobs=len(mine),
            delivered=sum(1 for j in mine if j.status == "completed"),
            cancelled=sum(1 for j in mine if j.status in ("cancelled", "failed")),
            to_pickup=(nearest_rank(pickups, 0.5), nearest_rank(pickups, 0.9)),
            to_delivery=(nearest_rank(deliveries, 0.5), nearest_rank(deliveries, 0.9)),
            within_target=sum(1 for m in pickups if m <= target), picked_up=len(pickups),
        ))
    return Period(title, since, len(chosen), tuple(rows))


# ---------------------------------------------------------------- the chart


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    kind: str  # median or p90
    label: str


@dataclass(frozen=True)
class Chart:
    """Minutes to pickup over the seven days, per priority: the median and the 90th percentile as two
    bars, the target as a line. Coordinates for templates/transport/_chart.svg."""

    width: int
    height: int
    bars: tuple[Bar, ...]
    targets: tuple[tuple[float, float, float, str], ...]  # x1, x2, y, label
    groups: tuple[tuple[float, str], ...]  # x of the group's middle, its label
    ticks: tuple[tuple[float, str], ...]  # y, label
    empty: bool


def chart(period: Period, width: int = 640, height: int = 260) -> Chart:
    left, right, top, bottom = 52, 16, 24, 44
    values = [v for r in period.rows for v in (*r.to_pickup, float(r.target)) if v is not None]
    top_value = max(values or [10.0])
    step = 5 if top_value <= 30 else 10 if top_value <= 80 else 30
    scale_max = step * math.ceil(top_value / step)
    plot_h = height - top - bottom
    group_w = (width - left - right) / len(period.rows)

    def y_of(v: float) -> float:
        return top + plot_h - plot_h * v / scale_max

    bars, targets, groups = [], [], []
    for i, row in enumerate(period.rows):
        x0 = left + i * group_w
        groups.append((x0 + group_w / 2, row.label))
        bar_w = group_w * 0.28
        for j, (kind, value) in enumerate((("median", row.to_pickup[0]), ("p90", row.to_pickup[1]))):
            if value is None:
                continue
            x = x0 + group_w * 0.2 + j * (bar_w + group_w * 0.04)
            bars.append(Bar(round(x, 1), round(y_of(value), 1), round(bar_w, 1),
                            round(top + plot_h - y_of(value), 1), kind, f"{value:.0f}"))
        targets.append((round(x0 + group_w * 0.12, 1), round(x0 + group_w * 0.88, 1), round(y_of(row.target), 1),
                        f"target {row.target}"))
    ticks = tuple((round(y_of(v), 1), str(v)) for v in range(0, scale_max + 1, step))
    return Chart(width, height, tuple(bars), tuple(targets), tuple(groups), ticks,
                 empty=not any(r.to_pickup[0] is not None for r in period.rows))


@dataclass
class Figures:
    periods: list[Period]
    chart: Chart
    fetched_at: datetime
    pages: int
    unreadable: int = 0
    notes: list[str] = field(default_factory=list)


def local_midnight(moment: datetime) -> datetime:
    local = timeutil.local(moment)
    return datetime.combine(local.date(), time(0), tzinfo=local.tzinfo)


def load_figures(gw: FhirGateway, settings: TransportSettings, now: datetime, page_size: int = 200) -> Figures:
    """Today's and the last seven days' legs that start or end on the unit."""
    today = local_midnight(now)
    week = today - timedelta(days=DAYS - 1)
    legs, unreadable, pages = jobs_authored_since(gw, week, page_size)
    unit = f"Location/{gw.unit_location_id()}"
    mine = [j for j in legs if j.touches({unit})]
    periods = [period_figures("Today", today, mine, settings),
               period_figures(f"Last {DAYS} days", week, mine, settings)]
    return Figures(periods, chart(periods[1]), now, pages, len(unreadable))
