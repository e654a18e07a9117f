"""Paging on the FHIR server: whom to page (PractitionerRole and its telecoms), the page's record
(CommunicationRequest) and each message's (Communication), and what the server lets the kiosk keep.

Searches, each checked against the CapabilityStatement before it is sent:

- Encounter?_id=<encounter>&_include=Encounter:subject,participant,location: the patient (initials),
  their bed (room) and their practitioners, the attending first;
- CareTeam?encounter=<encounter>&status=active&_include=CareTeam:participant, where the server offers
  it (sekmet-fhir 0.1.1 stores CareTeam but has no search parameter for it: there the encounter's
  participants are the care team, and the screen says so);
- PractitionerRole?practitioner=<those practitioners>&active=true (their pageable roles),
  PractitionerRole?location=<unit>&active=true (the unit's providers and nurses), and
  PractitionerRole?identifier=<the people on call now> (config/on-call.toml), each with
  _include=PractitionerRole:practitioner for the names.

A compose screen about a patient costs four of them (five with a care team search), whatever the unit.
A server without PractitionerRole search (Oracle Health) gets the encounter's practitioners with the
telecoms on their Practitioner record, one `Practitioner?_id=` search, and no on-call or unit list.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kiosk.fhir.builders import fhir_instant
from kiosk.fhir.capability import Capabilities, SearchNeed
from kiosk.fhir.census import searches_not_offered
from kiosk.fhir.change import TRANSACTION, Needs
from kiosk.fhir.codes import ATTENDING, BED
from kiosk.fhir.errors import FhirError, UnreadableResource
from kiosk.fhir.gateway import FhirGateway
from kiosk.fhir.patient_context import encounter_of_patient
from kiosk.fhir.records import (
    EncounterRecord,
    PatientRecord,
    code_of,
    identifier_value,
    read_location,
    read_name,
    text_of,
)
from kiosk.fhir.refs import ref_key, version_of

from .recipients import Recipient, Telecom

COMMUNICATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/communication-category"
PRACTITIONER_ROLE_CODES = "http://terminology.hl7.org/CodeSystem/practitioner-role"

ROLE_INCLUDE = "PractitionerRole:practitioner"
ENCOUNTER_INCLUDES = ("Encounter:subject", "Encounter:participant", "Encounter:location")
ENCOUNTER_SEARCH = SearchNeed("Encounter", params=("_id",))
CARE_TEAM_SEARCH = SearchNeed("CareTeam", params=("encounter", "status"))
ROLES_BY_PRACTITIONER = SearchNeed("PractitionerRole", params=("practitioner", "active"))
ROLES_AT_LOCATION = SearchNeed("PractitionerRole", params=("location", "active"))
ROLES_BY_IDENTIFIER = SearchNeed("PractitionerRole", params=("identifier",))
PRACTITIONERS_BY_ID = SearchNeed("Practitioner", params=("_id",))


# ---------------------------------------------------------------- the patient a page is about


@dataclass(frozen=True)
class TeamMember:
    ref: str  # 'Practitioner/<id>' or 'PractitionerRole/<id>'
    why: str  # 'Attending', 'Care team'


@dataclass(frozen=True)
class PatientForPage:
    patient: PatientRecord
    encounter: EncounterRecord
    bed_name: str  # '' when the encounter has no bed now
    team: tuple[TeamMember, ...]
    #: Practitioner resources the encounter search brought (their names, and telecoms where roles are missing).
    practitioners: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def _includes(caps: Capabilities, rtype: str, wanted: tuple[str, ...]) -> list[tuple[str, str]]:
    return [("_include", v) for v in wanted if caps.supports_include(rtype, v)]


def patient_for_page(gw: FhirGateway, encounter_id: str, patient_id: str | None = None) -> PatientForPage:
    """The encounter's patient, bed and care team. Raises FhirNotFound for an encounter that is not
    (or not of this patient), FhirNotAllowed when the server offers no Encounter search by id."""
    caps = gw.capabilities
    refused = searches_not_offered(caps, (ENCOUNTER_SEARCH,), "Paging about a patient")
    if refused is not None:
        raise refused
    read = encounter_of_patient(gw, encounter_id, patient_id,
                                tuple(v for v in ENCOUNTER_INCLUDES if caps.supports_include("Encounter", v)))
    found, encounter, patient = read.found, read.encounter, read.patient
    bed_name = _bed_name(gw, found, encounter)
    team: list[TeamMember] = []
    attending = encounter.participant(ATTENDING)
    if attending:
        team.append(TeamMember(attending, "Attending"))
    for participant in encounter.participants:
        if participant.individual.startswith(("Practitioner/", "PractitionerRole/")) and \
                all(m.ref != participant.individual for m in team):
            team.append(TeamMember(participant.individual, "Care team"))
    notes: list[str] = []
    if searches_not_offered(caps, (CARE_TEAM_SEARCH,), "") is None:
        try:
            care_teams = gw.client.search("CareTeam", [("encounter", encounter.reference), ("status", "active"),
                                                       *_includes(caps, "CareTeam", ("CareTeam:participant",))]).matches
        except FhirError as e:  # the rest of the screen still works: the encounter's practitioners are listed
            care_teams = []
            notes.append(f"The care team could not be read ({e.message}); the encounter's practitioners are listed.")
        for care_team in care_teams:
            for participant in care_team.get("participant") or []:
                ref = ref_key((participant or {}).get("member"))
                if ref and ref.startswith(("Practitioner/", "PractitionerRole/")) and all(m.ref != ref for m in team):
                    team.append(TeamMember(ref, "Care team"))
    else:
        notes.append(f"{caps.software} offers no CareTeam search, so the care team is the encounter's "
                     "practitioners.")
    practitioners = {f"Practitioner/{p.get('id')}": p for p in found.of_type("Practitioner")}
    return PatientForPage(patient, encounter, bed_name, tuple(team), practitioners, tuple(notes))


def _bed_name(gw: FhirGateway, found: Any, encounter: EncounterRecord) -> str:
    """The name of the bed the patient is in now (the encounter's active location that is a bed)."""
    active = [loc.location for loc in encounter.locations_with("active")]
    places: list[dict[str, Any]] = [p for p in (found.resolve(ref) for ref in active) if p is not None]
    missing = [ref.split("/", 1)[1] for ref in active if found.resolve(ref) is None]
    if missing and gw.capabilities.supports_search("Location", "_id"):
        places += gw.client.search("Location", [("_id", ",".join(missing))]).matches
    for place in places:
        try:
            location = read_location(place, gw.identifiers.location)
        except UnreadableResource:
            continue
        if location.physical_type == BED:
            return location.name
    return ""


# ---------------------------------------------------------------- recipients


def practitioner_name(practitioner: dict[str, Any] | None, fallback: str = "") -> str:
    """'Dr. Folake Adeyemi': the name as people say it, with its prefix."""
    if not practitioner:
        return fallback
    names = practitioner.get("name") or []
    name = read_name(names)
    chosen = next((n for n in names if isinstance(n, dict)), {})
    prefix = " ".join(str(p) for p in chosen.get("prefix") or [] if p)
    return " ".join(p for p in (prefix, name.display) if p) or fallback


def _telecoms(resource: dict[str, Any] | None) -> tuple[Telecom, ...]:
    out = []
    for t in (resource or {}).get("telecom") or []:
        if isinstance(t, dict) and t.get("system") and t.get("value") and t.get("use") != "old":
            rank = t.get("rank")
            out.append(Telecom(str(t["system"]), str(t["value"]), rank if isinstance(rank, int) else None))
    return tuple(out)


def read_role(role: dict[str, Any], practitioners: dict[str, dict[str, Any]], role_system: str) -> Recipient:
    """A PractitionerRole as a recipient: its telecoms, or its practitioner's when it has none."""
    if role.get("resourceType") != "PractitionerRole" or not role.get("id"):
        raise UnreadableResource("Not a PractitionerRole.")
    practitioner_ref = ref_key(role.get("practitioner"))
    practitioner = practitioners.get(practitioner_ref or "")
    display = str((role.get("practitioner") or {}).get("display") or "")
    codes = tuple(c for c in (code_of(concept) for concept in role.get("code") or []) if c)
    role_text = next((text_of(concept) for concept in role.get("code") or [] if text_of(concept)), "")
    telecoms = _telecoms(role) or _telecoms(practitioner)
    locations = tuple(r for r in (ref_key(loc) for loc in role.get("location") or []) if r)
    return Recipient(ref=f"PractitionerRole/{role['id']}", name=practitioner_name(practitioner, display or "Unnamed"),
                     role=role_text or "Provider", practitioner=practitioner_ref,
                     identifier=identifier_value(role, role_system), telecoms=telecoms, codes=codes,
                     locations=locations)


def read_practitioner_recipient(practitioner: dict[str, Any]) -> Recipient:
    return Recipient(ref=f"Practitioner/{practitioner.get('id')}", name=practitioner_name(practitioner, "Unnamed"),
                     role="Practitioner", practitioner=f"Practitioner/{practitioner.get('id')}",
                     telecoms=_telecoms(practitioner))


def _roles(gw: FhirGateway, params: list[tuple[str, str]], role_system: str) -> list[Recipient]:
    caps = gw.capabilities
    result = gw.client.search("PractitionerRole", [*params, *_includes(caps, "PractitionerRole", (ROLE_INCLUDE,))])
    practitioners = {f"Practitioner/{p.get('id')}": p for p in result.of_type("Practitioner")}
    recipients = []
    for role in result.matches:
        try:
            recipients.append(read_role(role, practitioners, role_system))
        except UnreadableResource:
            continue
    return recipients


def roles_offered(caps: Capabilities) -> str | None:
    """Why the server cannot list PractitionerRoles the way paging needs, or None."""
    missing = list(dict.fromkeys(m for need in (ROLES_BY_PRACTITIONER, ROLES_AT_LOCATION, ROLES_BY_IDENTIFIER)
                                 for m in caps.missing_searches(need)))
    if not missing:
        return None
    return f"{caps.software} does not offer {' or '.join(missing)}, which paging needs to find whom to page."


def roles_of_practitioners(gw: FhirGateway, practitioner_refs: list[str], role_system: str) -> list[Recipient]:
    if not practitioner_refs:
        return []
    return _roles(gw, [("practitioner", ",".join(practitioner_refs)), ("active", "true")], role_system)


def roles_at(gw: FhirGateway, location_ref: str, role_system: str) -> list[Recipient]:
    return _roles(gw, [("location", location_ref), ("active", "true")], role_system)


def roles_by_identifier(gw: FhirGateway, identifiers: list[str], role_system: str) -> list[Recipient]:
    if not identifiers:
        return []
    return _roles(gw, [("identifier", ",".join(f"{role_system}|{v}" for v in identifiers))], role_system)


def roles_by_id(gw: FhirGateway, refs: list[str], role_system: str) -> list[Recipient]:
    ids = sorted({r.split("/", 1)[1] for r in refs if r.startswith("PractitionerRole/")})
    if not ids:
        return []
    return _roles(gw, [("_id", ",".join(ids))], role_system)


def practitioners_as_recipients(gw: FhirGateway, refs: list[str],
                                known: dict[str, dict[str, Any]]) -> list[Recipient]:
    """Practitioners with the telecoms on their own record (for servers without PractitionerRole)."""
    missing = [r.split("/", 1)[1] for r in refs if r.startswith("Practitioner/") and r not in known]
    found = dict(known)
    if missing and searches_not_offered(gw.capabilities, (PRACTITIONERS_BY_ID,), "") is None:
        for p in gw.client.search("Practitioner", [("_id", ",".join(sorted(missing)))]).matches:
            found[f"Practitioner/{p.get('id')}"] = p
    return [read_practitioner_recipient(found[r]) for r in refs if r in found]


def recipient_by_ref(gw: FhirGateway, ref: str, role_system: str) -> Recipient | None:
    """One recipient read afresh (at send time: the telecoms may have changed since the screen)."""
    kind, _, rid = ref.partition("/")
    if kind == "PractitionerRole":
        found = _roles(gw, [("_id", rid)], role_system)
        return found[0] if found else None
    if kind == "Practitioner":
        found = practitioners_as_recipients(gw, [ref], {})
        return found[0] if found else None
    return None


# ---------------------------------------------------------------- what the server lets the kiosk record


@dataclass(frozen=True)
class RecordMode:
    """How pages are recorded on this server. `request`: the CommunicationRequest is kept there;
    `communication`: 'full' (created at once, updated as the message goes, and with `received`),
    'once' (created once its outcome is known, never updated), or 'none'."""

    request: bool
    communication: str
    transaction: bool
    request_reason: str | None = None
    communication_reason: str | None = None

    @property
    def needs(self) -> Needs:
        wanted: list[tuple[str, str]] = []
        if self.request:
            wanted += [("CommunicationRequest", "conditional-create"), ("CommunicationRequest", "update")]
        if self.communication == "full":
            wanted += [("Communication", "conditional-create"), ("Communication", "update")]
        elif self.communication == "once":
            wanted += [("Communication", "create")]
        if self.transaction:
            wanted.append(TRANSACTION)
        return Needs.of(*wanted)

    @property
    def notes(self) -> list[str]:
        """What the screen says about where pages are recorded."""
        out = []
        if not self.request:
            out.append(f"{self.request_reason} Pages are kept in the kiosk"
                       + ("; each message sent is recorded on the FHIR server as a Communication."
                          if self.communication != "none" else "."))
        if self.communication == "once":
            out.append(f"{self.communication_reason} Each message is recorded once its outcome is known; "
                       "acknowledgements are kept in the kiosk only.")
        elif self.communication == "none":
            out.append(f"{self.communication_reason} Messages are kept in the kiosk only.")
        return out


def record_mode(caps: Capabilities) -> RecordMode:
    request_needs = Needs.of(("CommunicationRequest", "conditional-create"), ("CommunicationRequest", "update"))
    full_needs = Needs.of(("Communication", "conditional-create"), ("Communication", "update"))
    request_reason = request_needs.refused(caps)
    full_reason = full_needs.refused(caps)
    once_reason = Needs.of(("Communication", "create")).refused(caps)
    communication = "full" if full_reason is None else ("once" if once_reason is None else "none")
    return RecordMode(request=request_reason is None, communication=communication,
                      transaction=caps.allows_transaction(), request_reason=request_reason,
                      communication_reason=full_reason if communication != "full" else None)


def new_full_url() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def _instant(moment: datetime) -> str:
    """A FHIR instant; the kiosk's database keeps naive UTC."""
    return fhir_instant(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _concept(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def _ref(reference: str, display: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"reference": reference}
    if display:
        out["display"] = display
    return out


@dataclass(frozen=True)
class PageShape:
    """What the page's FHIR record says (built from the kiosk's own page)."""

    public_id: str
    system: str
    status: str  # active, completed, revoked
    urgency: str
    text: str  # the message without its acknowledgement link
    authored: datetime
    patient: str | None
    encounter: str | None
    recipients: tuple[tuple[str, str], ...]  # (reference, name)
    notes: tuple[tuple[datetime, str], ...] = ()


def _communication_base(rtype: str, system: str, value: str, status: str, urgency: str, text: str,
                         recipients: list[dict[str, Any]], resource_id: str | None, patient: str | None,
                         encounter: str | None) -> dict[str, Any]:
    """What a page's request and its messages have in common."""
    resource: dict[str, Any] = {
        "resourceType": rtype,
        "identifier": [{"system": system, "value": value}],
        "status": status,
        "category": [_concept(COMMUNICATION_CATEGORY, "notification")],
        "priority": urgency,
        "recipient": recipients,
        "payload": [{"contentString": text}],
    }
    if resource_id:
        resource["id"] = resource_id
    if patient:
        resource["subject"] = _ref(patient)
    if encounter:
        resource["encounter"] = _ref(encounter)
    return resource


def communication_request(shape: PageShape, resource_id: str | None = None) -> dict[str, Any]:
    resource = _communication_base("CommunicationRequest", shape.system, shape.public_id, shape.status,
                                   shape.urgency, shape.text, [_ref(ref, name) for ref, name in shape.recipients],
                                   resource_id, shape.patient, shape.encounter)
    resource["authoredOn"] = _instant(shape.authored)
    if shape.notes:
        resource["note"] = [{"time": _instant(at), "text": text} for at, text in shape.notes]
    return resource


@dataclass(frozen=True)
class MessageShape:
    key: str
    system: str
    status: str  # in-progress, completed, not-done, unknown
    urgency: str
    text: str
    recipient: tuple[str, str]
    patient: str | None
    encounter: str | None
    based_on: str | None  # 'CommunicationRequest/<id>' or the urn:uuid of the one created alongside
    sent: datetime | None = None
    received: datetime | None = None
    reason: str | None = None  # statusReason text for not-done / unknown


def communication(shape: MessageShape, resource_id: str | None = None) -> dict[str, Any]:
    resource = _communication_base("Communication", shape.system, shape.key, shape.status, shape.urgency, shape.text,
                                   [_ref(*shape.recipient)], resource_id, shape.patient, shape.encounter)
    if shape.based_on:
        resource["basedOn"] = [_ref(shape.based_on)]
    if shape.sent:
        resource["sent"] = _instant(shape.sent)
    if shape.received:
        resource["received"] = _instant(shape.received)
    if shape.reason:
        resource["statusReason"] = {"text": shape.reason}
    return resource


def versions_after(gw: FhirGateway, refs: list[str]) -> dict[str, str | None]:
    """The versions of resources a change wrote whose answer carried none (a conditional create that
    found the resource answers with its location only), in one batch read."""
    if not refs:
        return {}
    found = gw.client.batch_read(refs, batch=gw.capabilities.allows_batch())
    return {ref: version_of(r) if isinstance(r, dict) else None for ref, r in zip(refs, found, strict=True)}


def requests_now(gw: FhirGateway, refs: list[str]) -> dict[str, dict[str, Any]]:
    """The CommunicationRequests of the open pages as the server holds them now, in one search."""
    ids = sorted({r.split("/", 1)[1] for r in refs if r.startswith("CommunicationRequest/")})
    if not ids:
        return {}
    result = gw.client.search("CommunicationRequest", [("_id", ",".join(ids)), ("_count", str(len(ids)))])
    return {f"CommunicationRequest/{r.get('id')}": r for r in result.matches}
