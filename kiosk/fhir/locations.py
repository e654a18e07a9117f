"""Places beyond the unit's census, each read in a fixed number of requests:

- free beds on the other units of the hospital, for a transfer (two searches: the available beds with
  their rooms and units, then the open encounters planned for those beds, which take them off the list);
- whether given beds are taken by an open encounter (one search);
- the places on other units that a census points to, by id (one search).

Each checks first that the server's CapabilityStatement offers the searches it makes, and raises
FhirNotAllowed saying which it does not.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import codes
from .capability import SearchNeed
from .census import natural_key, require_searches, searches_not_offered
from .gateway import FhirGateway
from .records import LocationRecord, read_all, read_encounter, read_location

TAKEN_BEDS = SearchNeed("Encounter", params=("location", "status"))
FREE_BEDS = (
    SearchNeed("Location", params=("operational-status", "status"), includes=("Location:partof",)),
    TAKEN_BEDS,
)
PLACES = (SearchNeed("Location", params=("_id",)),)
UNITS = (SearchNeed("Location", params=("physical-type", "status")),)


@dataclass(frozen=True)
class BedOption:
    """A free bed somewhere in the hospital, with the room and unit it lies in."""

    bed: LocationRecord
    room: LocationRecord | None
    unit: LocationRecord | None

    @property
    def unit_name(self) -> str:
        return self.unit.name if self.unit else "Unit not recorded"


def _unit_of(location: LocationRecord, by_ref: dict[str, LocationRecord]) -> tuple[LocationRecord | None,
                                                                                  LocationRecord | None]:
    """(room, unit) of a bed: bed -> room -> ward, or bed -> ward."""
    room: LocationRecord | None = None
    parent = by_ref.get(location.part_of or "")
    if parent is not None and parent.is_room:
        room = parent
        parent = by_ref.get(parent.part_of or "")
    unit = parent if parent is not None and parent.physical_type == codes.WARD else None
    return room, unit


def available_beds_elsewhere(gw: FhirGateway, exclude_unit_id: str,
                             for_encounter: str | None = None) -> list[BedOption]:
    """Clean, empty, unreserved beds on other units, sorted by unit and bed. A bed planned for
    `for_encounter` (a transfer already planned for this patient) stays on the list."""
    require_searches(gw, FREE_BEDS, "Listing free beds on other units")
    found = gw.client.search("Location", [
        ("operational-status", f"{codes.V2_0116}|{codes.BED_UNOCCUPIED}"),
        ("status", "active"),
        ("_include", "Location:partof"),
        ("_include:iterate", "Location:partof"),
        ("_count", "1000"),
    ])
    places = read_all([*found.matches, *found.included.values()],
                      lambda r: read_location(r, gw.identifiers.location))
    by_ref = {p.reference: p for p in places.records}
    options: list[BedOption] = []
    for place in places.records:
        if not place.is_bed or place.operational_status != codes.BED_UNOCCUPIED:
            continue
        room, unit = _unit_of(place, by_ref)
        if unit is not None and unit.id == exclude_unit_id:
            continue
        options.append(BedOption(place, room, unit))
    if not options:
        return []
    taken = beds_taken(gw, [o.bed.id for o in options], for_encounter)
    options = [o for o in options if o.bed.reference not in taken]
    options.sort(key=lambda o: (natural_key(o.unit_name), natural_key(o.bed.name)))
    return options


def units_without_free_beds(gw: FhirGateway, exclude_unit_id: str, options: list[BedOption]) -> list[str] | None:
    """The names of the other units (active wards) that have no bed among `options`, in one search; None
    when the server does not offer the search (the form then says nothing about them)."""
    if searches_not_offered(gw.capabilities, UNITS, "Naming units") is not None:
        return None
    found = gw.client.search("Location", [
        ("physical-type", f"{codes.LOCATION_PHYSICAL_TYPE}|{codes.WARD}"),
        ("status", "active"),
        ("_count", "1000"),
    ])
    with_beds = {o.unit.id for o in options if o.unit is not None}
    units = read_all(found.matches, lambda r: read_location(r, gw.identifiers.location)).records
    return sorted((u.name for u in units if u.id != exclude_unit_id and u.id not in with_beds), key=natural_key)


def beds_taken(gw: FhirGateway, bed_ids: list[str], for_encounter: str | None) -> set[str]:
    """Beds that an open encounter (other than `for_encounter`) occupies or has planned."""
    require_searches(gw, (TAKEN_BEDS,), "Checking a bed on another unit")
    found = gw.client.search("Encounter", [
        ("location", ",".join(f"Location/{i}" for i in bed_ids)),
        ("status", ",".join(codes.OPEN_ENCOUNTER_STATUSES)),
        ("_count", "1000"),
    ])
    taken: set[str] = set()
    for enc in read_all(found.matches, lambda r: read_encounter(r, gw.identifiers.encounter)).records:
        if enc.reference == for_encounter:
            continue
        taken |= {loc.location for loc in enc.locations if loc.status in ("planned", "reserved", "active")}
    return taken


def places_by_reference(gw: FhirGateway, references: list[str]) -> dict[str, LocationRecord]:
    """A few locations (beds and units elsewhere that the census points to), in one search; none when
    the server does not offer it (they are then called "another unit")."""
    ids = sorted({ref.split("/", 1)[1] for ref in references if ref.startswith("Location/")})
    if not ids or searches_not_offered(gw.capabilities, PLACES, "Naming places") is not None:
        return {}
    found = gw.client.search("Location", [("_id", ",".join(ids))])
    places = read_all(found.matches, lambda r: read_location(r, gw.identifiers.location)).records
    return {p.reference: p for p in places}
