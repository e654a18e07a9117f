"""Shift assignments: the screen (beds with their nurse and aide this shift and last, the people who can
be assigned, the charge nurse) and the change that saves it, as one transaction of care teams.

The screen carries the versions of the care teams it showed (`Seen`, the If-Match of their updates)
and the teams it showed as not yet written (`absent`): a team written at another station since is a
conflict, found before anything is sent, and a team changed since is refused by the server itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from kiosk.fhir.change import Change, Seen, edit
from kiosk.web import Notice

from .board import staff_name
from .fhir import (
    TeamAccess,
    TeamsRead,
    WriteRoute,
    encounter_team_key,
    if_none_exist,
    new_team,
    team_id,
    unit_team_key,
    with_members,
)
from .shifts import Shift
from .teams import Member, Person, TeamRecord
from .unit import UnitBed, UnitView

SLOTS = ("nurse", "aide")


class Refused(Exception):
    """The assignment cannot be saved as posted; nothing was sent. `changed_elsewhere`: because
    something changed at another station since the screen was drawn."""

    def __init__(self, message: str, *, changed_elsewhere: bool = False):
        super().__init__(message)
        self.message = message
        self.changed_elsewhere = changed_elsewhere


@dataclass(frozen=True)
class AssignBed:
    id: str
    label: str
    room: str
    encounter_id: str
    patient: str  # 'LAST, F.' (the assignment screen is for signed-in staff, like the bed board)
    incoming: bool
    current: dict[str, str]  # slot -> Practitioner reference, this shift
    previous: dict[str, str]  # slot -> Practitioner reference, the shift before (or the room's)


@dataclass
class AssignScreen:
    unit_name: str
    unit_id: str
    shift: Shift
    previous_shift: Shift
    which: str  # 'current' or 'next'
    beds: list[AssignBed]
    empty: list[str]  # labels of beds no one is in or coming to
    people: list[Person]
    charge: str | None
    previous_charge: str | None
    seen: str
    absent: str
    access: TeamAccess
    #: Why this person or this server cannot save assignments (the screen is then read-only).
    cannot: str | None = None
    notice: Notice | None = None
    #: What the person chose (form kept after a refusal): field name -> value.
    chosen: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    #: Names of people assigned who are not in the list any more (from the teams' displays).
    names: dict[str, str] = field(default_factory=dict)

    @property
    def nurses(self) -> list[Person]:
        return [p for p in self.people if p.slot == "nurse"]

    @property
    def aides(self) -> list[Person]:
        return [p for p in self.people if p.slot == "aide"]

    @property
    def leaders(self) -> list[Person]:
        return [p for p in self.people if p.can_lead]

    def person(self, ref: str | None) -> Person | None:
        return next((p for p in self.people if p.ref == ref), None)

    def value(self, slot: str, bed: AssignBed) -> str:
        """What the form holds for a bed's slot: the person's choice kept after a refusal, else this shift's."""
        return self.chosen.get(f"{slot}-{bed.id}", bed.current.get(slot, ""))

    @property
    def charge_value(self) -> str:
        return self.chosen.get("charge", self.charge or "")

    def name(self, ref: str) -> str:
        person = self.person(ref)
        return person.short if person else self.names.get(ref, "someone")


def _team_for(teams: TeamsRead, key: str) -> TeamRecord | None:
    return next((t for t in teams.teams if t.key == key), None)


def _refs(team: TeamRecord | None) -> dict[str, str]:
    out = {}
    for slot in (*SLOTS, "charge"):
        member = team.member(slot) if team else None
        if member is not None and member.ref:
            out[slot] = member.ref
    return out


def _patient_name(view: UnitView, row: UnitBed) -> str:
    enc = row.encounter
    record = view.census.patients.get(enc.patient or "") if enc else None
    if record is None:
        return "Unreadable patient record"
    given = record.name.given[0] if record.name.given else ""
    return f"{record.name.family.upper()}, {given[:1]}." if given else record.name.family.upper()


def assign_screen(view: UnitView, teams: TeamsRead, people: Sequence[Person], access: TeamAccess, shift: Shift,
                  previous: Shift, which: str) -> AssignScreen:
    """The beds with a patient in them or coming to them, each with this shift's nurse and aide and
    the previous shift's (for "Copy last shift": the patient's own, else the room's other bed's)."""
    unit_id = view.census.unit.id
    beds: list[AssignBed] = []
    empty: list[str] = []
    seen: dict[str, str] = {}
    absent: list[str] = []
    names: dict[str, str] = {}
    for team in teams.teams:
        for member in team.members:
            if member.ref and member.display:
                names.setdefault(member.ref, staff_name(member.display, "name"))
    by_room: dict[str, dict[str, str]] = {}
    for row in view.beds:
        enc = row.encounter
        if enc is None:
            empty.append(row.label)
            continue
        team = _team_for(teams, encounter_team_key(enc.id, shift))
        before = _team_for(teams, encounter_team_key(enc.id, previous))
        if team is not None and team.version:
            seen[team.reference] = team.version
        elif team is None:
            absent.append(encounter_team_key(enc.id, shift))
        room = row.room.name if row.room else row.bed.name
        if before is not None:
            by_room.setdefault(room, _refs(before))
        beds.append(AssignBed(id=row.bed.id, label=row.label, room=room, encounter_id=enc.id,
                              patient=_patient_name(view, row), incoming=row.present is None,
                              current=_refs(team), previous=_refs(before)))
    beds = [b if b.previous else replace(b, previous=by_room.get(b.room, {})) for b in beds]
    unit_team = _team_for(teams, unit_team_key(unit_id, shift))
    unit_before = _team_for(teams, unit_team_key(unit_id, previous))
    if unit_team is not None and unit_team.version:
        seen[unit_team.reference] = unit_team.version
    elif unit_team is None:
        absent.append(unit_team_key(unit_id, shift))
    return AssignScreen(unit_name=view.census.unit.name, unit_id=unit_id, shift=shift, previous_shift=previous,
                        which=which, beds=beds, empty=empty, people=list(people),
                        charge=_refs(unit_team).get("charge"), previous_charge=_refs(unit_before).get("charge"),
                        seen=Seen(seen).text(), absent=" ".join(sorted(absent)), access=access, names=names)


# ---------------------------------------------------------------- saving


@dataclass(frozen=True)
class AssignmentRequest:
    """What the screen posted: the shift's key, per bed the encounter it showed and the nurse and aide
    chosen ('' for nobody), the charge nurse, the versions shown and the teams shown as absent."""

    shift_key: str
    encounters: dict[str, str]  # bed id -> encounter id shown
    chosen: dict[str, dict[str, str]]  # bed id -> slot -> Practitioner reference or ''
    charge: str
    seen: Seen
    absent: frozenset[str]


@dataclass(frozen=True)
class AssignPlan:
    change: Change
    message: str
    beds: int


def _member_person(member: Member, slot: str) -> Person:
    return Person(ref=member.ref or "", name=member.display or "someone", family="", given="", slot=slot,
                  can_lead=slot == "charge", source="team")


def _resolve(ref: str, slot: str, people: Mapping[str, Person], current: TeamRecord | None, where: str) -> Person:
    """The person posted for a slot: one of the unit's people who fills it, or who holds it now."""
    person = people.get(ref)
    if person is not None and (person.slot == slot or (slot == "charge" and person.can_lead)):
        return person
    member = current.member(slot) if current else None
    if member is not None and member.ref == ref:
        return _member_person(member, slot)
    raise Refused(f"The {slot if slot != 'charge' else 'charge nurse'} chosen for {where} is not one of the unit's "
                  f"{'nursing assistants' if slot == 'aide' else 'nurses'}. Nothing was saved.")


def plan_assignment(view: UnitView, teams: TeamsRead, people: Sequence[Person], access: TeamAccess, shift: Shift,
                    request: AssignmentRequest, system: str, unit_name: str) -> AssignPlan:
    """One change holding every care team the assignment changes (updates of the teams the screen showed,
    creates of the others, the unit's charge-nurse team); raises Refused before anything is sent."""
    if access.write is None:
        raise Refused(f"{access.write_reason} Nothing was saved.")
    if request.shift_key != shift.key:
        raise Refused(f"The shift changed since this screen was drawn: it is now the {shift.label}. Nothing was "
                      "saved; check the assignments and save again.", changed_elsewhere=True)
    by_ref = {p.ref: p for p in people}
    change = Change("assign-shift", access.needs)
    changed_beds = 0

    def write(key: str, members: dict[str, Person | None], where: str, *, encounter: str | None = None,
              patient: str | None = None, name: str) -> None:
        current = _team_for(teams, key)
        if current is not None:
            if key in request.absent:
                raise Refused(f"{where.capitalize()} was assigned at another station since this screen was drawn. "
                              "Nothing was saved; here is the current state.", changed_elsewhere=True)
            resource = teams.resources.get(current.reference)
            if resource is None:
                raise Refused(f"The care team of {where} could not be read again. Nothing was saved.")
            edited, version = edit(resource)
            change.update((with_members(edited, members, shift), version), name=f"the care team of {where}")
            return
        if key not in request.absent:
            raise Refused(f"The care team of {where} is no longer on the FHIR server. Nothing was saved; here is "
                          "the current state.", changed_elsewhere=True)
        chosen = {slot: p for slot, p in members.items() if p is not None}
        if not chosen:
            return
        if access.write is WriteRoute.CONDITIONAL_CREATE:
            change.create(new_team(system, key, shift, name, chosen, encounter=encounter, patient=patient),
                          if_none_exist=if_none_exist(system, key), name=f"the care team of {where}")
        else:
            change.create_at(new_team(system, key, shift, name, chosen, encounter=encounter, patient=patient,
                                      resource_id=team_id(system, key)), name=f"the care team of {where}")

    for bed_id, slots in sorted(request.chosen.items()):
        row = view.bed(bed_id)
        enc = row.encounter if row else None
        where = f"bed {row.label}" if row else "a bed"
        if row is None or enc is None or enc.id != request.encounters.get(bed_id):
            raise Refused(f"The patient in {where} changed since this screen was drawn. Nothing was saved; here is "
                          "the current state.", changed_elsewhere=True)
        key = encounter_team_key(enc.id, shift)
        current = _team_for(teams, key)
        now = _refs(current)
        wanted = {slot: slots.get(slot, now.get(slot, "")) for slot in SLOTS}
        if all(wanted[s] == now.get(s, "") for s in SLOTS):
            continue
        members = {slot: (_resolve(ref, slot, by_ref, current, where) if ref else None)
                   for slot, ref in wanted.items() if ref != now.get(slot, "")}
        write(key, members, where, encounter=enc.reference, patient=enc.patient,
              name=f"{unit_name} {row.label}, {shift.short}")
        changed_beds += 1
    unit_key = unit_team_key(view.census.unit.id, shift)
    unit_team = _team_for(teams, unit_key)
    charge_now = _refs(unit_team).get("charge", "")
    charge_name = None
    if request.charge != charge_now:
        leader = _resolve(request.charge, "charge", by_ref, unit_team, "the shift") if request.charge else None
        write(unit_key, {"charge": leader}, f"the {shift.name.lower()} shift's charge nurse",
              name=f"{unit_name} charge nurse, {shift.short}")
        charge_name = leader.short if leader else "nobody"
    parts = [f"{changed_beds} bed{'s' if changed_beds != 1 else ''} assigned"] if changed_beds else []
    if charge_name:
        parts.append(f"charge nurse {charge_name}")
    message = f"{shift.label}: " + (", ".join(parts) if parts else "nothing needed changing").rstrip(".") + "."
    return AssignPlan(change, message, changed_beds)


def created_elsewhere(results: Sequence[Any], change: Change) -> int:
    """How many of a change's conditional creates found a team another station had created first (the
    server answered with that team instead of creating ours): those beds were not assigned as chosen."""
    updated = set(change.updated())
    conditional = sum(1 for c in change.creates if c.if_none_exist)
    if not conditional:
        return 0
    return sum(1 for r in results if getattr(r, "created", True) is False and r.reference not in updated
               and r.reference.startswith("CareTeam/"))
