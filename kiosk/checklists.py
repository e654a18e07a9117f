"""What every kiosk checklist records for one item (room readiness, discharge milestones): the tick as
the database last holds it, and who ticks it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


def utc_now() -> datetime:
    """Now, to the second: ticks are shown and compared to the second."""
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class Tick:
    done: bool
    by: str | None
    at: datetime


@dataclass(frozen=True)
class Ticker:
    """Who ticks: the signed-in staff member and the station."""

    station: str
    staff_id: str | None = None
    name: str | None = None
