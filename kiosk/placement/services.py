"""Bed placement's logic: the unit's open requests (and the arrivals they show), the beds that fit a
request, and the changes an action writes. Every read is a fixed number of FHIR requests whatever the
number of requests or beds: the list is one Task search (its patients, encounters and ServiceRequests
_included), plus one transaction when patients have arrived; the assign page adds the unit's census."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kiosk.fhir import codes
from kiosk.fhir import movements as mv
from kiosk.fhir.capability import Capabilities
from kiosk.fhir.census import CensusSource, assemble, fetch_census
from kiosk.fhir.change import TRANSACTION, Change, Needs
from kiosk.fhir.gateway import FhirGateway
from kiosk.fhir.records import LocationRecord, code_of
from kiosk.fhir.refs import ref_key

from .fhir import (
    BED_BARIATRIC,
    BED_ISOLATION_CAPABLE,
    BED_TELEMETRY,
    ISOLATION_NEEDS,
    PlacementRequest,
    Systems,
    arrivals,
    assign,
    decline,
    in_transit,
    one_request,
    open_requests,
)

ENCOUNTER, LOCATION, TASK, REQUEST = ("Encounter", "update"), ("Location", "update"), ("Task", "update"), \
    ("ServiceRequest", "update")
ASSIGN_NEEDS = Needs.of(ENCOUNTER, LOCATION, TASK, TRANSACTION)
DECLINE_NEEDS = Needs.of(TASK, REQUEST, TRANSACTION)
TRANSIT_NEEDS = Needs.of(TASK)
ARRIVAL_NEEDS = Needs.of(TASK, REQUEST, TRANSACTION)


class Refused(Exception):
    """An action the kiosk will not send, with the sentence that says why."""


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def systems(gw: FhirGateway) -> Systems:
    return Systems(gw.identifiers.code_systems)


def unit_ref(gw: FhirGateway) -> str:
    return f"Location/{gw.unit_location_id()}"


def new_request_number() -> str:
    return "PL-" + secrets.token_hex(4).upper()


# ---------------------------------------------------------------- the list and arrivals


@dataclass
class RequestList:
    requests: list[PlacementRequest]
    #: Requests the kiosk saw arrive on this look (their Tasks to complete, in one transaction).
    arrived: list[PlacementRequest] = field(default_factory=list)


def load_list(gw: FhirGateway) -> RequestList:
    """The unit's open requests; those whose patient is already in the assigned bed are set apart as
    arrived (the view completes them in one transaction)."""
    found = open_requests(gw, systems(gw), unit_ref(gw))
    arrived = [r for r in found if r.status in ("accepted", "in-progress") and r.arrived()]
    return RequestList([r for r in found if r not in arrived], arrived)


def arrival_change(done: list[PlacementRequest], now: datetime, caps: Capabilities) -> Change | None:
    if not done or ARRIVAL_NEEDS.refused(caps):
        return None
    return arrivals(done, now).declare(ARRIVAL_NEEDS)


# ---------------------------------------------------------------- beds that fit


@dataclass
class BedFit:
    ref: str
    name: str
    room: str
    fits: bool
    notes: list[str] = field(default_factory=list)
    version: str | None = None


@dataclass
class Suggestions:
    fitting: list[BedFit]
    not_fitting: list[BedFit]
    #: What the kiosk could not tell from the server's records (said once, above the list).
    unknown: list[str]


def suggest(source: CensusSource, req: PlacementRequest, sys: Systems, ids: Any) -> Suggestions:
    """The unit's beds that can take this patient now: in service, available, reserved for nobody and
    used by nobody; isolation needs a single room or an isolation-capable bed; the room's other
    patients (in or coming) of the same gender; a bariatric or telemetry bed where the beds record it."""
    census = assemble(source, ids)
    traits = {f"Location/{r['id']}": {code_of(t, sys.bed) for t in r.get("type") or []} - {None}
              for r in source.locations}
    recorded = {t for bed in census.beds for t in traits.get(bed.reference, set())}
    taken: set[str] = set()
    people_at: dict[str, list[str]] = {}
    for enc in census.encounters:
        if enc.id == (req.encounter.id if req.encounter else None):
            continue
        for loc in enc.locations:
            if loc.status in ("active", "reserved", "planned") and enc.status not in ("finished", "cancelled"):
                taken.add(loc.location)
                if enc.patient:
                    people_at.setdefault(loc.location, []).append(enc.patient)
    beds_in_room: dict[str, list[LocationRecord]] = {}
    for bed in census.beds:
        beds_in_room.setdefault(bed.part_of or "", []).append(bed)
    gender = req.patient.gender if req.patient else None
    isolation = bool(ISOLATION_NEEDS & set(req.needs))
    unknown = []
    if "bariatric" in req.needs and BED_BARIATRIC not in recorded:
        unknown.append("Bariatric: this unit's beds do not record it on the FHIR server; check the bed frame.")
    if "telemetry" in req.needs and BED_TELEMETRY not in recorded:
        unknown.append("Telemetry: this unit's beds do not record it on the FHIR server; check the monitor.")
    if not gender or gender in ("unknown", "other"):
        unknown.append("Gender of the room: the patient's gender is not recorded as female or male.")
    fitting, not_fitting = [], []
    for bed in census.beds:
        room = census.room_of(bed)
        if bed.operational_status != codes.BED_UNOCCUPIED or not bed.in_service or bed.reference in taken or (
                room is not None and not room.in_service):
            continue
        fit = BedFit(bed.reference, bed.name, room.name if room else "", True, version=bed.version)
        mates = [b for b in beds_in_room.get(bed.part_of or "", []) if b.reference != bed.reference] if room else []
        bed_traits = traits.get(bed.reference, set())
        if isolation:
            if room is not None and not mates:
                fit.notes.append("Single room")
            elif BED_ISOLATION_CAPABLE in bed_traits:
                fit.notes.append("Isolation-capable bed")
            else:
                fit.fits = False
                fit.notes.append("Shared room: not for isolation")
        elif room is not None:
            fit.notes.append("Single room" if not mates else f"Room of {len(mates) + 1}")
        others = [census.patients[p].gender for m in mates for p in people_at.get(m.reference, [])
                  if p in census.patients]
        if others and gender in ("female", "male"):
            if any(g != gender for g in others):
                fit.fits = False
                fit.notes.append("Room has a patient of another gender")
            else:
                fit.notes.append(f"Room with {gender} patients")
        for need, trait, words in (("bariatric", BED_BARIATRIC, "Bariatric"),
                                   ("telemetry", BED_TELEMETRY, "Telemetry")):
            if need in req.needs and trait in recorded:
                if trait in bed_traits:
                    fit.notes.append(f"{words} bed")
                else:
                    fit.fits = False
                    fit.notes.append(f"Not a {words.lower()} bed")
        (fitting if fit.fits else not_fitting).append(fit)
    return Suggestions(fitting, not_fitting, unknown)


@dataclass
class AssignPage:
    request: PlacementRequest
    suggestions: Suggestions


def load_assign(gw: FhirGateway, task_id: str) -> AssignPage | None:
    """A request and the beds that fit it: one Task search and the unit's census (a fixed number).

    The census is read from the server here, not taken from the shared census (kiosk.census): the fit
    needs the beds' Location.type (bariatric, telemetry, isolation-capable), which the census's records
    do not carry, only the resources as the server sent them; the page is opened once per request, not
    polled; and a bed suggested as free should be free now, not as of census.trust_seconds ago (the
    assignment is sent with the bed's version the page showed, so a stale suggestion would be refused
    at the save: safe, but a wasted tap for the coordinator)."""
    req = one_request(gw, systems(gw), task_id)
    if req is None or req.unit != unit_ref(gw):
        return None
    return AssignPage(req, suggest(fetch_census(gw), req, systems(gw), gw.identifiers))


# ---------------------------------------------------------------- the changes


def plan_assign(gw: FhirGateway, task_id: str, bed_id: str, now: datetime) -> tuple[PlacementRequest, Change, str]:
    """The reservation and the Task accepted, built from what the server holds now; Refused when the
    request is no longer waiting or the bed is not one of the unit's free beds."""
    req = one_request(gw, systems(gw), task_id)
    if req is None or req.unit != unit_ref(gw):
        raise Refused("This bed request is not for this unit (any more).")
    if req.status != "requested":
        raise Refused(f"This bed request is {req.words.lower()} already: nothing was written.")
    if req.encounter_json is None:
        raise Refused("The hospital stay of this request could not be read from the FHIR server.")
    bed_ref = f"Location/{bed_id}"
    current = mv.read_current(gw, encounter_id=req.encounter_json["id"], location_ids=[bed_id])
    bed = current.locations.get(bed_ref)
    if bed is None or ref_key(bed.get("partOf")) is None:
        raise Refused("That bed could not be found on the FHIR server.")
    if unit_ref(gw) not in current.containers(bed_ref) | {ref_key(bed.get("partOf"))}:
        raise Refused("That bed is not on this unit.")
    name = str(bed.get("name") or "bed")
    change = assign(mv.reserve(current, bed_ref), req, bed_ref, name, systems(gw), now)
    return req, change.declare(ASSIGN_NEEDS), name


def plan_decline(gw: FhirGateway, task_id: str, reason: str, now: datetime) -> tuple[PlacementRequest, Change]:
    req = _waiting(gw, task_id)
    return req, decline(req, reason, now).declare(DECLINE_NEEDS)


def plan_transit(gw: FhirGateway, task_id: str, now: datetime) -> tuple[PlacementRequest, Change]:
    req = one_request(gw, systems(gw), task_id)
    if req is None or req.unit != unit_ref(gw):
        raise Refused("This bed request is not for this unit (any more).")
    if req.status != "accepted":
        raise Refused(f"This bed request is {req.words.lower()}: only a request with a bed assigned can be on its way.")
    return req, in_transit(req, now).declare(TRANSIT_NEEDS)


def _waiting(gw: FhirGateway, task_id: str) -> PlacementRequest:
    req = one_request(gw, systems(gw), task_id)
    if req is None or req.unit != unit_ref(gw):
        raise Refused("This bed request is not for this unit (any more).")
    if req.status != "requested":
        raise Refused(f"This bed request is {req.words.lower()} already: nothing was written.")
    return req
