"""Counts in the kiosk's database: the newest count of each item, and saving a location's count."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from kiosk.db import Database

from .config import SuppliesConfig, SupplyLocation
from .models import SupplyCount
from .stock import ItemStock, LastCount, assess


@dataclass(frozen=True)
class Counter:
    """Who counted: the signed-in staff member when there is one, and always the station."""

    station: str
    staff_id: str | None = None
    name: str | None = None


def last_counts(database: Database, location_code: str | None = None) -> dict[tuple[str, str], LastCount]:
    """The newest count of every item (of one location, if given), in one query."""
    newest = select(func.max(SupplyCount.id)).group_by(SupplyCount.location_code, SupplyCount.item_code)
    if location_code:
        newest = newest.where(SupplyCount.location_code == location_code)
    with database.session() as session:
        rows = session.scalars(select(SupplyCount).where(SupplyCount.id.in_(newest.scalar_subquery())))
        return {(r.location_code, r.item_code): LastCount(r.quantity, r.counted_at, r.counted_by) for r in rows}


def current_stock(database: Database, config: SuppliesConfig, now: datetime) -> list[ItemStock]:
    return assess(config.par, last_counts(database), now, config.settings.stale_after)


def location_stock(database: Database, config: SuppliesConfig, location: SupplyLocation,
                   now: datetime) -> list[ItemStock]:
    counts = last_counts(database, location.code)
    return [s for s in assess(config.par, counts, now, config.settings.stale_after) if s.location == location]


def record_counts(database: Database, location: SupplyLocation, quantities: Mapping[str, int], counter: Counter,
                  now: datetime) -> int:
    """Save one count of a location (only the items given); all rows share one time. Returns rows saved."""
    unknown = [code for code in quantities if location.item(code) is None]
    if unknown:
        raise ValueError(f"{location.name} has no item {unknown[0]}")
    with database.session() as session:
        for code, quantity in quantities.items():
            if quantity < 0:
                raise ValueError("a count cannot be negative")
            session.add(SupplyCount(location_code=location.code, item_code=code, quantity=quantity, counted_at=now,
                                    staff_id=counter.staff_id, counted_by=counter.name, station=counter.station))
    return len(quantities)
