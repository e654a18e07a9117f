"""Who is coming to which bed of a census: the one reading that the whiteboard and room readiness share
(the bed board keeps its own, with reservations and warnings, in kiosk/beds/occupancy.py)."""

from __future__ import annotations

from .census import Census
from .codes import ADMITTED_ENCOUNTER_STATUSES
from .records import EncounterRecord


def expected_in_beds(census: Census) -> dict[str, list[EncounterRecord]]:
    """'Location/<bed>' -> the encounters coming to that bed: a planned or reserved entry for it, from a
    planned admission or from a patient admitted elsewhere (a transfer in), not yet active in it."""
    beds = {b.reference for b in census.beds}
    out: dict[str, list[EncounterRecord]] = {}
    for enc in census.encounters:
        if enc.status != "planned" and enc.status not in ADMITTED_ENCOUNTER_STATUSES:
            continue
        active = {loc.location for loc in enc.locations_with("active")}
        for loc in enc.locations_with("planned", "reserved"):
            if loc.location in beds and loc.location not in active:
                out.setdefault(loc.location, []).append(enc)
                break
    return out
