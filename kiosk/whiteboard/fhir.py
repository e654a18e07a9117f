"""The whiteboard's FHIR code: care teams (read and written), the people who can be assigned, and how
this server takes care teams.

A shift's assignment of a patient is a CareTeam for the encounter (category LOINC LA27976-2
"Encounter-focused care team", period = the shift) whose participants are the nurse and the nursing
assistant, each with its SNOMED CT role and the shift as period. The unit's charge nurse of a shift is
a CareTeam of its own (no subject, the charge nurse as participant). Each is identified by
<code_systems>/care-team | '<encounter id>/<shift key>' (or 'unit/<unit id>/<shift key>'), so every
station assigning the same shift writes the same records. What else a team holds (an attending, a
case manager the EHR put there) is kept when the kiosk updates it.

How the server is asked (`team_access`, from its CapabilityStatement; docs/decisions.md has the evidence):

- reads: `CareTeam?encounter=<the unit's encounters>` where the statement offers it (this also brings
  the EHR's care teams), plus `CareTeam?identifier=` for the unit's charge-nurse teams; on a server
  named in `unlisted_care_team_servers` (sekmet-fhir 0.1.1 stores CareTeam but lists it nowhere and
  refuses every CareTeam search parameter but `_id`), one `CareTeam?_id=` search of the ids made from
  the identifiers;
- writes, one transaction: updates with ifMatch on the version the screen showed; creates with
  ifNoneExist on the identifier where the server allows conditional create, else (the named servers)
  update as create (PUT) on the id made from the identifier, after reading that it is free;
- a server that allows neither (Epic, Oracle Health: CareTeam read and search only) shows its care
  teams read-only and says why assignments are not possible.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from kiosk.fhir import builders as b
from kiosk.fhir import codes
from kiosk.fhir.capability import Capabilities, ResourceCapability, SearchNeed
from kiosk.fhir.census import CENSUS_PAGE, searches_not_offered
from kiosk.fhir.change import TRANSACTION, Needs
from kiosk.fhir.client import identifier_query
from kiosk.fhir.gateway import FhirGateway
from kiosk.fhir.records import PractitionerRecord, code_of, read_all, read_practitioner
from kiosk.fhir.refs import ref_key

from .shifts import Shift
from .teams import (
    CHARGE_NURSE,
    ENCOUNTER_FOCUSED,
    LOINC,
    NURSE,
    NURSING_ASSISTANT,
    ROLE_DISPLAY,
    ROLE_OF_SLOT,
    SLOT_OF_ROLE,
    SLOT_WORDS,
    SNOMED,
    Person,
    TeamRecord,
    read_team,
)

#: The kiosk's identifier system of care teams, under identifiers.code_systems.
TEAM_CONCEPT = "care-team"


def team_system(gw: FhirGateway) -> str:
    return codes.local_system(gw.identifiers.code_systems, TEAM_CONCEPT)


def encounter_team_key(encounter_id: str, shift: Shift) -> str:
    return f"{encounter_id}/{shift.key}"


def unit_team_key(unit_id: str, shift: Shift) -> str:
    return f"unit/{unit_id}/{shift.key}"


def team_id(system: str, value: str) -> str:
    """A FHIR id made from the identifier: the same team always gets the same id."""
    return "ct-" + hashlib.sha256(f"{system}|{value}".encode()).hexdigest()[:40]


# ---------------------------------------------------------------- what the server offers


class ReadRoute(StrEnum):
    BY_ENCOUNTER = "encounter"
    BY_ID = "id"


class WriteRoute(StrEnum):
    CONDITIONAL_CREATE = "conditional-create"
    CLIENT_ID = "client-id"


#: What a server named in unlisted_care_team_servers is taken to offer for CareTeam (its tests are the evidence).
DECLARED_CARE_TEAM = ResourceCapability(
    interactions=frozenset({"read", "search-type", "update", "create"}),
    search_params=frozenset({"_id"}),
    conditional_create=False,
    conditional_update=False,
    versioning="versioned-update",
    update_create=True,
)

CONDITIONAL_NEEDS = Needs.of(("CareTeam", "update"), ("CareTeam", "conditional-create"), TRANSACTION)
CLIENT_ID_NEEDS = Needs.of(("CareTeam", "update"), ("CareTeam", "update-create"), TRANSACTION)

BY_ENCOUNTER_SEARCH = SearchNeed("CareTeam", params=("encounter",))
BY_ID_SEARCH = SearchNeed("CareTeam", params=("_id",))
PEOPLE_SEARCH = SearchNeed("PractitionerRole", params=("location", "role", "active"),
                           includes=("PractitionerRole:practitioner",))


@dataclass(frozen=True)
class TeamAccess:
    """How this server gives and takes care teams. `caps` is what changes are checked against: the
    server's statement, plus CareTeam for a server named in the settings (`declared`)."""

    caps: Capabilities
    read: ReadRoute | None
    write: WriteRoute | None
    needs: Needs
    declared: bool = False
    #: Why care teams cannot be read, or assignments not written (None when they can).
    read_reason: str | None = None
    write_reason: str | None = None


def team_access(caps: Capabilities, unlisted_servers: Sequence[str]) -> TeamAccess:
    declared = "CareTeam" not in caps.resources and any(caps.software.startswith(n) for n in unlisted_servers)
    if declared:
        caps = caps.with_resource("CareTeam", DECLARED_CARE_TEAM)
    read: ReadRoute | None = None
    read_reason = None
    if not caps.missing_searches(BY_ENCOUNTER_SEARCH):
        read = ReadRoute.BY_ENCOUNTER
    elif not caps.missing_searches(BY_ID_SEARCH):
        read = ReadRoute.BY_ID
    else:
        refused = searches_not_offered(caps, (BY_ENCOUNTER_SEARCH,), "Reading care teams")
        read_reason = refused.message if refused else None
    write: WriteRoute | None = None
    needs = CONDITIONAL_NEEDS
    if read is not None and caps.allows_conditional_create("CareTeam") and not CONDITIONAL_NEEDS.refused(caps):
        write = WriteRoute.CONDITIONAL_CREATE
    elif read is not None and caps.supports_search("CareTeam", "_id") and not CLIENT_ID_NEEDS.refused(caps):
        write, needs = WriteRoute.CLIENT_ID, CLIENT_ID_NEEDS
    write_reason = None
    if write is None:
        write_reason = read_reason or CONDITIONAL_NEEDS.refused(caps) or (
            f"{caps.software} allows writing CareTeam but neither creating one only if none exists yet nor at "
            "an id the kiosk chooses, so a repeated save could assign a shift twice.")
    return TeamAccess(caps, read, write, needs, declared, read_reason, write_reason)


# ---------------------------------------------------------------- reading care teams


@dataclass
class TeamsRead:
    teams: list[TeamRecord] = field(default_factory=list)
    #: 'CareTeam/<id>' -> the team as read (to edit it).
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Practitioners the server included with the teams (where it offers _include=CareTeam:participant).
    practitioners: dict[str, PractitionerRecord] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)
    #: Why the care teams could not be read at all (nothing above can be trusted to be complete), or None.
    error: str | None = None


def _or_list(prefix: str, ids: Iterable[str]) -> str:
    return ",".join(f"{prefix}/{i}" for i in ids)


def read_teams(gw: FhirGateway, access: TeamAccess, encounter_ids: Sequence[str], unit_id: str,
               shifts: Sequence[Shift]) -> TeamsRead:
    """The care teams of these encounters (the EHR's, and the kiosk's for these shifts) and the unit's
    charge-nurse teams of these shifts: one request (by id), or two (by encounter, and the unit's by
    identifier where the server offers that search). FhirNotAllowed (nothing sent) when it cannot."""
    system = team_system(gw)
    wanted = {encounter_team_key(e, s) for e in encounter_ids for s in shifts}
    wanted |= {unit_team_key(unit_id, s) for s in shifts}
    found: list[dict[str, Any]] = []
    included: list[dict[str, Any]] = []
    if access.read is ReadRoute.BY_ID:
        ids = sorted(team_id(system, key) for key in wanted)
        found = gw.client.search("CareTeam", [("_id", ",".join(ids)), ("_count", CENSUS_PAGE)]).matches
    elif access.read is ReadRoute.BY_ENCOUNTER:
        caps = access.caps
        if encounter_ids:
            params = [("encounter", _or_list("Encounter", sorted(encounter_ids)))]
            if caps.supports_search("CareTeam", "status"):
                params.append(("status", "proposed,active,suspended"))
            if caps.supports_include("CareTeam", "CareTeam:participant"):
                params.append(("_include", "CareTeam:participant"))
            result = gw.client.search("CareTeam", [*params, ("_count", CENSUS_PAGE)])
            found += result.matches
            included += result.of_type("Practitioner")
        if caps.supports_search("CareTeam", "identifier"):
            units = ",".join(f"{system}|{unit_team_key(unit_id, s)}" for s in shifts)
            found += gw.client.search("CareTeam", [("identifier", units), ("_count", CENSUS_PAGE)]).matches
    else:
        refused = searches_not_offered(access.caps, (BY_ENCOUNTER_SEARCH,), "Reading care teams")
        raise refused or ValueError("no way to read care teams")
    teams = read_all(found, lambda r: read_team(r, system))
    practitioners = read_all(included, read_practitioner)
    kept = [t for t in teams.records if t.key is None or t.key in wanted]
    resources = {f"CareTeam/{r['id']}": r for r in found if isinstance(r, dict) and r.get("id")}
    return TeamsRead(kept, resources, {p.reference: p for p in practitioners.records},
                     teams.unreadable + practitioners.unreadable)


# ---------------------------------------------------------------- people


@dataclass(frozen=True)
class StaffLink:
    """A member of the kiosk's staff who can be assigned: their Practitioner ('Practitioner/<id>' or
    'Practitioner?identifier=<system>|<value>'), their slot and whether they can lead the shift."""

    practitioner_ref: str
    name: str
    slot: str
    can_lead: bool


@dataclass
class PeopleRead:
    people: list[Person] = field(default_factory=list)
    #: Why some could not be listed (the server does not offer the search, a staff link finds no one).
    notes: list[str] = field(default_factory=list)


def _person(record: PractitionerRecord, slot: str, can_lead: bool, source: str) -> Person:
    name = record.name
    return Person(ref=record.reference, name=name.display or record.id, family=name.family,
                  given=name.given[0] if name.given else "", slot=slot, can_lead=can_lead, source=source)


def unit_people(gw: FhirGateway, unit_id: str, staff: Sequence[StaffLink]) -> PeopleRead:
    """Nurses and nursing assistants of the unit: PractitionerRoles on the unit's Location with a nurse,
    charge-nurse or nursing-assistant role (one search, with their Practitioners), and the kiosk's
    staff linked to a Practitioner (one search by identifier, one by id, only for those not found
    already). At most three requests."""
    out = PeopleRead()
    by_ref: dict[str, Person] = {}
    refused = searches_not_offered(gw.capabilities, (PEOPLE_SEARCH,), "Listing the unit's nurses")
    if refused is None:
        roles = ",".join(f"{SNOMED}|{code}" for code in (NURSE, CHARGE_NURSE, NURSING_ASSISTANT))
        result = gw.client.search("PractitionerRole", [
            ("location", f"Location/{unit_id}"), ("role", roles), ("active", "true"),
            ("_include", "PractitionerRole:practitioner"), ("_count", CENSUS_PAGE)])
        practitioners = read_all(result.of_type("Practitioner"), read_practitioner)
        known = {p.reference: p for p in practitioners.records}
        for role in result.matches:
            codes_here = {code_of(c, SNOMED) for c in role.get("code") or []}
            slot = "aide" if NURSING_ASSISTANT in codes_here and not codes_here & {NURSE, CHARGE_NURSE} else "nurse"
            record = known.get(ref_key(role.get("practitioner")) or "")
            if record is not None and codes_here & set(SLOT_OF_ROLE):
                lead = slot == "nurse"
                by_ref.setdefault(record.reference, _person(record, slot, lead, "fhir"))
    else:
        out.notes.append(f"{refused.message} Only the kiosk's own staff are listed.")
    wanted = [s for s in staff if s.practitioner_ref]
    by_identifier = {s.practitioner_ref.split("identifier=", 1)[1]: s for s in wanted
                     if s.practitioner_ref.startswith("Practitioner?identifier=")}
    by_id = {s.practitioner_ref.split("/", 1)[1]: s for s in wanted if s.practitioner_ref.startswith("Practitioner/")
             and s.practitioner_ref not in by_ref}
    records: list[tuple[PractitionerRecord, StaffLink]] = []
    if by_identifier and gw.capabilities.supports_search("Practitioner", "identifier"):
        found = gw.client.search("Practitioner", [("identifier", ",".join(sorted(by_identifier))),
                                                  ("_count", CENSUS_PAGE)]).matches
        for resource in read_all(found, read_practitioner).records:
            link = next((by_identifier[k] for k in by_identifier if _has_identifier(found, resource.id, k)), None)
            if link is not None:
                records.append((resource, link))
    if by_id and gw.capabilities.allows("Practitioner", "search-type"):
        found = gw.client.search("Practitioner", [("_id", ",".join(sorted(by_id))), ("_count", CENSUS_PAGE)]).matches
        records += [(r, by_id[r.id]) for r in read_all(found, read_practitioner).records if r.id in by_id]
    for record, link in records:
        by_ref.setdefault(record.reference, _person(record, link.slot, link.can_lead, "staff"))
    missing = len(wanted) - len(records)
    if missing > 0:
        out.notes.append(f"{missing} of the kiosk's staff are linked to no Practitioner the FHIR server has.")
    out.people = sorted(by_ref.values(), key=lambda p: (p.slot != "nurse", p.family.casefold(), p.given.casefold()))
    return out


def _has_identifier(resources: list[dict[str, Any]], resource_id: str, system_value: str) -> bool:
    system, _, value = system_value.rpartition("|")
    resource = next((r for r in resources if r.get("id") == resource_id), {})
    return any(i.get("system") == system and i.get("value") == value for i in resource.get("identifier") or [])


# ---------------------------------------------------------------- the records the kiosk writes


def _participant(slot: str, person: Person, shift: Shift) -> dict[str, Any]:
    code = ROLE_OF_SLOT[slot]
    return {
        "role": [b.concept(SNOMED, code, ROLE_DISPLAY[code], text=SLOT_WORDS[slot])],
        "member": b.reference(person.ref, person.name),
        "period": {"start": b.fhir_instant(shift.start), "end": b.fhir_instant(shift.end)},
    }


def new_team(system: str, key: str, shift: Shift, name: str, members: dict[str, Person], *,
             encounter: str | None = None, patient: str | None = None, resource_id: str | None = None
             ) -> dict[str, Any]:
    """A care team for one shift: an encounter's (with `encounter` and `patient`), or the unit's charge
    nurse's. `resource_id` for an update as create."""
    team: dict[str, Any] = {"resourceType": "CareTeam"}
    if resource_id:
        team["id"] = resource_id
    team.update({
        "identifier": [b.identifier(system, key)],
        "status": "active",
        "name": name,
        "period": {"start": b.fhir_instant(shift.start), "end": b.fhir_instant(shift.end)},
        "participant": [_participant(slot, person, shift) for slot, person in members.items()],
    })
    if encounter:
        team["category"] = [b.concept(LOINC, ENCOUNTER_FOCUSED, "Encounter-focused care team")]
        team["encounter"] = b.reference(encounter)
    if patient:
        team["subject"] = b.reference(patient)
    return team


def with_members(team: dict[str, Any], members: dict[str, Person | None], shift: Shift) -> dict[str, Any]:
    """An edited team (see kiosk.fhir.change.edit) whose participants in these slots are replaced by
    `members` (None: nobody); every other participant is kept as it was."""
    slots = {ROLE_OF_SLOT[slot] for slot in members}
    kept = [p for p in team.get("participant") or []
            if not any(code_of(role, SNOMED) in slots for role in p.get("role") or [])]
    added = [_participant(slot, person, shift) for slot, person in members.items() if person is not None]
    out = dict(team)
    out["participant"] = [*kept, *added]
    if not out["participant"]:
        del out["participant"]
    return out


def if_none_exist(system: str, key: str) -> str:
    return identifier_query(system, key)


def encounter_with_practitioners(gw: FhirGateway, encounter_id: str) -> tuple[dict[str, Any] | None,
                                                                              dict[str, PractitionerRecord]]:
    """An encounter with the practitioners it names (one request), for a patient's care team."""
    found = gw.client.search("Encounter", [("_id", encounter_id), ("_include", "Encounter:participant")])
    practitioners = read_all(found.of_type("Practitioner"), read_practitioner)
    return (found.matches[0] if found.matches else None), {p.reference: p for p in practitioners.records}
