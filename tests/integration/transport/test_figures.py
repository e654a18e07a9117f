"""The charge nurse's figures from known Tasks on the real FHIR server: counts, medians and 90th
percentiles (nearest rank) of the minutes to pickup and to delivery by priority, today and over seven
days, the same when the server pages the Tasks, and the chart drawn on the server."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from kiosk import timeutil
from kiosk.auth import Role
from kiosk.transport.figures import load_figures
from kiosk.transport.settings import TransportSettings
from tests.support.beds import page_text
from tests.support.transport import TransportUnit

Factory = Callable[..., TransportUnit]


def test_the_figures_from_known_tasks(transport_unit: Factory) -> None:
    unit = transport_unit(16)
    people = unit.occupants()
    now = datetime.now(UTC).replace(microsecond=0)
    today = timeutil.local(now).replace(hour=0, minute=0, second=0)
    # Today, asked after midnight: routine picked up after 10, 20, 30, 40, 50 minutes, delivered 10 later.
    minutes_today = max(1, int((now - today).total_seconds() // 60))
    for n, picked in enumerate((10, 20, 30, 40, 50)):
        unit.seed(people[n], now=now, state="delivered", owner=unit.owner(), asked_ago=min(minutes_today, 600) * 0.9,
                  accepted_after=1, picked_after=picked, delivered_after=picked + 10)
    unit.seed(people[5], now=now, state="cancelled", asked_ago=min(minutes_today, 600) * 0.5)
    # Three days ago: stat picked up after 4 and 12 minutes.
    for n, picked in enumerate((4, 12)):
        unit.seed(people[6 + n], now=now, state="delivered", priority="stat", target_minutes=10, owner=unit.owner(),
                  asked_ago=3 * 24 * 60, accepted_after=1, picked_after=picked, delivered_after=picked + 5)
    with unit.app.app_context():
        figures = load_figures(unit.gw, TransportSettings(), now)
        paged = load_figures(unit.gw, TransportSettings(), now, page_size=3)
    today_fig, week = figures.periods
    routine = next(r for r in today_fig.rows if r.priority == "routine")
    assert (routine.jobs, routine.delivered, routine.cancelled) == (6, 5, 1)
    assert routine.to_pickup == (30.0, 50.0) and routine.to_delivery == (40.0, 60.0)
    assert (routine.within_target, routine.picked_up) == (4, 5)  # 50 min is past the 45 min target
    stat = next(r for r in week.rows if r.priority == "stat")
    assert stat.jobs == 2 and stat.to_pickup == (4.0, 12.0) and stat.to_delivery == (9.0, 17.0)
    assert next(r for r in today_fig.rows if r.priority == "stat").jobs == 0
    assert week.jobs == 8
    assert paged.pages > 1 and [p.rows for p in paged.periods] == [p.rows for p in figures.periods]

    response = unit.client(Role.CHARGE_NURSE).get("/transport/figures")
    html = response.get_data(as_text=True)
    text = page_text(html)
    assert response.status_code == 200
    assert "30 · 50" in text and "40 · 60" in text and "4 of 5" in text
    assert len(re.findall(r'<rect class="bar bar-(median|p90)"', html)) == 4  # routine and stat, two bars each
    assert html.count('class="target"') == 3
    assert unit.client().get("/transport/figures").status_code == 403  # a unit secretary may not
    assert timedelta(0) <= now - figures.fetched_at < timedelta(seconds=5)
