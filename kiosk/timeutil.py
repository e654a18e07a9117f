"""The station's clock: one time zone (setting station.timezone, an IANA name; empty means this
machine's) for every time and "today" a person sees, printed labels included. Stored and sent times
stay in UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_zone: tzinfo | None = None


def zone_named(name: str) -> tzinfo | None:
    """The zone for a setting; None for "this machine's". Raises ValueError for an unknown name."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def configure(name: str) -> None:
    """Set the station's zone for this process (create_app and the scheduler call it)."""
    global _zone
    _zone = zone_named(name)


def station_zone() -> tzinfo | None:
    return _zone


def utc_naive(moment: datetime) -> datetime:
    """A moment as the kiosk's database keeps it: UTC without a zone (a moment without a zone is taken to
    be that already)."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def local(moment: datetime) -> datetime:
    """An aware datetime in the station's zone (naive values are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(_zone) if _zone is not None else moment.astimezone()


def now() -> datetime:
    return local(datetime.now(UTC))


def local_date(moment: datetime) -> date:
    return local(moment).date()


def today(at: datetime | None = None) -> date:
    return local_date(at or datetime.now(UTC))


def parse_local(text: str) -> datetime | None:
    """A datetime-local form field ('2026-11-28T14:30') in the station's time zone, as UTC; None when it
    is not a date and time."""
    try:
        naive = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    zone = station_zone()
    aware = naive.replace(tzinfo=zone) if zone is not None else naive.astimezone()
    return aware.astimezone(UTC)
