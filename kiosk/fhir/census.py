"""A unit's census read in a fixed number of FHIR requests, whatever the number of beds.

1. Location?partof=<unit>&_include=Location:partof&_revinclude=Location:partof
   -> the unit, its rooms and beds placed directly on it (matches) and the beds in the rooms.
   (Location?physical-type=bd is listed by sekmet-fhir 0.1.1 but finds nothing, so beds are found
   through partof and told apart on the client by physicalType.) A server that does not offer that
   _revinclude (Epic) gets a second search instead: Location?partof=<the rooms>.
2. Encounter?location=<unit, rooms, beds>&status=<open statuses>&_include=Encounter:subject
   &_include=Encounter:participant -> who is in, coming to, or leaving the unit, with patients
   and practitioners (sent as POST _search when the id list is long).
3. Flag?patient=<patients>&status=active -> isolation, allergy and fall-risk alerts.
4. Task?focus=<beds>&status=<open statuses> -> cleaning (and other) jobs on the beds.

Before any of them is sent, every parameter and _include they use is checked against the server's
CapabilityStatement; a server that does not offer one gets FhirNotAllowed saying which.

Each resource is read on its own: one that cannot be read is listed in `unreadable` and never blanks
the census.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from .capability import Capabilities, SearchNeed
from .codes import OPEN_ENCOUNTER_STATUSES, OPEN_TASK_STATUSES
from .errors import FhirNotAllowed, UnreadableResource
from .gateway import FhirGateway, UnitRef
from .records import (
    EncounterRecord,
    FlagRecord,
    LocationRecord,
    PatientRecord,
    PractitionerRecord,
    TaskRecord,
    places_of,
    read_all,
    read_encounter,
    read_flag,
    read_location,
    read_patient,
    read_practitioner,
    read_task,
)

#: Census searches ask for large pages so that a unit normally arrives in one page per search.
CENSUS_PAGE = "1000"

#: The searches a census makes (the rooms' beds come by _revinclude where the server offers it).
BEDS_IN_ROOMS = "Location:partof"
CENSUS_SEARCHES = (
    SearchNeed("Location", params=("partof",), includes=("Location:partof",)),
    SearchNeed("Encounter", params=("location", "status"), includes=("Encounter:subject", "Encounter:participant")),
    SearchNeed("Flag", params=("patient", "status")),
    SearchNeed("Task", params=("focus", "status")),
)


def searches_not_offered(caps: Capabilities, needs: tuple[SearchNeed, ...], what: str) -> FhirNotAllowed | None:
    """The error to show when the server does not offer a search `what` ("The bed board") needs."""
    missing = [m for need in needs for m in caps.missing_searches(need)]
    if not missing:
        return None
    message = f"{what} needs {missing[0]}, which {caps.software} does not offer."
    if len(missing) > 1:
        message += " Also missing: " + ", ".join(missing[1:]) + "."
    return FhirNotAllowed(message)


def require_searches(gw: FhirGateway, needs: tuple[SearchNeed, ...], what: str) -> None:
    """Raise FhirNotAllowed, before any request, when the server does not offer a search `what` needs."""
    refused = searches_not_offered(gw.capabilities, needs, what)
    if refused is not None:
        raise refused


@dataclass
class Census:
    unit: LocationRecord
    rooms: list[LocationRecord]
    beds: list[LocationRecord]
    encounters: list[EncounterRecord]
    patients: dict[str, PatientRecord]
    practitioners: dict[str, PractitionerRecord]
    flags: dict[str, list[FlagRecord]]
    tasks: list[TaskRecord]
    fetched_at: datetime
    unreadable: list[str] = field(default_factory=list)
    #: 'Location/<id>' -> the unreadable records that name that place (shown on its bed).
    unreadable_at: dict[str, list[str]] = field(default_factory=dict)

    def room_of(self, bed: LocationRecord) -> LocationRecord | None:
        return next((r for r in self.rooms if r.reference == bed.part_of), None)


def _or_list(prefix: str, ids: list[str]) -> str:
    return ",".join(f"{prefix}/{i}" for i in ids)


def unit_census(gw: FhirGateway, unit: UnitRef | None = None) -> Census:
    """The census of a unit (the kiosk's own by default). Raises FhirNotAllowed, before any search,
    when the server does not offer one the census needs."""
    caps = gw.capabilities
    require_searches(gw, CENSUS_SEARCHES, "The bed board")
    unit_id = gw.unit_location_id(unit)
    identifiers = gw.identifiers
    unreadable: list[str] = []

    in_one_search = caps.supports_revinclude("Location", BEDS_IN_ROOMS)
    places = gw.client.search("Location", [
        ("partof", f"Location/{unit_id}"),
        ("_include", "Location:partof"),
        *([("_revinclude", BEDS_IN_ROOMS)] if in_one_search else []),
        ("_count", CENSUS_PAGE),
    ])
    unit_resource = places.resolve(f"Location/{unit_id}") or gw.client.read("Location", unit_id)
    unit_record = read_location(unit_resource, identifiers.location)
    found = [*places.matches, *(r for r in places.included.values() if r.get("id") != unit_id)]
    if not in_one_search:
        found += _beds_in_rooms(gw, found)
    located = read_all(found, lambda r: read_location(r, identifiers.location))
    unreadable += located.unreadable
    rooms = [loc for loc in located.records if loc.is_room and loc.part_of == unit_record.reference]
    room_refs = {r.reference for r in rooms}
    beds = [loc for loc in located.records
            if loc.is_bed and (loc.part_of == unit_record.reference or loc.part_of in room_refs)]
    rooms.sort(key=lambda r: natural_key(r.name))
    beds.sort(key=lambda b: (natural_key(b.name)))

    location_ids = [unit_id, *(r.id for r in rooms), *(b.id for b in beds)]
    found = gw.client.search("Encounter", [
        ("location", _or_list("Location", location_ids)),
        ("status", ",".join(OPEN_ENCOUNTER_STATUSES)),
        ("_include", "Encounter:subject"),
        ("_include", "Encounter:participant"),
        ("_count", CENSUS_PAGE),
    ])
    encounters = read_all(found.matches, lambda r: read_encounter(r, identifiers.encounter))
    patients = read_all(found.of_type("Patient"), lambda r: read_patient(r, identifiers.mrn))
    practitioners = read_all(found.of_type("Practitioner"), read_practitioner)
    unreadable += encounters.unreadable + patients.unreadable + practitioners.unreadable
    unreadable_at: dict[str, list[str]] = {}
    _place(unreadable_at, encounters.failed, encounters.unreadable)

    flags: dict[str, list[FlagRecord]] = {}
    patient_ids = sorted({p.id for p in patients.records})
    if patient_ids:
        flag_result = gw.client.search("Flag", [
            ("patient", _or_list("Patient", patient_ids)),
            ("status", "active"),
            ("_count", CENSUS_PAGE),
        ])
        read_flags = read_all(flag_result.matches, read_flag)
        unreadable += read_flags.unreadable
        for flag in read_flags.records:
            if flag.patient:
                flags.setdefault(flag.patient, []).append(flag)

    tasks: list[TaskRecord] = []
    if beds:
        task_result = gw.client.search("Task", [
            ("focus", _or_list("Location", [b.id for b in beds])),
            ("status", ",".join(OPEN_TASK_STATUSES)),
            ("_count", CENSUS_PAGE),
        ])
        read_tasks = read_all(task_result.matches, read_task)
        unreadable += read_tasks.unreadable
        _place(unreadable_at, read_tasks.failed, read_tasks.unreadable)
        tasks = read_tasks.records

    return Census(
        unit=unit_record,
        rooms=rooms,
        beds=beds,
        encounters=encounters.records,
        patients={p.reference: p for p in patients.records},
        practitioners={p.reference: p for p in practitioners.records},
        flags=flags,
        tasks=tasks,
        fetched_at=datetime.now(UTC),
        unreadable=unreadable,
        unreadable_at=unreadable_at,
    )


def _beds_in_rooms(gw: FhirGateway, places: list[dict[str, object]]) -> list[dict[str, object]]:
    """The Locations in the unit's rooms, by a second search (for servers without the _revinclude)."""
    room_ids = sorted({str(r.get("id")) for r in places if _is_room(r)})
    if not room_ids:
        return []
    return gw.client.search("Location", [("partof", _or_list("Location", room_ids)),
                                         ("_count", CENSUS_PAGE)]).matches


def _is_room(resource: dict[str, object]) -> bool:
    try:
        return read_location(resource).is_room  # type: ignore[arg-type]
    except UnreadableResource:
        return False


def _place(unreadable_at: dict[str, list[str]], failed: list[object], ids: list[str]) -> None:
    for resource, rid in zip(failed, ids, strict=True):
        for place in places_of(resource):
            unreadable_at.setdefault(place, []).append(rid)


def natural_key(text: str) -> tuple:
    """Sort '4W-2' before '4W-10'."""
    parts: list[object] = []
    number = ""
    for ch in text:
        if ch.isdigit():
            number += ch
            continue
        if number:
            parts.append((0, int(number)))
            number = ""
        parts.append((1, ch))
    if number:
        parts.append((0, int(number)))
    return tuple(parts)
