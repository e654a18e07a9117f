"""Patient transport on the FHIR server: the shapes the kiosk writes (a ServiceRequest for what was
asked and a Task per leg of the move) and the searches it reads them back with, each a fixed number
of requests whatever the number of jobs.

What was asked (ServiceRequest): code SNOMED CT 384762007 |Transportation procedure|, text "Patient
transport" (docs/decisions.md says why this code); subject, encounter, requester, priority,
occurrenceDateTime (the pickup), category (why: a test, a transfer, a discharge), orderDetail (how the
patient travels, what they need), the destination (locationReference or, for a configured place,
locationCode), basedOn the order that needs the move, and the kiosk's request number as identifier.

Each leg (Task): intent order, basedOn and focus the ServiceRequest, groupIdentifier the request
number (the two legs of a round trip share it), status requested -> accepted -> in-progress ->
completed, or cancelled / failed (a return leg waits as draft until the department calls for it),
businessStatus from the kiosk's transport-status codes, owner the transporter, inputs for origin,
destination, their units, the mode, the needs, the oxygen flow and the leg, executionPeriod for the
pickup and the delivery, restriction.period for the target, a note per delay, and the time it was
accepted as an output.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from kiosk.fhir import builders as b
from kiosk.fhir import codes
from kiosk.fhir.capability import SearchNeed
from kiosk.fhir.census import CHUNK, require_searches
from kiosk.fhir.errors import FhirNotAllowed, UnreadableResource
from kiosk.fhir.gateway import FhirGateway
from kiosk.fhir.movements import ISOLATION_KINDS
from kiosk.fhir.records import (
    EncounterRecord,
    LocationRecord,
    PatientRecord,
    code_of,
    parse_datetime,
    read_all,
    read_encounter,
    read_location,
    read_patient,
    text_of,
)
from kiosk.fhir.refs import ref_key, version_of

SNOMED = "http://snomed.info/sct"
#: SNOMED CT 384762007 |Transportation procedure (procedure)| (checked: docs/decisions.md).
TRANSPORT_CODE = "384762007"
TRANSPORT_DISPLAY = "Transportation procedure (procedure)"
TRANSPORT_TEXT = "Patient transport"
#: HL7 v2 table 0124, transportation mode (walking, wheelchair, cart), where it has the kiosk's mode.
V2_0124 = "http://terminology.hl7.org/CodeSystem/v2-0124"
V3_ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
UCUM = "http://unitsofmeasure.org"

#: Task statuses of a job still to be done, and the final ones.
OPEN_STATUSES = ("draft", "requested", "accepted", "in-progress", "on-hold")
CLOSED_STATUSES = ("completed", "cancelled", "failed")

#: How the patient travels: code -> (words, v2-0124 code where that table has it).
MODES: dict[str, tuple[str, str | None]] = {
    "walking": ("Walking", "WALK"),
    "wheelchair": ("Wheelchair", "WHLC"),
    "stretcher": ("Stretcher", "CART"),
    "bed": ("In bed", None),
    "crib": ("Crib", None),
}
#: What the patient needs on the way (isolation precautions in the bed board's alert codes).
NEEDS: dict[str, str] = {
    "oxygen": "Oxygen",
    "iv-pump": "IV pump",
    "cardiac-monitor": "Cardiac monitor",
    **ISOLATION_KINDS,
    "fall-risk": "Fall risk",
    "bariatric": "Bariatric",
    "nurse-escort": "Nurse escort",
}
PURPOSES: dict[str, str] = {
    "test": "Test or procedure",
    "transfer": "Transfer to another bed",
    "discharge": "Discharge",
    "other": "Other",
}
#: Task.businessStatus (the kiosk's transport-status codes) and their words.
BUSINESS: dict[str, str] = {
    "pending": "Waiting for a transporter",
    "waiting-return": "Waiting for the call to bring back",
    "dispatched": "Dispatched",
    "picked-up": "Picked up",
    "delayed": "Delayed",
    "arrived": "Arrived",
    "cancelled": "Cancelled",
}
#: Kinds of Task.input (and output) in the kiosk's transport-input codes.
IN_ORIGIN, IN_DESTINATION = "origin", "destination"
IN_ORIGIN_UNIT, IN_DESTINATION_UNIT = "origin-unit", "destination-unit"
IN_MODE, IN_NEED, IN_OXYGEN, IN_LEG, IN_AFTER = "mode", "need", "oxygen-flow", "leg", "after"
OUT_ACCEPTED, OUT_IDENTITY = "accepted", "identity-check"
LEG_OUT, LEG_RETURN = "outbound", "return"

JOB_INCLUDES = ("Task:patient", "Task:encounter", "Task:based-on")
#: The board and the transporters' list need the patients' names and the requests' versions, not the
#: encounters (those are read for a pickup's armband check and a delivered transfer's move).
BOARD_INCLUDES = ("Task:patient", "Task:based-on")
OPEN_JOBS = SearchNeed("Task", params=("code", "status"), includes=BOARD_INCLUDES)
DELIVERED_JOBS = SearchNeed("Task", params=("code", "status", "modified"), includes=JOB_INCLUDES)
REQUEST_JOBS = SearchNeed("Task", params=("group-identifier",), includes=JOB_INCLUDES)
PATIENT_JOBS = SearchNeed("Task", params=("code", "status", "patient"))
FIGURE_JOBS = SearchNeed("Task", params=("code", "authored-on"))
MOVE_JOBS = SearchNeed("Task", params=("code", "status", "patient", "modified"))
#: A leg that is, or was, on its way: asked for and not called off (the way back waiting as draft is not).
MOVE_STATUSES = ("requested", "accepted", "in-progress", "on-hold", "completed")
PLACE_CHAIN = SearchNeed("Location", params=("_id",), includes=("Location:partof",))
SITE_PLACES = SearchNeed("Location", params=("partof", "status"))
ORDER = SearchNeed("ServiceRequest", params=("_id", "patient"))


@dataclass(frozen=True)
class Systems:
    """The kiosk's own code and identifier systems for transport, under identifiers.code_systems."""

    base: str

    def of(self, concept: str) -> str:
        return codes.local_system(self.base, concept)

    @property
    def input(self) -> str:
        return self.of("transport-input")

    @property
    def need(self) -> str:
        return self.of("transport-need")

    @property
    def mode(self) -> str:
        return self.of("transport-mode")

    @property
    def status(self) -> str:
        return self.of("transport-status")

    @property
    def purpose(self) -> str:
        return self.of("transport-purpose")

    @property
    def place(self) -> str:
        return self.of("transport-place")

    @property
    def request(self) -> str:
        """The kiosk's request numbers (ServiceRequest.identifier, Task.groupIdentifier)."""
        return self.of("transport-request")

    @property
    def job(self) -> str:
        """Task identifiers: the same system as every Task the kiosk creates."""
        return self.of(codes.TASK_IDENTIFIER_CONCEPT)

    @property
    def staff(self) -> str:
        """Staff badge numbers, for a requester or transporter who is no Practitioner on the server."""
        return self.of("staff-badge")


def systems(gw: FhirGateway) -> Systems:
    return Systems(gw.identifiers.code_systems)


# ---------------------------------------------------------------- places


@dataclass(frozen=True)
class PlaceRef:
    """Where a leg starts or ends: a Location on the FHIR server (`reference`), or a configured place
    (`code`), with the unit it lies in when known."""

    name: str
    reference: str | None = None
    code: str | None = None
    unit: str | None = None
    unit_name: str | None = None
    is_bed: bool = False

    @property
    def key(self) -> str:
        """How a form names it: 'Location/<id>' or 'place:<code>'."""
        return self.reference or f"place:{self.code}"

    @property
    def label(self) -> str:
        if self.unit_name and self.is_bed:
            return f"{self.name} ({self.unit_name})"
        return self.name


def _chain_unit(location: LocationRecord, by_ref: dict[str, LocationRecord]) -> LocationRecord | None:
    """The ward a place lies in (itself, its parent or its grandparent)."""
    current: LocationRecord | None = location
    for _ in range(3):
        if current is None:
            return None
        if current.physical_type == codes.WARD:
            return current
        current = by_ref.get(current.part_of or "")
    return None


def place_of(location: LocationRecord, by_ref: dict[str, LocationRecord]) -> PlaceRef:
    unit = _chain_unit(location, by_ref)
    return PlaceRef(name=location.name, reference=location.reference, unit=unit.reference if unit else None,
                    unit_name=unit.name if unit else None, is_bed=location.is_bed)


def places_with_units(gw: FhirGateway, location_ids: Iterable[str]) -> dict[str, LocationRecord]:
    """Locations by id with their rooms, units and site (_include:iterate partof), in one search."""
    ids = sorted({i for i in location_ids if i})
    if not ids:
        return {}
    require_searches(gw, (PLACE_CHAIN,), "Naming the places of a transport")
    found = gw.client.search("Location", [("_id", ",".join(ids)), ("_include", "Location:partof"),
                                          ("_include:iterate", "Location:partof")])
    records = read_all([*found.matches, *found.included.values()],
                       lambda r: read_location(r, gw.identifiers.location)).records
    return {r.reference: r for r in records}


def site_departments(gw: FhirGateway, site_ref: str, exclude: Iterable[str] = ()) -> list[PlaceRef]:
    """The hospital's departments (the places directly in its site that are not wards): Imaging,
    Endoscopy ... in one search."""
    require_searches(gw, (SITE_PLACES,), "Listing the hospital's departments")
    skip = set(exclude)
    found = gw.client.search("Location", [("partof", site_ref), ("status", "active"), ("_count", "500")])
    places = read_all(found.matches, lambda r: read_location(r, gw.identifiers.location)).records
    out = [PlaceRef(name=p.name, reference=p.reference) for p in places
           if p.physical_type not in (codes.WARD, codes.ROOM, codes.BED) and p.reference not in skip]
    return sorted(out, key=lambda p: p.name.lower())


# ---------------------------------------------------------------- what is written


@dataclass(frozen=True)
class Need:
    code: str
    text: str


@dataclass(frozen=True)
class NewTransport:
    """One request as the form gave it, checked (services.py builds it)."""

    number: str
    patient: str
    encounter: str
    origin: PlaceRef
    destination: PlaceRef
    purpose: str
    mode: str
    needs: tuple[Need, ...]
    oxygen_lpm: float | None
    priority: str
    requested_at: datetime
    pickup_at: datetime
    target_minutes: int
    round_trip: bool
    return_at: datetime | None
    note: str
    requester: dict[str, Any]
    order: str | None = None


def staff_reference(sys: Systems, badge: str, name: str, practitioner_ref: str | None) -> dict[str, Any]:
    """A requester or owner: the Practitioner when the staff member is one on the server (a literal
    reference), otherwise a logical reference by badge number, with the name to show."""
    if practitioner_ref and "?" not in practitioner_ref:
        return b.reference(practitioner_ref, name)
    return {"identifier": b.identifier(sys.staff, badge), "display": name}


def _place_input(sys: Systems, kind: str, place: PlaceRef) -> dict[str, Any]:
    if place.reference:
        return {"type": b.concept(sys.input, kind), "valueReference": b.reference(place.reference, place.label)}
    return {"type": b.concept(sys.input, kind),
            "valueCodeableConcept": b.concept(sys.place, place.code or "unknown", text=place.name)}


def _mode_concept(sys: Systems, mode: str) -> dict[str, Any]:
    words, v2 = MODES[mode]
    concept = b.concept(sys.mode, mode, words, words)
    if v2:
        concept["coding"].append(b.coding(V2_0124, v2))
    return concept


def _need_concept(sys: Systems, need: Need) -> dict[str, Any]:
    return b.concept(sys.need, need.code, NEEDS.get(need.code), need.text)


def service_request(new: NewTransport, sys: Systems) -> dict[str, Any]:
    sr: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "identifier": [b.identifier(sys.request, new.number)],
        "status": "active",
        "intent": "order",
        "category": [b.concept(sys.purpose, new.purpose, PURPOSES[new.purpose], PURPOSES[new.purpose])],
        "priority": new.priority,
        "code": b.concept(SNOMED, TRANSPORT_CODE, TRANSPORT_DISPLAY, TRANSPORT_TEXT),
        "orderDetail": [_mode_concept(sys, new.mode), *(_need_concept(sys, n) for n in new.needs)],
        "subject": b.reference(new.patient),
        "encounter": b.reference(new.encounter),
        "occurrenceDateTime": b.fhir_instant(new.pickup_at),
        "authoredOn": b.fhir_instant(new.requested_at),
        "requester": new.requester,
    }
    if new.order:
        sr["basedOn"] = [b.reference(new.order)]
    if new.destination.reference:
        sr["locationReference"] = [b.reference(new.destination.reference, new.destination.label)]
    else:
        sr["locationCode"] = [b.concept(sys.place, new.destination.code or "unknown", text=new.destination.name)]
    if new.note:
        sr["note"] = [{"text": new.note, "time": b.fhir_instant(new.requested_at)}]
    if new.round_trip:
        sr["patientInstruction"] = "Round trip: bring the patient back after."
    return sr


def job_task(new: NewTransport, sys: Systems, request_ref: str, leg: str, after: str | None = None) -> dict[str, Any]:
    """One leg. The return leg goes the other way; it waits as draft until the department calls,
    unless a return time was given."""
    origin, destination = (new.origin, new.destination) if leg == LEG_OUT else (new.destination, new.origin)
    due = new.pickup_at if leg == LEG_OUT else new.return_at
    status = "requested" if due is not None else "draft"
    task: dict[str, Any] = {
        "resourceType": "Task",
        "identifier": [b.identifier(sys.job, f"transport/{new.number}/{leg}")],
        "basedOn": [b.reference(request_ref)],
        "groupIdentifier": b.identifier(sys.request, new.number),
        "status": status,
        "businessStatus": _business(sys, "pending" if status == "requested" else "waiting-return"),
        "intent": "order",
        "priority": new.priority,
        "code": b.concept(SNOMED, TRANSPORT_CODE, TRANSPORT_DISPLAY, TRANSPORT_TEXT),
        "focus": b.reference(request_ref),
        "for": b.reference(new.patient),
        "encounter": b.reference(new.encounter),
        "authoredOn": b.fhir_instant(new.requested_at),
        "lastModified": b.fhir_instant(new.requested_at),
        "requester": new.requester,
        "input": [
            _place_input(sys, IN_ORIGIN, origin),
            _place_input(sys, IN_DESTINATION, destination),
            *([{"type": b.concept(sys.input, IN_ORIGIN_UNIT), "valueReference": b.reference(origin.unit)}]
              if origin.unit else []),
            *([{"type": b.concept(sys.input, IN_DESTINATION_UNIT), "valueReference": b.reference(destination.unit)}]
              if destination.unit else []),
            {"type": b.concept(sys.input, IN_MODE), "valueCodeableConcept": _mode_concept(sys, new.mode)},
            *({"type": b.concept(sys.input, IN_NEED), "valueCodeableConcept": _need_concept(sys, n)}
              for n in new.needs),
            *([{"type": b.concept(sys.input, IN_OXYGEN),
                "valueQuantity": {"value": new.oxygen_lpm, "unit": "L/min", "system": UCUM, "code": "L/min"}}]
              if new.oxygen_lpm is not None else []),
            {"type": b.concept(sys.input, IN_LEG), "valueCode": leg},
            *([{"type": b.concept(sys.input, IN_AFTER), "valueReference": b.reference(after)}] if after else []),
        ],
    }
    if due is not None:
        task["restriction"] = {"period": target_period(due, new.target_minutes)}
    if new.note:
        task["note"] = [{"text": new.note, "time": b.fhir_instant(new.requested_at)}]
    return task


def target_period(due_from: datetime, minutes: int) -> dict[str, str]:
    return {"start": b.fhir_instant(due_from), "end": b.fhir_instant(due_from + timedelta(minutes=minutes))}


def _business(sys: Systems, code: str) -> dict[str, Any]:
    return b.concept(sys.status, code, BUSINESS[code], BUSINESS[code])


def set_business(task: dict[str, Any], sys: Systems, code: str) -> None:
    task["businessStatus"] = _business(sys, code)


def set_output(task: dict[str, Any], sys: Systems, kind: str, value: dict[str, Any]) -> None:
    """Replace (or add) one output of a kind: {'valueDateTime': ...}."""
    outputs = [o for o in task.get("output") or [] if code_of(o.get("type"), sys.input) != kind]
    task["output"] = [*outputs, {"type": b.concept(sys.input, kind), **value}]


# ---------------------------------------------------------------- what is read back


@dataclass(frozen=True)
class JobRecord:
    """One leg as read from its Task (defensively, like the census records)."""

    id: str
    version: str | None
    status: str
    business: str | None
    priority: str
    number: str | None
    leg: str
    patient: str | None
    encounter: str | None
    request: str | None
    origin: PlaceRef
    destination: PlaceRef
    mode: str | None
    needs: tuple[Need, ...]
    oxygen_lpm: float | None
    authored_on: datetime | None
    due_from: datetime | None
    due_by: datetime | None
    accepted_at: datetime | None
    picked_up_at: datetime | None
    delivered_at: datetime | None
    last_modified: datetime | None
    owner_name: str | None
    owner_key: str | None
    delays: tuple[str, ...]
    status_reason: str | None
    note: str = ""

    @property
    def reference(self) -> str:
        return f"Task/{self.id}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def touches(self, units: set[str]) -> bool:
        """Does the leg start or end on one of these units ('Location/<id>')?"""
        return bool({self.origin.unit, self.destination.unit} & units)


def _place_read(item: dict[str, Any], sys: Systems) -> PlaceRef:
    ref = item.get("valueReference")
    if isinstance(ref, dict):
        key = ref_key(ref)
        display = str(ref.get("display") or key or "Unknown place")
        return PlaceRef(name=display, reference=key)
    concept = item.get("valueCodeableConcept")
    return PlaceRef(name=text_of(concept) or "Unknown place", code=code_of(concept, sys.place))


def _owner(owner: Any) -> tuple[str | None, str | None]:
    if not isinstance(owner, dict):
        return None, None
    key = ref_key(owner)
    ident = owner.get("identifier")
    if key is None and isinstance(ident, dict) and ident.get("value"):
        key = f"badge:{ident['value']}"
    return (str(owner["display"]) if owner.get("display") else None), key


def read_job(resource: dict[str, Any], sys: Systems) -> JobRecord:
    if not isinstance(resource, dict) or resource.get("resourceType") != "Task" or not resource.get("id"):
        raise UnreadableResource("not a Task with an id")
    try:
        inputs: dict[str, list[dict[str, Any]]] = {}
        for item in resource.get("input") or []:
            kind = code_of(item.get("type"), sys.input)
            if kind:
                inputs.setdefault(kind, []).append(item)
        outputs: dict[str, dict[str, Any]] = {}
        for item in resource.get("output") or []:
            kind = code_of(item.get("type"), sys.input)
            if kind:
                outputs[kind] = item

        def place(kind: str, unit_kind: str) -> PlaceRef:
            found = inputs.get(kind)
            base = _place_read(found[0], sys) if found else PlaceRef(name="Not recorded")
            unit = inputs.get(unit_kind)
            unit_ref = ref_key(unit[0].get("valueReference")) if unit else None
            return PlaceRef(base.name, base.reference, base.code, unit_ref, None, False)

        mode = inputs.get(IN_MODE)
        oxygen = inputs.get(IN_OXYGEN)
        period = resource.get("executionPeriod") or {}
        restriction = (resource.get("restriction") or {}).get("period") or {}
        owner_name, owner_key = _owner(resource.get("owner"))
        based_on = [ref_key(r) for r in resource.get("basedOn") or []]
        accepted = outputs.get(OUT_ACCEPTED)
        return JobRecord(
            id=str(resource["id"]),
            version=version_of(resource),
            status=str(resource.get("status")),
            business=code_of(resource.get("businessStatus"), sys.status),
            priority=str(resource.get("priority") or "routine"),
            number=(resource.get("groupIdentifier") or {}).get("value"),
            leg=str((inputs.get(IN_LEG) or [{}])[0].get("valueCode") or LEG_OUT),
            patient=ref_key(resource.get("for")),
            encounter=ref_key(resource.get("encounter")),
            request=next((r for r in based_on if r and r.startswith("ServiceRequest/")), None),
            origin=place(IN_ORIGIN, IN_ORIGIN_UNIT),
            destination=place(IN_DESTINATION, IN_DESTINATION_UNIT),
            mode=code_of(mode[0].get("valueCodeableConcept"), sys.mode) if mode else None,
            needs=tuple(Need(code_of(n.get("valueCodeableConcept"), sys.need) or "",
                             text_of(n.get("valueCodeableConcept"))) for n in inputs.get(IN_NEED, [])),
            oxygen_lpm=float(oxygen[0]["valueQuantity"]["value"]) if oxygen else None,
            authored_on=parse_datetime(resource.get("authoredOn")),
            due_from=parse_datetime(restriction.get("start")),
            due_by=parse_datetime(restriction.get("end")),
            accepted_at=parse_datetime(accepted.get("valueDateTime")) if accepted else None,
            picked_up_at=parse_datetime(period.get("start")),
            delivered_at=parse_datetime(period.get("end")),
            last_modified=parse_datetime(resource.get("lastModified")),
            owner_name=owner_name,
            owner_key=owner_key,
            delays=tuple(str(n.get("text")) for n in resource.get("note") or []
                         if isinstance(n, dict) and str(n.get("text", "")).startswith(DELAY_PREFIX)),
            status_reason=text_of(resource.get("statusReason")) or None,
            note=next((str(n.get("text")) for n in resource.get("note") or []
                       if isinstance(n, dict) and n.get("text") and not str(n["text"]).startswith(DELAY_PREFIX)), ""),
        )
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as e:
        raise UnreadableResource(f"Task/{resource.get('id')}: {type(e).__name__}") from None


#: A delay's note starts with this, so it is told apart from the request's own note.
DELAY_PREFIX = "Delayed: "


@dataclass
class JobSet:
    """Legs read by one search, with the patients, encounters and requests it _included."""

    jobs: list[JobRecord] = field(default_factory=list)
    patients: dict[str, PatientRecord] = field(default_factory=dict)
    encounters: dict[str, EncounterRecord] = field(default_factory=dict)
    #: 'ServiceRequest/<id>' -> the resource as read (its version and status).
    requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The raw Tasks by reference, to edit for a change.
    raw: dict[str, dict[str, Any]] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)

    def extend(self, other: JobSet) -> None:
        known = {j.id for j in self.jobs}
        self.jobs += [j for j in other.jobs if j.id not in known]
        self.patients.update(other.patients)
        self.encounters.update(other.encounters)
        self.requests.update(other.requests)
        self.raw.update(other.raw)
        self.unreadable += other.unreadable


def _job_set(gw: FhirGateway, found: Any, sys: Systems) -> JobSet:
    tasks = [m for m in found.matches if m.get("resourceType") == "Task"]
    jobs = read_all(tasks, lambda r: read_job(r, sys))
    patients = read_all(found.of_type("Patient"), lambda r: read_patient(r, gw.identifiers.mrn))
    encounters = read_all(found.of_type("Encounter"), lambda r: read_encounter(r, gw.identifiers.encounter))
    return JobSet(
        jobs=jobs.records,
        patients={p.reference: p for p in patients.records},
        encounters={e.reference: e for e in encounters.records},
        requests={f"ServiceRequest/{r['id']}": r for r in found.of_type("ServiceRequest")},
        raw={f"Task/{t['id']}": t for t in tasks},
        unreadable=jobs.unreadable + patients.unreadable + encounters.unreadable,
    )


def tasks_offered(gw: FhirGateway, what: str) -> None:
    """FhirNotAllowed, before any request, when the server has no Task resources at all (transport jobs
    are Tasks)."""
    caps = gw.capabilities
    if not caps.supports_type("Task"):
        raise FhirNotAllowed(f"Transport jobs are Tasks on the FHIR server, and {caps.software} does not offer "
                             f"Task resources: {what} is not available on this server.")


def _transport_code() -> str:
    return f"{SNOMED}|{TRANSPORT_CODE}"


def open_jobs(gw: FhirGateway) -> JobSet:
    """Every open transport leg on the server, with patients, encounters and requests: one search
    (paged by the server if it must)."""
    tasks_offered(gw, "the transport board")
    require_searches(gw, (OPEN_JOBS,), "The transport board")
    found = gw.client.search("Task", [
        ("code", _transport_code()),
        ("status", ",".join(OPEN_STATUSES)),
        *(("_include", i) for i in BOARD_INCLUDES),
        ("_count", "1000"),
    ])
    return _job_set(gw, found, systems(gw))


def delivered_since(gw: FhirGateway, since: datetime) -> JobSet:
    """Legs delivered since a time (for a delivered transfer's move into its bed): one search."""
    require_searches(gw, (DELIVERED_JOBS,), "The transport board")
    found = gw.client.search("Task", [
        ("code", _transport_code()),
        ("status", "completed"),
        ("modified", f"ge{b.fhir_instant(since)}"),
        *(("_include", i) for i in JOB_INCLUDES),
        ("_count", "1000"),
    ])
    return _job_set(gw, found, systems(gw))


def jobs_of_request(gw: FhirGateway, number: str) -> JobSet:
    """Every leg of one request (whatever its status), with patient, encounter and request: one search."""
    tasks_offered(gw, "a transport job")
    require_searches(gw, (REQUEST_JOBS,), "A transport job")
    sys = systems(gw)
    found = gw.client.search("Task", [
        ("group-identifier", f"{sys.request}|{number}"),
        *(("_include", i) for i in JOB_INCLUDES),
    ])
    return _job_set(gw, found, sys)


def open_jobs_of_patients(gw: FhirGateway, patients: list[str]) -> list[JobRecord]:
    """Open legs of these patients, in one search (POST: patient ids never in a URL). More patients than
    one id list may hold (kiosk.fhir.census.CHUNK; sekmet-fhir fails above 494 values): every open
    transport leg, kept for these patients here (open legs are few whatever the size of the unit)."""
    if not patients:
        return []
    tasks_offered(gw, "the transport marks")
    require_searches(gw, (PATIENT_JOBS,), "The transport marks on the beds")
    return _legs_of(gw, patients, OPEN_STATUSES, [])


def legs_of_patients_since(gw: FhirGateway, patients: list[str], since: datetime) -> list[JobRecord]:
    """These patients' legs asked for, under way or delivered, changed since a time: one search (POST,
    patient ids never in a URL; more patients than one id list holds: every such leg, kept here)."""
    if not patients:
        return []
    tasks_offered(gw, "a patient's transport")
    require_searches(gw, (MOVE_JOBS,), "A patient's transport")
    return _legs_of(gw, patients, MOVE_STATUSES, [("modified", f"ge{b.fhir_instant(since)}")])


def _legs_of(gw: FhirGateway, patients: list[str], statuses: Sequence[str], more: list[tuple[str, str]]
             ) -> list[JobRecord]:
    """These patients' legs in these statuses, in one search (POST: patient ids never in a URL). More
    patients than one id list may hold (kiosk.fhir.census.CHUNK): every such leg, kept for them here."""
    wanted = sorted(set(patients))
    by_list = len(wanted) <= CHUNK
    found = gw.client.search("Task", [
        ("code", _transport_code()),
        ("status", ",".join(statuses)),
        *([("patient", ",".join(wanted))] if by_list else []),
        *more,
        ("_count", "1000"),
    ], post=True)
    sys = systems(gw)
    jobs = read_all(found.matches, lambda r: read_job(r, sys)).records
    keep = set(wanted)
    return [job for job in jobs if job.patient in keep]


def jobs_authored_since(gw: FhirGateway, since: datetime, page_size: int = 200
                        ) -> tuple[list[JobRecord], list[str], int]:
    """Every leg asked for since a time, whatever its status, following the server's pages: (legs,
    unreadable, pages)."""
    tasks_offered(gw, "the transport figures")
    require_searches(gw, (FIGURE_JOBS,), "The transport figures")
    found = gw.client.search("Task", [
        ("code", _transport_code()),
        ("authored-on", f"ge{b.fhir_instant(since)}"),
        ("_count", str(page_size)),
    ])
    sys = systems(gw)
    read = read_all(found.matches, lambda r: read_job(r, sys))
    return read.records, read.unreadable, found.pages


def order_of_patient(gw: FhirGateway, order_id: str, patient: str) -> dict[str, Any] | None:
    """The order a move is asked for, when it is this patient's (one search, sent as POST); None when
    it is not, or the server does not offer the search."""
    if gw.capabilities.missing_searches(ORDER):
        return None
    found = gw.client.search("ServiceRequest", [("_id", order_id), ("patient", patient)], post=True)
    return found.matches[0] if found.matches else None
