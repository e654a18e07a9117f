"""Reads the bed board needs beyond the unit's census, each in a fixed number of requests:

- free beds on the other units of the hospital, for a transfer (two searches: the available beds with
  their rooms and units, then the open encounters planned for those beds, which take them off the list);
- the open encounters an armband scan points to, by encounter number or by the patient's MRN (two
  searches, with patients and locations _included);
- the places on other units that the census points to, by id (one search).

Each checks first that the server's CapabilityStatement offers the searches it makes, and raises
FhirNotAllowed saying which it does not.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import codes
from .capability import SearchNeed
from .census import OPEN_ENCOUNTER_STATUSES, natural_key, searches_not_offered
from .gateway import FhirGateway
from .records import (
    EncounterRecord,
    LocationRecord,
    PatientRecord,
    read_all,
    read_encounter,
    read_location,
    read_patient,
)


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


TAKEN_BEDS = SearchNeed("Encounter", params=("location", "status"))
FREE_BEDS = (
    SearchNeed("Location", params=("operational-status", "status"), includes=("Location:partof",)),
    TAKEN_BEDS,
)
SCAN = (SearchNeed("Encounter", params=("identifier", "status"), chains=(("patient", "Patient", "identifier"),),
                   includes=("Encounter:subject", "Encounter:location")),)
PLACES = (SearchNeed("Location", params=("_id",)),)


def _check(gw: FhirGateway, needs: tuple[SearchNeed, ...], what: str) -> None:
    refused = searches_not_offered(gw.capabilities, needs, what)
    if refused is not None:
        raise refused


def available_beds_elsewhere(gw: FhirGateway, exclude_unit_id: str,
                             for_encounter: str | None = None) -> list[BedOption]:
    """Clean, empty, unreserved beds on other units, sorted by unit and bed. A bed planned for
    `for_encounter` (a transfer already planned for this patient) stays on the list."""
    _check(gw, FREE_BEDS, "Listing free beds on other units")
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


def beds_taken(gw: FhirGateway, bed_ids: list[str], for_encounter: str | None) -> set[str]:
    """Beds that an open encounter (other than `for_encounter`) occupies or has planned."""
    _check(gw, (TAKEN_BEDS,), "Checking a bed on another unit")
    found = gw.client.search("Encounter", [
        ("location", ",".join(f"Location/{i}" for i in bed_ids)),
        ("status", ",".join(OPEN_ENCOUNTER_STATUSES)),
        ("_count", "1000"),
    ])
    taken: set[str] = set()
    for enc in read_all(found.matches, lambda r: read_encounter(r, gw.identifiers.encounter)).records:
        if enc.reference == for_encounter:
            continue
        taken |= {loc.location for loc in enc.locations if loc.status in ("planned", "reserved", "active")}
    return taken


@dataclass(frozen=True)
class ScanMatch:
    """An open encounter found for a scanned MRN or encounter number."""

    encounter: EncounterRecord
    patient: PatientRecord | None
    locations: dict[str, LocationRecord]

    def where(self) -> str:
        """The bed (or unit) the patient is in or planned for, in words."""
        for wanted in (("active",), ("reserved", "planned")):
            for loc in self.encounter.locations_with(*wanted):
                place = self.locations.get(loc.location)
                if place is not None:
                    prefix = "" if wanted == ("active",) else "planned for "
                    return prefix + place.name
        return "no bed recorded"


def find_open_encounters(gw: FhirGateway, number: str, mrn: str | None = None) -> list[ScanMatch]:
    """Open encounters whose number is `number`, or whose patient's MRN is `mrn` (by default the same
    text: a plain scan may be either); encounter-number matches first. Sent in POST bodies, never in a
    URL."""
    mrn = number if mrn is None else mrn
    _check(gw, SCAN, "Finding a scanned patient on other units")
    ids = gw.identifiers
    common = [
        ("status", ",".join(OPEN_ENCOUNTER_STATUSES)),
        ("_include", "Encounter:subject"),
        ("_include", "Encounter:location"),
    ]
    by_number = gw.client.search("Encounter", [("identifier", f"{ids.encounter}|{number}"), *common], post=True)
    by_mrn = gw.client.search("Encounter", [("patient.identifier", f"{ids.mrn}|{mrn}"), *common], post=True)
    matches: list[ScanMatch] = []
    seen: set[str] = set()
    for result in (by_number, by_mrn):
        patients = {p.reference: p for p in read_all(result.of_type("Patient"),
                                                     lambda r: read_patient(r, ids.mrn)).records}
        places = {p.reference: p for p in read_all(result.of_type("Location"),
                                                   lambda r: read_location(r, ids.location)).records}
        for enc in read_all(result.matches, lambda r: read_encounter(r, ids.encounter)).records:
            if enc.reference in seen:
                continue
            seen.add(enc.reference)
            matches.append(ScanMatch(enc, patients.get(enc.patient or ""), places))
    return matches


def places_by_reference(gw: FhirGateway, references: list[str]) -> dict[str, LocationRecord]:
    """A few locations (beds and units elsewhere that the census points to), in one search; none when
    the server does not offer it (they are then called "another unit")."""
    ids = sorted({ref.split("/", 1)[1] for ref in references if ref.startswith("Location/")})
    if not ids or searches_not_offered(gw.capabilities, PLACES, "Naming places") is not None:
        return {}
    found = gw.client.search("Location", [("_id", ",".join(ids))])
    places = read_all(found.matches, lambda r: read_location(r, gw.identifiers.location)).records
    return {p.reference: p for p in places}
