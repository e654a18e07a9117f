"""Orders under provider direction on the FHIR server: the shapes the kiosk writes and the searches it
reads them back with, each a fixed number of requests whatever the number of orders.

Entering an order is one transaction (docs/decisions.md, "Orders"):

- `ServiceRequest`: status active, intent order, category, code (LOINC / SNOMED CT / the kiosk's
  order-item codes), subject, encounter, requester (the provider), priority, occurrence, reasonCode,
  note, orderDetail (what the category needs), the order number as identifier (created only if none
  has it: a double tap or a retry makes one order) and, for a lab order, the specimen's accession
  number as a second identifier (type ACSN);
- `Provenance`: target the ServiceRequest, agent author = the provider, agent enterer = the staff
  member signed in, activity = the order mode (HL7 v2 table 0483, or the kiosk's code for "per
  protocol"), with the read-back in its text;
- the co-signature `Task`: code `approve` (http://hl7.org/fhir/CodeSystem/task-code), focus the
  ServiceRequest, for the patient, owner the provider, status requested, due (restriction.period.end)
  at the policy's hours, groupIdentifier the unit (what the unit's list searches by).

Co-signing completes each Task and adds a Provenance with agent attester = the provider (one
transaction with If-Match); disagreeing revokes the ServiceRequest and cancels the Task.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from . import builders as b
from . import codes
from .capability import SearchNeed
from .change import TRANSACTION, Change, Needs, edit
from .client import identifier_query
from .errors import FhirNotAllowed, UnreadableResource
from .gateway import FhirGateway
from .records import (
    PatientRecord,
    PractitionerRecord,
    code_of,
    identifier_value,
    parse_datetime,
    read_all,
    read_patient,
    read_practitioner,
    text_of,
)
from .refs import ref_key, version_of

V2_0483 = "http://terminology.hl7.org/CodeSystem/v2-0483"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
PROVENANCE_AGENT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
#: HL7 v2 table 0483 (authorization mode) displays of the modes the kiosk uses.
MODE_DISPLAY = {"PC": "Phone call", "VO": "Voice", "PA": "Paper", "EL": "Electronic"}
#: ServiceRequest.category: SNOMED CT where the FHIR example value set has the category (checked:
#: docs/decisions.md), always with the kiosk's own category code.
CATEGORY_SNOMED = {"lab": ("108252007", "Laboratory procedure"), "imaging": ("363679005", "Imaging")}
APPROVE = "approve"
APPROVE_DISPLAY = "Activate/approve the focal resource"
OPEN_TASK = ("requested", "received", "accepted", "in-progress", "on-hold")

#: Entering an order where the server takes all of it: one transaction, the order created once.
FULL_NEEDS = Needs.of(("ServiceRequest", "conditional-create"), ("Provenance", "create"),
                      ("Task", "conditional-create"), TRANSACTION)
#: A provider's own order: the order and who entered it, no co-signature.
OWN_NEEDS = Needs.of(("ServiceRequest", "conditional-create"), ("Provenance", "create"), TRANSACTION)
#: Where the server takes the order only (Epic): the order alone; who entered it and how stay in the
#: kiosk's audit trail, and the co-signature happens in the EHR.
ORDER_ONLY_NEEDS = Needs.of(("ServiceRequest", "create"))
COSIGN_NEEDS = Needs.of(("Task", "update"), ("Provenance", "create"), TRANSACTION)
DISAGREE_NEEDS = Needs.of(("Task", "update"), ("ServiceRequest", "update"), TRANSACTION)
DISCONTINUE_NEEDS = Needs.of(("ServiceRequest", "update"), ("Task", "update"), TRANSACTION)

ENCOUNTER_ORDERS = SearchNeed("ServiceRequest", params=("encounter",))
PATIENT_ORDERS = SearchNeed("ServiceRequest", params=("patient",))
ENCOUNTER_TASKS = SearchNeed("Task", params=("encounter", "code"))
UNIT_COSIGN = SearchNeed("Task", params=("code", "status", "group-identifier"),
                         includes=("Task:focus", "Task:patient"))
PROVIDER_COSIGN = SearchNeed("Task", params=("code", "status", "owner"), includes=("Task:focus", "Task:patient"))
UNIT_DISAGREEMENTS = SearchNeed("Task", params=("code", "status", "group-identifier", "_lastUpdated"),
                                includes=("Task:focus", "Task:patient"))
PATIENT_DISAGREEMENTS = SearchNeed("Task", params=("code", "status", "patient", "_lastUpdated"),
                                   includes=("Task:focus", "Task:patient"))
#: Task.statusReason of a co-signature the provider refused (Systems.status_reason): the unit is told.
PROVIDER_DISAGREES = "provider-disagrees"
#: The statusReason's text: this, then the provider's words.
DISAGREES_TEXT = "Provider disagrees: "
#: Ids per `_id` search (a URL of 100 ids stays far below servers' limits).
IDS_PER_SEARCH = 100
ORDER_BY_NUMBER = SearchNeed("ServiceRequest", params=("identifier",))


@dataclass(frozen=True)
class Systems:
    """The systems orders use: the configured order and accession numbers, and the kiosk's own codes."""

    base: str
    order_number: str
    accession: str

    def of(self, concept: str) -> str:
        return codes.local_system(self.base, concept)

    @property
    def item(self) -> str:
        return self.of("order-item")

    @property
    def category(self) -> str:
        return self.of("order-category")

    @property
    def detail(self) -> str:
        return self.of("order-detail")

    @property
    def mode(self) -> str:
        return self.of("order-mode")

    @property
    def unit(self) -> str:
        """Task.groupIdentifier of co-signatures: the unit the order was entered on."""
        return self.of("order-unit")

    @property
    def task(self) -> str:
        return self.of(codes.TASK_IDENTIFIER_CONCEPT)

    @property
    def status_reason(self) -> str:
        """Task.statusReason of a co-signature that ended without one (PROVIDER_DISAGREES)."""
        return self.of("order-cosign-reason")

    @property
    def staff(self) -> str:
        return self.of("staff-badge")


def systems(gw: FhirGateway, order_number: str, accession: str) -> Systems:
    return Systems(gw.identifiers.code_systems, order_number, accession)


@dataclass(frozen=True)
class NewOrder:
    """An order as the kiosk sends it (checked by the orders workflow first)."""

    number: str
    patient: str
    encounter: str
    unit_id: str
    category: str
    item_system: str  # a URI
    item_code: str
    item_name: str
    priority: str
    mode: str
    provider: str  # 'Practitioner/<id>'
    provider_name: str
    enterer: dict[str, Any]
    entered_at: datetime
    #: {"occurrenceDateTime": ...} or {"occurrenceTiming": ...}
    occurrence: dict[str, Any]
    reason: str = ""
    note: str = ""
    #: (detail code, words) for orderDetail: ("specimen", "Blood"), ("travel", "Wheelchair") ...
    details: tuple[tuple[str, str], ...] = ()
    accession: str | None = None
    read_back: str = ""
    cosign_due: datetime | None = None
    #: Why the order was sent although the same item is active (the duplicate check's reason).
    duplicate_reason: str = ""


def staff_reference(sys: Systems, badge: str, name: str, practitioner_ref: str | None) -> dict[str, Any]:
    """The staff member who entered the order: their Practitioner when it is a literal reference,
    otherwise by badge number, with the name to show."""
    if practitioner_ref and "?" not in practitioner_ref:
        return b.reference(practitioner_ref, name)
    return {"identifier": b.identifier(sys.staff, badge), "display": name}


def mode_concept(sys: Systems, mode: str, text: str) -> dict[str, Any]:
    if mode in MODE_DISPLAY:
        return b.concept(V2_0483, mode, MODE_DISPLAY[mode], text)
    return b.concept(sys.mode, mode, text=text)


def service_request(sys: Systems, new: NewOrder) -> dict[str, Any]:
    category = [b.concept(sys.category, new.category)]
    if new.category in CATEGORY_SNOMED:
        code, display = CATEGORY_SNOMED[new.category]
        category[0]["coding"].insert(0, b.coding(SNOMED, code, display))
    identifiers = [b.identifier(sys.order_number, new.number)]
    if new.accession:
        identifiers.append({"type": b.concept(V2_0203, "ACSN", "Accession ID"), "system": sys.accession,
                            "value": new.accession})
    notes = [{"text": new.note, "time": b.fhir_instant(new.entered_at)}] if new.note else []
    if new.duplicate_reason:
        notes.append({"text": f"Ordered although the same order is active: {new.duplicate_reason}",
                      "time": b.fhir_instant(new.entered_at)})
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "identifier": identifiers,
        "status": "active",
        "intent": "order",
        "category": category,
        "priority": new.priority,
        "code": b.concept(new.item_system, new.item_code, new.item_name, new.item_name),
        "orderDetail": [b.concept(sys.detail, code, text=f"{_DETAIL_WORDS.get(code, code)}: {words}")
                        for code, words in new.details],
        "subject": b.reference(new.patient),
        "encounter": b.reference(new.encounter),
        **new.occurrence,
        "authoredOn": b.fhir_instant(new.entered_at),
        "requester": b.reference(new.provider, new.provider_name),
    }
    if new.reason:
        resource["reasonCode"] = [{"text": new.reason}]
    if notes:
        resource["note"] = notes
    if not resource["orderDetail"]:
        del resource["orderDetail"]
    return resource


_DETAIL_WORDS = {"specimen": "Specimen", "container": "Container", "reason": "Reason for the study",
                 "travel": "Travels", "texture": "Texture", "fluids": "Fluids", "service": "Service",
                 "question": "Question"}


def entry_provenance(sys: Systems, new: NewOrder, target: str) -> dict[str, Any]:
    text = new.read_back or f"Order entered {MODE_DISPLAY.get(new.mode, new.mode).lower()}"
    return {
        "resourceType": "Provenance",
        "target": [b.reference(target)],
        "recorded": b.fhir_instant(new.entered_at),
        "activity": mode_concept(sys, new.mode, text),
        "agent": [
            {"type": b.concept(PROVENANCE_AGENT, "author", "Author"), "who": b.reference(new.provider,
                                                                                     new.provider_name)},
            {"type": b.concept(PROVENANCE_AGENT, "enterer", "Enterer"), "who": new.enterer},
        ],
    }


def cosign_task(sys: Systems, new: NewOrder, target: str) -> dict[str, Any]:
    if new.cosign_due is None:
        raise ValueError("a co-signature needs its due time")
    return {
        "resourceType": "Task",
        "identifier": [b.identifier(sys.task, f"order-cosign/{new.number}")],
        "groupIdentifier": b.identifier(sys.unit, new.unit_id),
        "status": "requested",
        "intent": "order",
        "priority": new.priority,
        "code": b.concept(codes.TASK_CODE, APPROVE, APPROVE_DISPLAY, "Co-sign order"),
        "description": new.item_name,
        "focus": b.reference(target),
        "for": b.reference(new.patient),
        "encounter": b.reference(new.encounter),
        "authoredOn": b.fhir_instant(new.entered_at),
        "lastModified": b.fhir_instant(new.entered_at),
        "requester": new.enterer,
        "owner": b.reference(new.provider, new.provider_name),
        "restriction": {"period": {"end": b.fhir_instant(new.cosign_due)}},
    }


def order_change(sys: Systems, new: NewOrder, *, cosign: bool, full: bool) -> Change:
    """Entering an order. `full`: the server takes the whole transaction (else the order alone, see
    ORDER_ONLY_NEEDS); `cosign`: the order needs the provider's co-signature (not their own order)."""
    change = Change("order-entry")
    order = service_request(sys, new)
    if not full:
        change.create(order, name=f"the order ({new.item_name})")
        return change.declare(ORDER_ONLY_NEEDS)
    change.needs = FULL_NEEDS if cosign else OWN_NEEDS
    target = change.create(order, if_none_exist=identifier_query(sys.order_number, new.number),
                           name=f"the order ({new.item_name})")
    change.create(entry_provenance(sys, new, target), name="the record of who entered it")
    if cosign:
        change.create(cosign_task(sys, new, target),
                      if_none_exist=identifier_query(sys.task, f"order-cosign/{new.number}"),
                      name="the co-signature request")
    return change


# ---------------------------------------------------------------- what is read back


@dataclass(frozen=True)
class OrderRecord:
    id: str
    version: str | None
    status: str
    number: str | None
    accession: str | None
    category: str | None
    code: str | None
    text: str
    priority: str
    patient: str | None
    encounter: str | None
    requester: str | None
    requester_name: str
    authored_on: datetime | None
    occurrence: str
    reason: str
    notes: tuple[str, ...]
    details: tuple[str, ...]

    @property
    def reference(self) -> str:
        return f"ServiceRequest/{self.id}"


def read_order(resource: dict[str, Any], sys: Systems) -> OrderRecord:
    if not isinstance(resource, dict) or resource.get("resourceType") != "ServiceRequest" or not resource.get("id"):
        raise UnreadableResource("not a ServiceRequest with an id")
    try:
        accession = next((str(i.get("value")) for i in resource.get("identifier") or []
                          if isinstance(i, dict) and i.get("system") == sys.accession), None)
        category = None
        for concept in resource.get("category") or []:
            category = category or code_of(concept, sys.category)
        requester = resource.get("requester") or {}
        occurrence = resource.get("occurrenceDateTime") or ""
        timing = (resource.get("occurrenceTiming") or {}).get("repeat") or {}
        if timing.get("boundsPeriod"):
            occurrence = f"daily from {timing['boundsPeriod'].get('start')} to {timing['boundsPeriod'].get('end')}"
        return OrderRecord(
            id=str(resource["id"]),
            version=version_of(resource),
            status=str(resource.get("status") or "unknown"),
            number=identifier_value(resource, sys.order_number),
            accession=accession,
            category=category,
            code=code_of(resource.get("code")),
            text=text_of(resource.get("code")) or "Order",
            priority=str(resource.get("priority") or "routine"),
            patient=ref_key(resource.get("subject")),
            encounter=ref_key(resource.get("encounter")),
            requester=ref_key(requester),
            requester_name=str(requester.get("display") or ""),
            authored_on=parse_datetime(resource.get("authoredOn")),
            occurrence=str(occurrence),
            reason=" ".join(text_of(r) for r in resource.get("reasonCode") or []),
            notes=tuple(str(n.get("text")) for n in resource.get("note") or []
                        if isinstance(n, dict) and n.get("text")),
            details=tuple(text_of(d) for d in resource.get("orderDetail") or []),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise UnreadableResource(f"ServiceRequest/{resource.get('id')}: {type(e).__name__}") from None


@dataclass(frozen=True)
class CosignRecord:
    id: str
    version: str | None
    status: str
    order: str | None
    patient: str | None
    owner: str | None
    owner_name: str
    due: datetime | None
    priority: str
    authored_on: datetime | None
    description: str
    #: Why it ended without a co-signature: the coded reasons ((system, code) ...) and the text.
    reason_codes: tuple[tuple[str, str], ...] = ()
    reason_text: str = ""
    last_modified: datetime | None = None
    #: Task.groupIdentifier (system, value): the unit the order was entered on (Systems.unit).
    group: tuple[str, str] | None = None

    @property
    def reference(self) -> str:
        return f"Task/{self.id}"


def read_cosign(resource: dict[str, Any]) -> CosignRecord:
    if not isinstance(resource, dict) or resource.get("resourceType") != "Task" or not resource.get("id"):
        raise UnreadableResource("not a Task with an id")
    try:
        owner = resource.get("owner") or {}
        return CosignRecord(
            id=str(resource["id"]),
            version=version_of(resource),
            status=str(resource.get("status")),
            order=ref_key(resource.get("focus")),
            patient=ref_key(resource.get("for")),
            owner=ref_key(owner),
            owner_name=str(owner.get("display") or ""),
            due=parse_datetime(((resource.get("restriction") or {}).get("period") or {}).get("end")),
            priority=str(resource.get("priority") or "routine"),
            authored_on=parse_datetime(resource.get("authoredOn")),
            description=str(resource.get("description") or ""),
            reason_codes=tuple((str(c.get("system") or ""), str(c.get("code") or ""))
                               for c in (resource.get("statusReason") or {}).get("coding") or []),
            reason_text=str((resource.get("statusReason") or {}).get("text") or ""),
            last_modified=parse_datetime(resource.get("lastModified")),
            group=(str(group.get("system") or ""), str(group.get("value") or ""))
            if isinstance(group := resource.get("groupIdentifier"), dict) else None,
        )
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise UnreadableResource(f"Task/{resource.get('id')}: {type(e).__name__}") from None


@dataclass
class OrderSet:
    """Orders and their co-signatures as read, with the raw resources (to edit for a change)."""

    orders: list[OrderRecord] = field(default_factory=list)
    cosigns: list[CosignRecord] = field(default_factory=list)
    patients: dict[str, PatientRecord] = field(default_factory=dict)
    raw: dict[str, dict[str, Any]] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)

    def merged(self, other: OrderSet) -> OrderSet:
        """Both sets, each record once (a co-signature both searches found is in both)."""
        def union(mine: list[Any], theirs: list[Any]) -> list[Any]:
            seen = {r.reference for r in mine}
            return [*mine, *(r for r in theirs if r.reference not in seen)]

        return OrderSet(orders=union(self.orders, other.orders), cosigns=union(self.cosigns, other.cosigns),
                        patients={**other.patients, **self.patients}, raw={**other.raw, **self.raw},
                        unreadable=list(dict.fromkeys([*self.unreadable, *other.unreadable])))

    def order(self, ref: str | None) -> OrderRecord | None:
        return next((o for o in self.orders if o.reference == ref), None)

    def cosign_of(self, order_ref: str) -> CosignRecord | None:
        """The order's co-signature: the open one, else the latest."""
        found = [c for c in self.cosigns if c.order == order_ref]
        return next((c for c in found if c.status in OPEN_TASK), found[-1] if found else None)


def _require(gw: FhirGateway, needs: Iterable[SearchNeed], what: str) -> None:
    for need in needs:
        missing = gw.capabilities.missing_searches(need)
        if missing:
            raise FhirNotAllowed(f"{what} needs {', '.join(missing)}, which {gw.capabilities.software} does not "
                                 "offer.")


def _approve() -> str:
    return f"{codes.TASK_CODE}|{APPROVE}"


def orders_of_encounter(gw: FhirGateway, sys: Systems, encounter_id: str, patient_id: str | None = None) -> OrderSet:
    """Every order of a stay and their co-signatures: two searches whatever their number (the second
    only where the server keeps Tasks). A server without ServiceRequest search by encounter (Oracle
    Health) is asked for the patient's orders, and those of other stays are left out."""
    encounter = f"Encounter/{encounter_id}"
    if patient_id and gw.capabilities.missing_searches(ENCOUNTER_ORDERS) and \
            not gw.capabilities.missing_searches(PATIENT_ORDERS):
        found = gw.client.search("ServiceRequest", [("patient", f"Patient/{patient_id}"), ("_count", "500")],
                                 post=True)
        found.matches[:] = [m for m in found.matches if ref_key(m.get("encounter")) == encounter]
    else:
        _require(gw, (ENCOUNTER_ORDERS,), "Reading the patient's orders")
        found = gw.client.search("ServiceRequest", [("encounter", encounter), ("_count", "500")])
    read = read_all(found.matches, lambda r: read_order(r, sys))
    out = OrderSet(orders=read.records, raw={f"ServiceRequest/{r['id']}": r for r in found.matches},
                   unreadable=read.unreadable)
    if not gw.capabilities.missing_searches(ENCOUNTER_TASKS):
        tasks = gw.client.search("Task", [("encounter", f"Encounter/{encounter_id}"), ("code", _approve()),
                                          ("_count", "500")])
        cosigns = read_all(tasks.matches, read_cosign)
        out.cosigns = sorted(cosigns.records, key=lambda c: c.authored_on.timestamp() if c.authored_on else 0.0)
        out.raw.update({f"Task/{t['id']}": t for t in tasks.matches})
        out.unreadable += cosigns.unreadable
    return out


def awaiting_cosign(gw: FhirGateway, sys: Systems, unit_id: str) -> OrderSet:
    """Every co-signature waiting on the unit, with its order and patient: one search."""
    _require(gw, (UNIT_COSIGN,), "The co-signature list")
    return _cosigns(gw, sys, [("status", "requested"), ("group-identifier", f"{sys.unit}|{unit_id}")])


def awaiting_provider(gw: FhirGateway, sys: Systems, provider: str) -> OrderSet | None:
    """Every co-signature waiting for this provider ('Practitioner/<id>') on any unit, with its order and
    patient: one search; None (no request) where the server does not search Tasks by owner."""
    if gw.capabilities.missing_searches(PROVIDER_COSIGN):
        return None
    found = _cosigns(gw, sys, [("status", "requested"), ("owner", provider)])
    found.cosigns = [c for c in found.cosigns if c.owner == provider]  # a server that ignored `owner` lists all
    return found


def disagreements(gw: FhirGateway, sys: Systems, unit_id: str, since: datetime) -> OrderSet:
    """The unit's co-signatures a provider refused since `since`, with their orders and patients: one
    search (the unit's cancelled co-signatures changed since then, those cancelled on disagreement kept)."""
    _require(gw, (UNIT_DISAGREEMENTS,), "The orders providers disagreed with")
    return _refused(_cosigns(gw, sys, [("group-identifier", f"{sys.unit}|{unit_id}"), *_cancelled_since(since)]),
                    sys)


def disagreements_about(gw: FhirGateway, sys: Systems, patients: list[str], since: datetime) -> OrderSet:
    """The co-signatures of these patients' orders ('Patient/<id>') a provider refused since `since`,
    whichever unit they were entered on: one search per IDS_PER_SEARCH patients (sent as POST: patient ids
    stay out of URLs)."""
    _require(gw, (PATIENT_DISAGREEMENTS,), "The orders providers disagreed with")
    return _refused(_cosigns_by(gw, sys, "patient", patients, _cancelled_since(since), post=True), sys)


def finds_disagreements_by_patient(gw: FhirGateway) -> bool:
    """Can the unit a patient is on now find their orders' disagreements (`disagreements_about`)?"""
    return not gw.capabilities.missing_searches(PATIENT_DISAGREEMENTS)


def cosigns_by_id(gw: FhirGateway, sys: Systems, task_ids: list[str]) -> OrderSet:
    """These co-signature Tasks with their orders and patients: one search per IDS_PER_SEARCH ids."""
    return _cosigns_by(gw, sys, "_id", task_ids)


def _cosigns_by(gw: FhirGateway, sys: Systems, param: str, values: list[str],
                more: list[tuple[str, str]] | None = None, post: bool = False) -> OrderSet:
    """Co-signatures whose `param` is one of `values`: one search per IDS_PER_SEARCH of them."""
    found = OrderSet()
    for start in range(0, len(values), IDS_PER_SEARCH):
        found = found.merged(_cosigns(gw, sys, [(param, ",".join(values[start:start + IDS_PER_SEARCH])),
                                                *(more or [])], post=post))
    return found


def _cancelled_since(since: datetime) -> list[tuple[str, str]]:
    return [("status", "cancelled"), ("_lastUpdated", f"ge{b.fhir_instant(since)}")]


def _refused(found: OrderSet, sys: Systems) -> OrderSet:
    """Of these, the co-signatures cancelled on disagreement (`is_disagreement`)."""
    found.cosigns = [c for c in found.cosigns if is_disagreement(c, sys)]
    return found


def is_disagreement(cosign: CosignRecord, sys: Systems) -> bool:
    """A co-signature its provider refused (`disagree`)."""
    return cosign.status == "cancelled" and (sys.status_reason, PROVIDER_DISAGREES) in cosign.reason_codes


def disagreement_words(cosign: CosignRecord) -> str:
    """The provider's words when they disagreed (the reason's text after DISAGREES_TEXT)."""
    text = cosign.reason_text
    return text[len(DISAGREES_TEXT):].strip() if text.startswith(DISAGREES_TEXT) else text


def _cosigns(gw: FhirGateway, sys: Systems, which: list[tuple[str, str]], post: bool = False) -> OrderSet:
    """Co-signature Tasks with their orders and patients included (one search)."""
    found = gw.client.search("Task", [
        ("code", _approve()),
        *which,
        ("_include", "Task:focus"),
        ("_include", "Task:patient"),
        ("_count", "1000"),
    ], post=post)
    cosigns = read_all(found.matches, read_cosign)
    orders = read_all(found.of_type("ServiceRequest"), lambda r: read_order(r, sys))
    patients = read_all(found.of_type("Patient"), lambda r: read_patient(r, gw.identifiers.mrn))
    raw = {f"Task/{t['id']}": t for t in found.matches}
    raw.update({f"ServiceRequest/{r['id']}": r for r in found.of_type("ServiceRequest")})
    return OrderSet(orders=orders.records, cosigns=cosigns.records, patients={p.reference: p for p in patients.records},
                    raw=raw, unreadable=cosigns.unreadable + orders.unreadable + patients.unreadable)


def order_by_number(gw: FhirGateway, sys: Systems, number: str) -> dict[str, Any] | None:
    """The order with this order number, if the server has it (one search; None, without a request, on a
    server that does not search ServiceRequest by identifier)."""
    if gw.capabilities.missing_searches(ORDER_BY_NUMBER):
        return None
    found = gw.client.search("ServiceRequest", [("identifier", f"{sys.order_number}|{number}")])
    return found.matches[0] if found.matches else None


def practitioners(gw: FhirGateway, unit_id: str) -> tuple[list[PractitionerRecord], set[str]]:
    """Active Practitioners for the provider picker, and the references of the unit's providers
    (PractitionerRole at the unit): at most two searches."""
    found = gw.client.search("Practitioner", [("active", "true"), ("_count", "500")])
    people = read_all(found.matches, read_practitioner).records
    unit: set[str] = set()
    if not gw.capabilities.missing_searches(SearchNeed("PractitionerRole", params=("location", "active"))):
        roles = gw.client.search("PractitionerRole", [("location", f"Location/{unit_id}"), ("active", "true"),
                                                      ("_count", "500")])
        unit = {ref for r in roles.matches if (ref := ref_key(r.get("practitioner")))}
    return people, unit


def practitioner_of(gw: FhirGateway, practitioner_ref: str | None) -> str | None:
    """'Practitioner/<id>' of a staff account's practitioner ('Practitioner/<id>' already, or an
    identifier query resolved by one search)."""
    if not practitioner_ref:
        return None
    if practitioner_ref.startswith("Practitioner/") and "?" not in practitioner_ref:
        return practitioner_ref
    if practitioner_ref.startswith("Practitioner?identifier="):
        found = gw.client.search("Practitioner", [("identifier", practitioner_ref.split("=", 1)[1])])
        return f"Practitioner/{found.matches[0]['id']}" if found.matches else None
    return None


# ---------------------------------------------------------------- changes to orders


def cosign_change(raw: dict[str, dict[str, Any]], tasks: list[str], provider: str, provider_name: str,
                  now: datetime) -> Change:
    """Co-sign several orders at once: each Task completed and an attesting Provenance per order, one
    transaction (each Task with If-Match, added by `send` from the versions the provider saw)."""
    change = Change("order-cosign", COSIGN_NEEDS)
    for ref in tasks:
        task, version = edit(raw[ref])
        task["status"] = "completed"
        task["lastModified"] = b.fhir_instant(now)
        task["executionPeriod"] = {"end": b.fhir_instant(now)}
        change.update((task, version), name=f"the co-signature of {task.get('description') or 'an order'}")
        focus = ref_key(task.get("focus")) or ""
        change.create({
            "resourceType": "Provenance",
            "target": [b.reference(focus)],
            "recorded": b.fhir_instant(now),
            "activity": b.concept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "AUTHEN",
                                  "authenticator", "Co-signed by the ordering provider"),
            "agent": [{"type": b.concept(PROVENANCE_AGENT, "attester", "Attester"),
                       "who": b.reference(provider, provider_name)}],
        }, name="the record of the co-signature")
    return change


def disagree_change(raw: dict[str, dict[str, Any]], task_ref: str, reason: str, sys: Systems,
                    now: datetime) -> Change:
    """The provider does not confirm the order: revoked, with the reason; the co-signature cancelled with
    a coded reason, by which the unit finds it (`disagreements`)."""
    change = Change("order-disagree", DISAGREE_NEEDS)
    task, task_version = edit(raw[task_ref])
    order_ref = ref_key(task.get("focus")) or ""
    order, order_version = edit(raw[order_ref])
    disagree(order, task, sys, reason, now)
    change.update((order, order_version), name="the order")
    change.update((task, task_version), name="the co-signature request")
    return change


def disagree(order: dict[str, Any], task: dict[str, Any], sys: Systems, reason: str, now: datetime) -> None:
    """The order revoked with the provider's reason in a note, its co-signature cancelled with the coded
    reason (also how the demo and the tests write a disagreement: kiosk/orders/seeding.py)."""
    task["status"] = "cancelled"
    task["statusReason"] = {"coding": [{"system": sys.status_reason, "code": PROVIDER_DISAGREES,
                                        "display": "Provider disagrees"}],
                            "text": f"{DISAGREES_TEXT}{reason}"}
    task["lastModified"] = b.fhir_instant(now)
    order["status"] = "revoked"
    order["note"] = [*(order.get("note") or []), {"text": f"Revoked by the ordering provider: {reason}",
                                                   "time": b.fhir_instant(now)}]


def discontinue_change(raw: dict[str, dict[str, Any]], order_ref: str, task_ref: str | None, reason: str,
                       now: datetime) -> Change:
    """Stop an order (revoked, with the reason), and cancel its open co-signature with it."""
    change = Change("order-discontinue", DISCONTINUE_NEEDS if task_ref else Needs.of(("ServiceRequest", "update")))
    order, version = edit(raw[order_ref])
    order["status"] = "revoked"
    order["note"] = [*(order.get("note") or []), {"text": f"Discontinued: {reason}", "time": b.fhir_instant(now)}]
    change.update((order, version), name="the order")
    if task_ref:
        task, task_version = edit(raw[task_ref])
        task["status"] = "cancelled"
        task["statusReason"] = {"text": "Order discontinued"}
        task["lastModified"] = b.fhir_instant(now)
        change.update((task, task_version), name="the co-signature request")
    return change


__all__ = [
    "COSIGN_NEEDS",
    "DISAGREE_NEEDS",
    "DISCONTINUE_NEEDS",
    "FULL_NEEDS",
    "LOINC",
    "ORDER_ONLY_NEEDS",
    "OWN_NEEDS",
    "PROVIDER_DISAGREES",
    "SNOMED",
    "CosignRecord",
    "NewOrder",
    "OrderRecord",
    "OrderSet",
    "Systems",
    "awaiting_cosign",
    "awaiting_provider",
    "cosign_change",
    "cosigns_by_id",
    "disagree",
    "disagree_change",
    "disagreement_words",
    "disagreements",
    "discontinue_change",
    "is_disagreement",
    "order_by_number",
    "order_change",
    "orders_of_encounter",
    "practitioner_of",
    "practitioners",
    "read_cosign",
    "read_order",
    "staff_reference",
    "systems",
]
