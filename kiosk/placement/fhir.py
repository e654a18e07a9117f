"""Bed placement on the FHIR server: what the kiosk writes and the one search it reads requests with.

A bed request (ServiceRequest): code "bed-placement" in the kiosk's placement code system, text "Bed
placement"; subject, encounter, requester (who asks, as a display), category the sending side (ED,
recovery, another unit, direct admission), locationReference the unit asked for, orderDetail the
patient's needs, authoredOn, and the kiosk's request number as identifier.

Its Task: intent order, basedOn and focus the ServiceRequest, for, encounter, location the unit, the same
identifier (the create is conditional on it), status requested -> accepted (bed assigned: the bed as
output "assigned-bed") -> in-progress (in transit) -> completed (arrived), or rejected with statusReason
(declined). docs/decisions.md says why ServiceRequest + Task.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from kiosk.config import IdentifierSettings
from kiosk.fhir import builders as b
from kiosk.fhir import codes
from kiosk.fhir.capability import SearchNeed
from kiosk.fhir.census import require_searches
from kiosk.fhir.change import Change, edit
from kiosk.fhir.client import identifier_query
from kiosk.fhir.errors import UnreadableResource
from kiosk.fhir.gateway import FhirGateway
from kiosk.fhir.records import (
    EncounterRecord,
    PatientRecord,
    code_of,
    parse_datetime,
    read_encounter,
    read_patient,
)
from kiosk.fhir.refs import ref_key, version_of

if TYPE_CHECKING:
    from kiosk.transport import Move

PLACEMENT_CODE = "bed-placement"
PLACEMENT_TEXT = "Bed placement"
OPEN_STATUSES = ("requested", "accepted", "in-progress")
#: A bed is assigned and the patient is yet to arrive.
TRANSIT_STATUSES = ("accepted", "in-progress")
INCLUDES = ("Task:patient", "Task:encounter", "Task:based-on")
OPEN_REQUESTS = SearchNeed("Task", params=("code", "status"), includes=INCLUDES)
ONE_REQUEST = SearchNeed("Task", params=("_id",), includes=INCLUDES)

#: Where the patient comes from (ServiceRequest.category).
ORIGINS: dict[str, str] = {
    "ed": "Emergency department",
    "recovery": "Recovery (PACU)",
    "unit": "Another unit",
    "direct": "Direct admission",
}
#: What the patient needs of the bed (ServiceRequest.orderDetail).
NEEDS: dict[str, str] = {
    "isolation-contact": "Contact isolation",
    "isolation-droplet": "Droplet isolation",
    "isolation-airborne": "Airborne isolation",
    "telemetry": "Telemetry",
    "bariatric": "Bariatric bed",
}
ISOLATION_NEEDS = frozenset(k for k in NEEDS if k.startswith("isolation-"))
#: The kiosk's bed characteristics (Location.type in the placement-bed code system), where a site records them.
BED_ISOLATION_CAPABLE = "isolation-capable"
BED_BARIATRIC = "bariatric"
BED_TELEMETRY = "telemetry"
OUT_BED = "assigned-bed"
STATUS_WORDS = {
    "requested": "Waiting for a bed",
    "accepted": "Bed assigned",
    "in-progress": "In transit",
    "completed": "Arrived",
    "rejected": "Declined",
    "cancelled": "Cancelled",
}


@dataclass(frozen=True)
class Systems:
    """The kiosk's own code and identifier systems for placement, under identifiers.code_systems."""

    base: str

    def of(self, concept: str) -> str:
        return codes.local_system(self.base, concept)

    @property
    def code(self) -> str:
        return self.of("placement")

    @property
    def origin(self) -> str:
        return self.of("placement-origin")

    @property
    def need(self) -> str:
        return self.of("placement-need")

    @property
    def bed(self) -> str:
        return self.of("placement-bed")

    @property
    def output(self) -> str:
        return self.of("placement-output")

    @property
    def number(self) -> str:
        return self.of("placement-request-number")


@dataclass(frozen=True)
class NewRequest:
    number: str
    patient: str
    encounter: str
    unit: str
    origin: str
    needs: tuple[str, ...]
    requester: str
    authored: datetime


def request_resources(new: NewRequest, sys: Systems) -> tuple[dict[str, Any], dict[str, Any], str]:
    """(ServiceRequest, Task, If-None-Exist of both) of a new bed request; the Task's basedOn is filled in
    by whoever puts them in one transaction (the ServiceRequest's urn:uuid)."""
    if new.origin not in ORIGINS:
        raise ValueError(f"'{new.origin}' is not a placement origin")
    unknown = [n for n in new.needs if n not in NEEDS]
    if unknown:
        raise ValueError(f"'{unknown[0]}' is not a placement need")
    ident = b.identifier(sys.number, new.number)
    code = b.concept(sys.code, PLACEMENT_CODE, PLACEMENT_TEXT, PLACEMENT_TEXT)
    instant = b.fhir_instant(new.authored)
    request = {
        "resourceType": "ServiceRequest", "identifier": [ident], "status": "active", "intent": "order",
        "category": [b.concept(sys.origin, new.origin, ORIGINS[new.origin])], "code": code,
        "orderDetail": [b.concept(sys.need, n, NEEDS[n]) for n in new.needs],
        "subject": b.reference(new.patient), "encounter": b.reference(new.encounter), "authoredOn": instant,
        "requester": {"display": new.requester}, "locationReference": [b.reference(new.unit)],
    }
    task = {
        "resourceType": "Task", "identifier": [ident], "status": "requested", "intent": "order",
        "businessStatus": {"text": STATUS_WORDS["requested"]}, "code": code, "for": b.reference(new.patient),
        "encounter": b.reference(new.encounter), "authoredOn": instant, "lastModified": instant,
        "location": b.reference(new.unit), "requester": {"display": new.requester},
    }
    return request, task, identifier_query(ident["system"], ident["value"])


# ---------------------------------------------------------------- reading


@dataclass
class PlacementRequest:
    """One bed request as read: its Task and ServiceRequest (JSON, for changes), with the patient and
    the encounter it is for."""

    task: dict[str, Any]
    request: dict[str, Any]
    encounter: EncounterRecord | None
    encounter_json: dict[str, Any] | None
    patient: PatientRecord | None
    origin: str = ""
    needs: tuple[str, ...] = ()
    unit: str | None = None
    number: str = ""
    authored: datetime | None = None
    assigned_bed: str | None = None
    reason: str = ""
    requester: str = ""
    #: The transport to the assigned bed, when one was asked for (kiosk.transport.Move), and whether it
    #: is under way (picked up or delivered): then the request is in transit whatever its Task says yet.
    transport: Move | None = None

    @property
    def moving(self) -> bool:
        return self.status in TRANSIT_STATUSES and bool(self.transport and self.transport.under_way)

    @property
    def shown_status(self) -> str:
        """The status a screen shows: in transit once the transport to the bed is picked up, even before
        the look that saw it has written the Task in progress."""
        return "in-progress" if self.moving else self.status

    @property
    def id(self) -> str:
        return str(self.task["id"])

    @property
    def status(self) -> str:
        return str(self.task.get("status"))

    @property
    def words(self) -> str:
        return STATUS_WORDS.get(self.status, self.status)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def reference(self) -> str:
        return f"Task/{self.id}"

    def seen(self) -> dict[str, str | None]:
        """The versions this request was shown at: its Task, ServiceRequest and Encounter."""
        out: dict[str, str | None] = {self.reference: version_of(self.task),
                                      f"ServiceRequest/{self.request['id']}": version_of(self.request)}
        if self.encounter_json:
            out[f"Encounter/{self.encounter_json['id']}"] = version_of(self.encounter_json)
        return out

    def arrived(self) -> bool:
        """The patient is in the assigned bed: the encounter in progress with an active entry there."""
        enc = self.encounter
        return bool(enc and self.assigned_bed and enc.status in codes.ADMITTED_ENCOUNTER_STATUSES and any(
            loc.location == self.assigned_bed and loc.status == "active" for loc in enc.locations))


def read_requests(gw: FhirGateway, sys: Systems, params: list[tuple[str, str]],
                  unit: str | None) -> list[PlacementRequest]:
    """Bed requests from one Task search with their patients, encounters and ServiceRequests; `unit`
    ('Location/<id>') keeps those for that unit."""
    found = gw.client.search("Task", [*params, *(("_include", i) for i in INCLUDES), ("_count", "500")])
    included = found.included
    out = []
    for task in found.matches:
        if code_of(task.get("code"), sys.code) != PLACEMENT_CODE:
            continue
        based_on = [ref_key(r) for r in task.get("basedOn") or []]
        request = next((included[k] for k in based_on if k in included), None)
        if request is None:
            continue
        item = _read(task, request, included, sys, gw.identifiers)
        if unit is None or item.unit == unit:
            out.append(item)
    out.sort(key=lambda r: (r.authored or datetime.min.replace(tzinfo=UTC), r.number))
    return out


def open_requests(gw: FhirGateway, sys: Systems, unit: str) -> list[PlacementRequest]:
    """The unit's open requests; FhirNotAllowed, before any search, on a server without that search."""
    require_searches(gw, (OPEN_REQUESTS,), "The bed requests")
    return read_requests(gw, sys, [("code", f"{sys.code}|{PLACEMENT_CODE}"), ("status", ",".join(OPEN_STATUSES))], unit)


def one_request(gw: FhirGateway, sys: Systems, task_id: str) -> PlacementRequest | None:
    require_searches(gw, (ONE_REQUEST,), "A bed request")
    found = read_requests(gw, sys, [("_id", task_id)], None)
    return found[0] if found else None


def _read(task: dict[str, Any], request: dict[str, Any], included: dict[str, dict[str, Any]],
          sys: Systems, ids: IdentifierSettings) -> PlacementRequest:
    enc_json = included.get(ref_key(task.get("encounter")) or "")
    patient_json = included.get(ref_key(task.get("for")) or "")
    encounter = patient = None
    try:
        encounter = read_encounter(enc_json, ids.encounter) if enc_json else None
    except UnreadableResource:
        enc_json = None
    try:
        patient = read_patient(patient_json, ids.mrn) if patient_json else None
    except UnreadableResource:
        patient = None
    bed = next((ref_key(o.get("valueReference")) for o in task.get("output") or []
                if code_of(o.get("type"), sys.output) == OUT_BED), None)
    return PlacementRequest(
        task=task, request=request, encounter=encounter, encounter_json=enc_json, patient=patient,
        origin=next((c for c in (code_of(cat, sys.origin) for cat in request.get("category") or []) if c), "") or "",
        needs=tuple(c for c in (code_of(d, sys.need) for d in request.get("orderDetail") or []) if c in NEEDS),
        unit=next((ref_key(r) for r in request.get("locationReference") or []), None),
        number=next((i.get("value", "") for i in request.get("identifier") or [] if i.get("system") == sys.number), ""),
        authored=parse_datetime(request.get("authoredOn")), assigned_bed=bed,
        reason=str((task.get("statusReason") or {}).get("text") or ""),
        requester=str((request.get("requester") or {}).get("display") or ""))


# ---------------------------------------------------------------- the changes


def _task_moves(req: PlacementRequest, status: str, now: datetime) -> dict[str, Any]:
    task, _ = edit(req.task)
    task["status"] = status
    task["businessStatus"] = {"text": STATUS_WORDS[status]}
    task["lastModified"] = b.fhir_instant(now)
    return task


def assign(reserve: Change, req: PlacementRequest, bed_ref: str, bed_name: str, sys: Systems,
           now: datetime) -> Change:
    """The bed board's reservation (the encounter's `reserved` entry and the bed written unchanged with
    its ifMatch) and the Task accepted with the bed as its output, as one change."""
    task = _task_moves(req, "accepted", now)
    task["businessStatus"] = {"text": f"Bed assigned {bed_name}"}
    task["output"] = [o for o in task.get("output") or [] if code_of(o.get("type"), sys.output) != OUT_BED]
    task["output"].append({"type": b.concept(sys.output, OUT_BED, "Assigned bed"),
                           "valueReference": b.reference(bed_ref, bed_name)})
    change = Change("placement-assign", updates=list(reserve.updates), names=dict(reserve.names))
    change.update((task, version_of(req.task) or ""), name=f"bed request {req.number}")
    change.names.setdefault(bed_ref, f"bed {bed_name}")
    return change


def decline(req: PlacementRequest, reason: str, now: datetime) -> Change:
    """The Task rejected with the reason; the ServiceRequest revoked (this unit will not take it)."""
    task = _task_moves(req, "rejected", now)
    task["statusReason"] = {"text": reason}
    request, version = edit(req.request)
    request["status"] = "revoked"
    change = Change("placement-decline")
    change.update((task, version_of(req.task) or ""), name=f"bed request {req.number}")
    change.update((request, version), name=f"bed request {req.number} (what was asked)")
    return change


def in_transit(req: PlacementRequest, now: datetime) -> Change:
    return transits([req], now)


def transits(reqs: list[PlacementRequest], now: datetime) -> Change:
    """Each request's Task in progress (in transit): by the "On the way" button, or seen when the
    transport to the assigned bed is picked up."""
    change = Change("placement-in-transit")
    for req in reqs:
        change.update((_task_moves(req, "in-progress", now), version_of(req.task) or ""),
                      name=f"bed request {req.number}")
    return change


def arrivals(reqs: list[PlacementRequest], now: datetime) -> Change:
    """Every request whose patient is now in the assigned bed: Task completed, ServiceRequest completed."""
    change = Change("placement-arrived")
    for req in reqs:
        task = _task_moves(req, "completed", now)
        task["executionPeriod"] = {**(task.get("executionPeriod") or {}), "end": b.fhir_instant(now)}
        change.update((task, version_of(req.task) or ""), name=f"bed request {req.number}")
        request, version = edit(req.request)
        request["status"] = "completed"
        change.update((request, version), name=f"bed request {req.number} (what was asked)")
    return change
