"""The bed board's panel on the home screen: the unit's counts, read from the FHIR server (the census's
four requests)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from kiosk.fhir.census import Census, unit_census
from kiosk.fhir.errors import FhirError
from kiosk.fhir.gateway import FhirGateway

from .occupancy import UnitCounts, unit_counts


@dataclass(frozen=True)
class UnitSummary:
    unit_name: str | None
    counts: UnitCounts | None
    fetched_at: datetime | None
    unreadable: int = 0
    error: str | None = None
    #: Where a count leads: the bed board, when this kiosk has one.
    board_url: str | None = None
    #: The server sent only part of the census: the counts are not whole.
    incomplete: bool = False


def unit_summary(gw: FhirGateway, board_url: str | None = None,
                 read: Callable[[FhirGateway], Census] = unit_census) -> UnitSummary:
    """Counts for the home screen; a FHIR failure becomes a readable message, not a broken page. `read`:
    how the census is read (the shared census, kiosk.census, on the kiosk's screens)."""
    try:
        census = read(gw)
    except FhirError as e:
        return UnitSummary(unit_name=None, counts=None, fetched_at=None, error=e.message)
    return UnitSummary(
        unit_name=census.unit.name,
        counts=unit_counts(census),
        fetched_at=census.fetched_at,
        unreadable=len(census.unreadable),
        board_url=board_url,
        incomplete=bool(census.incomplete),
    )
