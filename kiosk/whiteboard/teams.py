"""Care teams as typed records, read one resource at a time from CareTeam JSON (as the census reads its
records: the elements shown, defensively; one that cannot be read is listed, never blanks the screen).

Roles: the kiosk writes and recognises SNOMED CT occupations from the CareTeam participant-role value
set (http://hl7.org/fhir/ValueSet/participant-role): 224535009 Registered nurse, 224576000 Nursing
assistant, 224573008 CN - Charge nurse. Any other role (an attending, a case manager, written by the
EHR) is shown by its text or display.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.fhir.errors import UnreadableResource
from kiosk.fhir.records import code_of, identifier_value, parse_datetime, text_of
from kiosk.fhir.refs import ref_key, version_of

SNOMED = "http://snomed.info/sct"
NURSE = "224535009"
NURSING_ASSISTANT = "224576000"
CHARGE_NURSE = "224573008"
ROLE_DISPLAY = {NURSE: "Registered nurse", NURSING_ASSISTANT: "Nursing assistant", CHARGE_NURSE: "Charge nurse"}

#: What the whiteboard calls each role the kiosk assigns (a shift's nurse, its aide, the unit's charge nurse).
SLOT_OF_ROLE = {NURSE: "nurse", NURSING_ASSISTANT: "aide", CHARGE_NURSE: "charge"}
ROLE_OF_SLOT = {slot: role for role, slot in SLOT_OF_ROLE.items()}
SLOT_WORDS = {"nurse": "Nurse", "aide": "Aide", "charge": "Charge nurse"}

#: CareTeam.category: LOINC LA27976-2 "Encounter-focused care team" (the CareTeam category value set).
LOINC = "http://loinc.org"
ENCOUNTER_FOCUSED = "LA27976-2"

#: v3-ParticipationType codes of Encounter.participant, as the panel names them.
PARTICIPATION_WORDS = {"ATND": "Attending", "ADM": "Admitting", "CON": "Consultant", "DIS": "Discharging",
                       "PPRF": "Primary performer", "SPRF": "Secondary performer", "REF": "Referring",
                       "PART": "Participant"}


@dataclass(frozen=True)
class Member:
    """One participant of a care team: who ('Practitioner/<id>', or None for a display-only member),
    the name the team gives them, their role code (SNOMED) and its words."""

    ref: str | None
    display: str
    role_code: str | None
    role_text: str

    @property
    def slot(self) -> str | None:
        return SLOT_OF_ROLE.get(self.role_code or "")


@dataclass(frozen=True)
class TeamRecord:
    id: str
    version: str | None
    status: str
    #: The kiosk's identifier value ('<encounter id>/<shift key>' or 'unit/<unit id>/<shift key>'), if any.
    key: str | None
    encounter: str | None
    name: str
    members: tuple[Member, ...]

    @property
    def reference(self) -> str:
        return f"CareTeam/{self.id}"

    def member(self, slot: str) -> Member | None:
        return next((m for m in self.members if m.slot == slot), None)


def read_team(resource: dict[str, Any], identifier_system: str) -> TeamRecord:
    if not isinstance(resource, dict) or resource.get("resourceType") != "CareTeam" or not resource.get("id"):
        raise UnreadableResource("unreadable resource: not a CareTeam with an id")
    try:
        members = []
        for participant in resource.get("participant") or []:
            role = next(iter(participant.get("role") or []), None)
            member = participant.get("member") or {}
            members.append(Member(ref=ref_key(member), display=str(member.get("display") or ""),
                                  role_code=code_of(role, SNOMED), role_text=text_of(role)))
            parse_datetime((participant.get("period") or {}).get("start"))
        return TeamRecord(
            id=str(resource["id"]),
            version=version_of(resource),
            status=str(resource.get("status") or "active"),
            key=identifier_value(resource, identifier_system),
            encounter=ref_key(resource.get("encounter")),
            name=str(resource.get("name") or ""),
            members=tuple(members),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise UnreadableResource(f"CareTeam/{resource.get('id', '?')}: {type(e).__name__}") from None


@dataclass(frozen=True)
class Person:
    """Someone who can be assigned: a Practitioner, the slot they fill ('nurse' or 'aide'), and whether
    they can be the shift's charge nurse. `source` says where the kiosk found them: 'fhir' (a
    PractitionerRole on the unit) or 'staff' (the kiosk's staff list, linked to a Practitioner)."""

    ref: str
    name: str
    family: str
    given: str
    slot: str
    can_lead: bool
    source: str

    @property
    def short(self) -> str:
        """'Grace L.'"""
        return f"{self.given} {self.family[:1]}." if self.given and self.family else self.name

    @property
    def initials(self) -> str:
        """'G.L.'"""
        return ".".join(part[:1] for part in (self.given, self.family) if part) + "." if self.name else "?"
