"""Supplies: counts at the kiosk, the supplies page, and the home screen's zero-stock alert.

The par levels and supplies settings are checked when the app starts: a wrong file stops start-up
with one sentence naming its line. The checks themselves run in the scheduler (kiosk/supplies/jobs.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from flask import Flask

from kiosk.config import Settings
from kiosk.db import Database

from .stock import LocationBins


def register(app: Flask) -> None:
    from kiosk.nav import HomePanel, NavItem, add_home_panel, add_nav
    from kiosk.settings_files import register_settings

    from .config import SUPPLIES_FILE
    from .views import bp

    register_settings(app, SUPPLIES_FILE)
    app.register_blueprint(bp)
    add_nav(app, NavItem("supplies.index", "Supplies", "Count the supply room, see reorders", "box", order=70))
    add_home_panel(app, HomePanel("supplies.alert", order=5))


def bins_below_reorder(location_code: str, now: datetime | None = None, *, settings: Settings | None = None,
                       database: Database | None = None) -> LocationBins:
    """Which bins of a supply location (its code in par-levels.toml) are below their reorder point, from
    the supplies counts (one query), for another workflow (room readiness). In a request, or with the
    kiosk's settings and database (the demo)."""
    from .config import SUPPLIES_FILE
    from .counts import last_counts
    from .stock import location_bins

    if settings is None or database is None:
        from kiosk.extensions import database as app_database
        from kiosk.settings_files import settings_of

        config, database = settings_of(SUPPLIES_FILE), app_database()
    else:
        config = SUPPLIES_FILE.read(settings)
    return location_bins(config.par, location_code, last_counts(database, location_code),
                         now or datetime.now(UTC), config.settings.stale_after)


def count_location(settings: Settings, database: Database, location_code: str, counted_by: str,
                   quantities: Mapping[str, int] | None = None, now: datetime | None = None) -> int:
    """Record a count of a supply location as the supplies page does, outside a request (the demo seeds
    one); without `quantities` every item is counted at its par. ValueError for a location or item the
    par list does not have. Returns the rows saved."""
    from .config import SUPPLIES_FILE
    from .counts import Counter, record_counts

    location = SUPPLIES_FILE.read(settings).par.location(location_code)
    if location is None:
        raise ValueError(f"there is no supply location {location_code}")
    counts = dict(quantities) if quantities is not None else {item.code: item.par for item in location.items}
    return record_counts(database, location, counts, Counter(settings.station.id, name=counted_by),
                         now or datetime.now(UTC))


__all__ = ["LocationBins", "bins_below_reorder", "count_location", "register"]
