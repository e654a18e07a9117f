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

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kiosk import jsontext
from kiosk.config import IdentifierSettings

from .capability import Capabilities, SearchNeed
from .client import SearchResult, may_carry_modifier
from .codes import OPEN_ENCOUNTER_STATUSES, OPEN_TASK_STATUSES
from .errors import FhirError, FhirNotAllowed, FhirUnavailable
from .gateway import FhirGateway, UnitRef
from .records import (
    EncounterRecord,
    FlagRecord,
    LocationRecord,
    PatientRecord,
    PractitionerRecord,
    ReadOutcome,
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
from .refs import ref_key

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
    #: Searches the server answered only in part (more matches than it sent, and no next link).
    incomplete: list[str] = field(default_factory=list)
    #: The shared census's version this was made from (kiosk.census); 0 for a census read directly.
    version: int = 0

    def room_of(self, bed: LocationRecord) -> LocationRecord | None:
        return self._rooms_by_reference.get(bed.part_of or "")

    @functools.cached_property
    def _rooms_by_reference(self) -> dict[str, LocationRecord]:
        return {r.reference: r for r in self.rooms}


def unit_census(gw: FhirGateway, unit: UnitRef | None = None) -> Census:
    """The census of a unit (the kiosk's own by default), read from the server now. Raises FhirNotAllowed,
    before any search, when the server does not offer one the census needs."""
    return assemble(fetch_census(gw, unit), gw.identifiers)


#: A census's groups of resources, as `CensusSource` and its JSON name them.
GROUPS = frozenset({"locations", "encounters", "patients", "practitioners", "flags", "tasks"})


@dataclass
class CensusSource:
    """A census as the server sent it: the resources (JSON), before they are read into records. This is
    what the kiosk keeps of a unit's census in its database (kiosk.census), so that any worker, process
    or instance makes the same Census of it without asking the server again."""

    unit_id: str
    locations: list[dict[str, Any]]
    encounters: list[dict[str, Any]]
    patients: list[dict[str, Any]]
    practitioners: list[dict[str, Any]]
    flags: list[dict[str, Any]]
    tasks: list[dict[str, Any]]
    fetched_at: datetime
    incomplete: list[str] = field(default_factory=list)
    #: The places as fetch_census read them (for `assemble` of this same source, so that they are not read
    #: twice); never kept in the database.
    places: _Places | None = field(default=None, repr=False, compare=False)
    #: The groups ("locations", "encounters" ...) whose every resource came in an answer whose text cannot
    #: spell a modifierExtension (kiosk.fhir.client.may_carry_modifier): not walked for one. Never kept.
    modifier_free: frozenset[str] = field(default=frozenset(), repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {"unit_id": self.unit_id, "locations": self.locations, "encounters": self.encounters,
                "patients": self.patients, "practitioners": self.practitioners, "flags": self.flags,
                "tasks": self.tasks, "fetched_at": self.fetched_at.isoformat(), "incomplete": self.incomplete}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CensusSource:
        return cls(unit_id=data["unit_id"], locations=data["locations"], encounters=data["encounters"],
                   patients=data["patients"], practitioners=data["practitioners"], flags=data["flags"],
                   tasks=data["tasks"], fetched_at=datetime.fromisoformat(data["fetched_at"]),
                   incomplete=list(data.get("incomplete") or []))

    @classmethod
    def from_payload(cls, payload: str) -> CensusSource:
        """A census as kept in the database (the text of `to_json`). A text that cannot spell a
        modifierExtension (kiosk.fhir.client.may_carry_modifier) is not walked for one."""
        source = cls.from_json(jsontext.loads(payload))
        if not may_carry_modifier(payload.encode("utf-8", "surrogatepass")):
            source.modifier_free = GROUPS
        return source

    def references(self) -> set[str]:
        """Every record the census holds ('Location/<id>', 'Patient/<id>' ...): a change to one of them, or
        a new record naming one of them, changes this census (kiosk.fhir.changes)."""
        return {f"{r.get('resourceType')}/{r.get('id')}"
                for group in (self.locations, self.encounters, self.patients, self.practitioners, self.flags,
                              self.tasks) for r in group}


def fetch_census(gw: FhirGateway, unit: UnitRef | None = None) -> CensusSource:
    """The census's resources, read from the server in a fixed number of searches."""
    caps = gw.capabilities
    require_searches(gw, CENSUS_SEARCHES, "The bed board")
    unit_id = gw.unit_location_id(unit)
    fetched_at = datetime.now(UTC)

    in_one_search = caps.supports_revinclude("Location", BEDS_IN_ROOMS)
    places = gw.client.search("Location", [
        ("partof", f"Location/{unit_id}"),
        ("_include", "Location:partof"),
        *([("_revinclude", BEDS_IN_ROOMS)] if in_one_search else []),
        ("_count", CENSUS_PAGE),
    ])
    unit_resource = places.resolve(f"Location/{unit_id}")
    free = {"locations"} if places.modifier_free and unit_resource is not None else set()
    if unit_resource is None:
        unit_resource = gw.client.read("Location", unit_id)
    found = [*places.matches, *(r for r in places.included.values() if r.get("id") != unit_id)]
    # Each place is read once, here: `assemble` of this source takes them as they are.
    located = read_all(found, lambda r: read_location(r, gw.identifiers.location,
                                                      modifier_free=places.modifier_free),
                       memo=("location", gw.identifiers.location, places.modifier_free))
    room_refs = sorted({r.reference for r in located.records if r.is_room})
    if not in_one_search or not _any_bed_in_a_room(found, room_refs):
        # No _revinclude, or a server that ignored it without a word: the rooms' beds by one more search.
        more = _beds_in_rooms(gw, room_refs)
        found += more.matches
        also = read_all(more.matches, lambda r: read_location(r, gw.identifiers.location,
                                                              modifier_free=more.modifier_free),
                        memo=("location", gw.identifiers.location, more.modifier_free))
        if not more.modifier_free:
            free.discard("locations")
        located.records += also.records
        located.unreadable += also.unreadable
    locations = [unit_resource, *found]
    here = _places_of(read_location(unit_resource, gw.identifiers.location, modifier_free="locations" in free),
                      located, gw.identifiers.location)
    unit_ref = f"Location/{unit_id}"

    def place_refs() -> tuple[list[str], list[str]]:
        """The unit's places, and its beds, as references (for the id-list fallback: servers that refuse
        chains)."""
        return ([unit_ref, *(r.reference for r in here.rooms), *(b.reference for b in here.beds)],
                [b.reference for b in here.beds])

    flags_with_stays = caps.supports_revinclude("Encounter", FLAGS_OF_PATIENTS)
    stay_params = [
        ("status", ",".join(OPEN_ENCOUNTER_STATUSES)),
        ("_include", "Encounter:subject"),
        ("_include", "Encounter:participant"),
        *([("_revinclude:iterate", FLAGS_OF_PATIENTS)] if flags_with_stays else []),
        ("_count", CENSUS_PAGE),
    ]
    job_params = [("status", ",".join(OPEN_TASK_STATUSES)), ("_count", CENSUS_PAGE)]
    stays, task_result = _stays_and_jobs(gw, unit_ref, place_refs, stay_params, job_params)
    patient_refs = [_subject(e) for e in stays.matches]
    missing_patients = _fetch_missing(gw, stays, patient_refs, "Patient")
    patient_json = stays.of_type("Patient") + missing_patients.matches
    people = [ref_key(p.get("individual") or {}) for e in stays.matches
              for p in e.get("participant") or [] if isinstance(p, dict)]  # type: ignore[union-attr]
    missing_people = _fetch_missing(gw, stays, people, "Practitioner")
    practitioner_json = stays.of_type("Practitioner") + missing_people.matches
    if stays.modifier_free:
        free.add("encounters")
        free |= {"patients"} if missing_patients.modifier_free else set()
        free |= {"practitioners"} if missing_people.modifier_free else set()
    if task_result.modifier_free:
        free.add("tasks")
    incomplete = [f"{name}: {result.total} on the server, {len(result.matches)} sent"
                  for name, result in (("places", places), ("stays", stays), ("jobs", task_result))
                  if result.incomplete]
    if flags_with_stays:
        flag_json = [f for f in stays.of_type("Flag") if f.get("status") == "active"]
        free |= {"flags"} if stays.modifier_free else set()
    else:
        wanted = sorted({f"Patient/{p.get('id')}" for p in patient_json})
        flag_result = in_chunks(gw, "Flag", "patient", wanted, [("status", "active"), ("_count", CENSUS_PAGE)])
        if flag_result.incomplete:
            incomplete.append(f"alerts: {flag_result.total} on the server, {len(flag_result.matches)} sent")
        flag_json = flag_result.matches
        free |= {"flags"} if flag_result.modifier_free else set()
    return CensusSource(unit_id=unit_id, locations=locations, encounters=stays.matches, patients=patient_json,
                        practitioners=practitioner_json, flags=flag_json, tasks=task_result.matches,
                        fetched_at=fetched_at, incomplete=incomplete, places=here, modifier_free=frozenset(free))


def _subject(encounter: dict[str, Any]) -> str | None:
    subject = encounter.get("subject")
    return ref_key(subject) if isinstance(subject, dict) else None


@dataclass
class _Places:
    unit: LocationRecord
    rooms: list[LocationRecord]
    beds: list[LocationRecord]
    unreadable: list[str]
    #: The identifier system the places were read with (their `identifier`).
    identifier_system: str = ""


def assemble_places(unit_resource: dict[str, Any], found: list[dict[str, Any]],
                    identifiers: IdentifierSettings, modifier_free: bool = False) -> _Places:
    """The unit, its rooms and beds (sorted as the board shows them) from the places the server sent."""
    unit_record = read_location(unit_resource, identifiers.location, modifier_free=modifier_free)
    located = read_all(found, lambda r: read_location(r, identifiers.location, modifier_free=modifier_free),
                       memo=("location", identifiers.location, modifier_free))
    return _places_of(unit_record, located, identifiers.location)


def _places_of(unit_record: LocationRecord, located: ReadOutcome[LocationRecord], identifier_system: str) -> _Places:
    rooms = [loc for loc in located.records if loc.is_room and loc.part_of == unit_record.reference]
    room_refs = {r.reference for r in rooms}
    beds = [loc for loc in located.records
            if loc.is_bed and (loc.part_of == unit_record.reference or loc.part_of in room_refs)]
    rooms.sort(key=lambda r: natural_key(r.name))
    beds.sort(key=lambda b: (natural_key(b.name)))
    return _Places(unit_record, rooms, beds, list(located.unreadable), identifier_system)


def assemble(source: CensusSource, identifiers: IdentifierSettings) -> Census:
    """The census's records from its resources (no request). Each resource is read on its own: one that
    cannot be read is listed in `unreadable` and never blanks the census."""
    unit_resource, *found = source.locations
    free = source.modifier_free
    here = source.places
    if here is None or here.identifier_system != identifiers.location:
        here = assemble_places(unit_resource, found, identifiers, modifier_free="locations" in free)
    unreadable: list[str] = list(here.unreadable)
    encounters = read_all(source.encounters, lambda r: read_encounter(r, identifiers.encounter,
                                                                      modifier_free="encounters" in free),
                          memo=("encounter", identifiers.encounter, "encounters" in free))
    patients = read_all(source.patients, lambda r: read_patient(r, identifiers.mrn, modifier_free="patients" in free),
                        memo=("patient", identifiers.mrn, "patients" in free))
    practitioners = read_all(source.practitioners, read_practitioner, memo=("practitioner",))
    unreadable += encounters.unreadable + patients.unreadable + practitioners.unreadable
    unreadable_at: dict[str, list[str]] = {}
    _place(unreadable_at, encounters.failed, encounters.unreadable)

    flags: dict[str, list[FlagRecord]] = {}
    wanted = {p.reference for p in patients.records}
    read_flags = read_all(source.flags, lambda r: read_flag(r, modifier_free="flags" in free),
                          memo=("flag", "flags" in free))
    unreadable += read_flags.unreadable
    for flag in read_flags.records:
        if flag.patient in wanted:
            flags.setdefault(flag.patient, []).append(flag)

    read_tasks = read_all(source.tasks, lambda r: read_task(r, modifier_free="tasks" in free),
                          memo=("task", "tasks" in free))
    unreadable += read_tasks.unreadable
    _place(unreadable_at, read_tasks.failed, read_tasks.unreadable)

    return Census(
        unit=here.unit,
        rooms=list(here.rooms),
        beds=list(here.beds),
        encounters=encounters.records,
        patients={p.reference: p for p in patients.records},
        practitioners={p.reference: p for p in practitioners.records},
        flags=flags,
        tasks=read_tasks.records,
        fetched_at=source.fetched_at,
        unreadable=unreadable,
        unreadable_at=unreadable_at,
        incomplete=list(source.incomplete),
    )


#: No census search puts more than this many values in one parameter: sekmet-fhir answers HTTP 500 above
#: 494 (a SQLite expression-depth limit), other servers have limits of their own, and long lists make
#: 35 to 50 KB queries. Lists are only the fallback: chained searches are of fixed size.
CHUNK = 100
#: Encounters of the unit whatever their entries name: the unit, a room or bed directly on it, a bed in
#: one of its rooms.
STAY_CHAINS = ("location", "location.partof", "location.partof.partof")
#: Jobs on the unit's beds: beds directly on the unit, and beds in its rooms.
JOB_CHAINS = ("focus:Location.partof", "focus:Location.partof.partof")
#: The patients' alerts, brought with their stays (the included patients' Flags).
FLAGS_OF_PATIENTS = "Flag:subject"


def _stays_and_jobs(gw: FhirGateway, unit_ref: str, place_refs: Callable[[], tuple[list[str], list[str]]],
                    stay_params: list[tuple[str, str]], job_params: list[tuple[str, str]]
                    ) -> tuple[SearchResult, SearchResult]:
    """The unit's open encounters and its beds' open jobs: by chained searches on the unit (three and two,
    of fixed size whatever the unit), or, for a server that refuses chains, by lists of the unit's places
    (`place_refs`: its places and its beds) in chunks. A server is tried with chains once; one that
    refuses them is not asked again."""
    if gw.chained_searches is not False:
        try:
            stays = merge([gw.client.search("Encounter", [(chain, unit_ref), *stay_params], post=True)
                           for chain in STAY_CHAINS])
            jobs = merge([gw.client.search("Task", [(chain, unit_ref), *job_params], post=True)
                          for chain in JOB_CHAINS])
            gw.chained_searches = True
            return stays, jobs
        except FhirUnavailable:
            raise
        except FhirError:
            if gw.chained_searches:
                raise
            gw.chained_searches = False
    location_refs, bed_refs = place_refs()
    stays = in_chunks(gw, "Encounter", "location", location_refs, stay_params)
    jobs = in_chunks(gw, "Task", "focus", bed_refs, job_params)
    return stays, jobs


def in_chunks(gw: FhirGateway, resource_type: str, param: str, refs: list[str],
               params: list[tuple[str, str]]) -> SearchResult:
    """One search per CHUNK references (sent as POST: long lists, and patient ids, stay out of URLs)."""
    if not refs:
        return SearchResult(matches=[], included={}, total=0, pages=0, modifier_free=True)
    return merge([gw.client.search(resource_type, [(param, ",".join(refs[i:i + CHUNK])), *params], post=True)
                  for i in range(0, len(refs), CHUNK)])


def merge(results: list[SearchResult]) -> SearchResult:
    """Several searches' results as one (each resource once); incomplete if any part was."""
    matches: dict[str, dict[str, object]] = {}
    included: dict[str, dict[str, object]] = {}
    for result in results:
        for m in result.matches:
            matches.setdefault(f"{m.get('resourceType')}/{m.get('id')}", m)
        for key, resource in result.included.items():
            included.setdefault(key, resource)
    shortfall = sum((r.total or 0) - len(r.matches) for r in results if r.incomplete)
    return SearchResult(matches=list(matches.values()), included=included,
                        total=len(matches) + shortfall if shortfall else None, pages=sum(r.pages for r in results),
                        modifier_free=all(r.modifier_free for r in results))


def _beds_in_rooms(gw: FhirGateway, room_refs: list[str]) -> SearchResult:
    """The Locations in the unit's rooms, by a second search (for servers without the _revinclude)."""
    return in_chunks(gw, "Location", "partof", room_refs, [("_count", CENSUS_PAGE)])


def _any_bed_in_a_room(places: list[dict[str, Any]], room_refs: list[str]) -> bool:
    """Did the beds of the rooms come (or are there no rooms to have beds)?"""
    rooms = set(room_refs)
    return not rooms or any(ref_key(r.get("partOf")) in rooms for r in places)


def _fetch_missing(gw: FhirGateway, result: SearchResult, references: list[str | None],
                   resource_type: str) -> SearchResult:
    """Resources a search should have _included and did not (a server that ignores _include without a
    warning), in one `_id` search sent as POST (patient ids never in a URL); none when all came."""
    wanted = [r for r in result.missing(references) if r.startswith(f"{resource_type}/")]
    if not wanted:
        return SearchResult(matches=[], included={}, total=0, pages=0, modifier_free=True)
    ids = ",".join(r.split("/", 1)[1] for r in wanted)
    return gw.client.search(resource_type, [("_id", ids), ("_count", str(len(wanted)))], post=True)


def _place(unreadable_at: dict[str, list[str]], failed: list[object], ids: list[str]) -> None:
    for resource, rid in zip(failed, ids, strict=True):
        for place in places_of(resource):
            unreadable_at.setdefault(place, []).append(rid)


@functools.lru_cache(maxsize=4096)
def natural_key(text: str) -> tuple:
    """Sort '4W-2' before '4W-10'. Kept per name: every census sorts the same bed and room names again."""
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
