"""Bed placement's logic: the unit's open requests (and the arrivals they show), the beds that fit a
request, and the changes an action writes. Every read is a fixed number of FHIR requests whatever the
number of requests or beds: the list is one Task search (its patients, encounters and ServiceRequests
_included) and, when some request has a bed assigned, one search of those patients' transports
(kiosk.transport's `moves_of_patients`), plus one transaction when patients have arrived and one when
their transport was picked up; the assign page adds the unit's census.

In transit is seen, like arrival: a request with a bed assigned whose patient's transport to that bed
was picked up (or delivered) is in transit; the look that sees it writes the Task in progress. The "On
the way" button stays for a request no transport job was asked for (the patient walked over with a
nurse, or the transport was arranged outside the kiosk)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
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
    TRANSIT_STATUSES,
    PlacementRequest,
    Systems,
    arrivals,
    assign,
    decline,
    in_transit,
    one_request,
    open_requests,
    transits,
)

ENCOUNTER, LOCATION, TASK, REQUEST = ("Encounter", "update"), ("Location", "update"), ("Task", "update"), \
    ("ServiceRequest", "update")
ASSIGN_NEEDS = Needs.of(ENCOUNTER, LOCATION, TASK, TRANSACTION)
DECLINE_NEEDS = Needs.of(TASK, REQUEST, TRANSACTION)
TRANSIT_NEEDS = Needs.of(TASK)
TRANSITS_NEEDS = Needs.of(TASK, TRANSACTION)
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
    #: Requests whose transport to the assigned bed was picked up while the Task still says "bed
    #: assigned" (their Tasks to put in progress).
    picked_up: list[PlacementRequest] = field(default_factory=list)
    #: Why the transports could not be read (the "On the way" button is all there is then).
    transport_note: str | None = None


def with_transport(gw: FhirGateway, reqs: list[PlacementRequest]) -> str | None:
    """Give each request with a bed assigned its patient's transport to that bed (one search for them
    all, none when no request has a bed); None, or why the transports could not be read."""
    from kiosk.transport import moves_of_patients

    placed = [r for r in reqs if r.status in TRANSIT_STATUSES and r.assigned_bed and r.patient]
    if not placed:
        return None
    since = min((r.authored for r in placed if r.authored), default=utc_now() - timedelta(days=2))
    moves, note = moves_of_patients(gw, [r.patient.reference for r in placed if r.patient], since)
    for req in placed:
        to_bed = [m for m in moves if req.patient and m.patient == req.patient.reference
                  and m.destination == req.assigned_bed and (req.authored is None or m.asked_at is None
                                                             or m.asked_at >= req.authored)]
        to_bed.sort(key=lambda m: (m.under_way, m.asked_at or since))
        req.transport = to_bed[-1] if to_bed else None
    return note


def load_list(gw: FhirGateway, transport: bool = True) -> RequestList:
    """The unit's open requests; those whose patient is already in the assigned bed are set apart as
    arrived (the view completes them in one transaction); those whose transport to the assigned bed was
    picked up, as in transit (the view writes them in progress). `transport=False` (the home screen's
    counts) leaves the transports unread."""
    found = open_requests(gw, systems(gw), unit_ref(gw))
    arrived = [r for r in found if r.status in TRANSIT_STATUSES and r.arrived()]
    waiting = [r for r in found if r not in arrived]
    note = with_transport(gw, waiting) if transport else None
    picked_up = [r for r in waiting if r.status == "accepted" and r.moving]
    return RequestList(waiting, arrived, picked_up, note)


def load_one(gw: FhirGateway, task_id: str) -> PlacementRequest | None:
    """One request (the sending side's page), with its transport when a bed is assigned: two searches."""
    req = one_request(gw, systems(gw), task_id)
    if req is not None and not req.arrived():
        with_transport(gw, [req])
    return req


def transit_change(picked_up: list[PlacementRequest], now: datetime, caps: Capabilities) -> Change | None:
    """The Tasks of requests whose transport was picked up, in progress (one update, or one transaction)."""
    needs = TRANSIT_NEEDS if len(picked_up) == 1 else TRANSITS_NEEDS
    if not picked_up or needs.refused(caps):
        return None
    return transits(picked_up, now).declare(needs)


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
