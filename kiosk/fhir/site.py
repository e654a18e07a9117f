"""Every unit of the hospital site, in a fixed number of FHIR requests whatever the number of units.

1. Location/<the kiosk's unit> -> the site it is part of (the unit's partOf).
2. Location?partof=<site>                 -> the site's wards (and other areas, told apart by physicalType).
3. Location?partof.partof=<site>          -> the wards' rooms, and beds placed directly on a ward.
4. Location?partof.partof.partof=<site>   -> the beds in the rooms.
5-7. Encounter?<chain>=<the wards>&status=<open statuses>, for the bed board's own chains (STAY_CHAINS:
   location, location.partof, location.partof.partof): stays naming a ward, a room or bed on it, a bed
   in one of its rooms. The wards go as a list (POST, up to CHUNK = 100 wards a search): a chain from a
   bed in a room up to the site itself would be four deep, which sekmet-fhir refuses (HTTP 500, "parser
   stack overflow"). So the count is fixed, 7, for any site of up to 100 wards (3 more per 100 wards).
   No patient, practitioner, alert or job is read: the hospital view shows counts only.

Each unit's slice is a `Census` of its own (its places and the encounters that name them), so the bed
board's own count rules (kiosk.beds.occupancy) apply to it unchanged. Cleaning jobs are not read: a
dirty bed and one being cleaned are one count ("Dirty / cleaning").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from . import codes
from .capability import SearchNeed
from .census import CENSUS_PAGE, STAY_CHAINS, Census, assemble_places, in_chunks, merge, require_searches
from .codes import OPEN_ENCOUNTER_STATUSES
from .gateway import FhirGateway, UnitRef
from .records import EncounterRecord, read_all, read_encounter, read_location

#: Chains from a place up to the site: a ward, a room or a bed on a ward, a bed in a room.
PLACE_CHAINS = ("partof", "partof.partof", "partof.partof.partof")
SITE_SEARCHES = (
    SearchNeed("Location", params=("partof",)),
    SearchNeed("Encounter", params=("location", "status")),
)


@dataclass
class SiteCensus:
    """The site and each of its wards' census (places and open encounters only), wards by name."""

    site: str
    own_unit: str
    units: dict[str, Census]
    fetched_at: datetime


def site_census(gw: FhirGateway, unit: UnitRef | None = None) -> SiteCensus:
    """The census of every ward of the site the kiosk's unit (or `unit`) is part of, in seven requests."""
    require_searches(gw, SITE_SEARCHES, "The hospital view")
    fetched_at = datetime.now(UTC)
    unit_id = gw.unit_location_id(unit)
    own = gw.read_location(unit_id)
    site = own.part_of or own.reference
    found: dict[str, dict[str, object]] = {}
    for chain in PLACE_CHAINS:
        for r in gw.client.search("Location", [(chain, site), ("_count", CENSUS_PAGE)]).matches:
            found.setdefault(f"Location/{r.get('id')}", r)
    located = read_all(list(found.values()), lambda r: read_location(r, gw.identifiers.location))
    wards = [loc for loc in located.records if loc.part_of == site and loc.physical_type == codes.WARD]
    ward_refs = sorted(w.reference for w in wards)
    stay_params = [("status", ",".join(OPEN_ENCOUNTER_STATUSES)), ("_count", CENSUS_PAGE)]
    stays = merge([in_chunks(gw, "Encounter", chain, ward_refs, stay_params) for chain in STAY_CHAINS])
    encounters = read_all(stays.matches, lambda r: read_encounter(r, gw.identifiers.encounter)).records
    # Each place's ward: rooms and beds on a ward first, then the beds in those rooms.
    ward_of = {w.reference: w.reference for w in wards}
    for _level in ("on the ward", "in a room"):
        for loc in located.records:
            if loc.part_of in ward_of and loc.reference not in ward_of:
                ward_of[loc.reference] = ward_of[loc.part_of]
    under: dict[str, list[dict[str, object]]] = {w.reference: [] for w in wards}
    for key, resource in found.items():
        if key in ward_of and key not in under:
            under[ward_of[key]].append(resource)
    stays_of: dict[str, list[EncounterRecord]] = {w.reference: [] for w in wards}
    for enc in encounters:
        for ward_ref in dict.fromkeys(ward_of[loc.location] for loc in enc.locations if loc.location in ward_of):
            stays_of[ward_ref].append(enc)
    units: dict[str, Census] = {}
    for ward in sorted(wards, key=lambda w: w.name):
        here = assemble_places(found[ward.reference], under[ward.reference], gw.identifiers)
        units[ward.reference] = Census(unit=here.unit, rooms=here.rooms, beds=here.beds,
                                       encounters=stays_of[ward.reference],
                                       patients={}, practitioners={}, flags={}, tasks=[], fetched_at=fetched_at,
                                       unreadable=list(here.unreadable))
    return SiteCensus(site=site, own_unit=own.reference, units=units, fetched_at=fetched_at)
