"""The whiteboard's reads and its one write, each in a fixed number of FHIR requests whatever the unit:

- the whiteboard: the census and the shift's care teams (1; 2 on a server that reads them by
  encounter), plus at most one per other workflow's bed marks;
- the assignment screen: the census, the care teams of this shift and the one before (1 or 2), the
  people who can be assigned (1 to 3);
- saving it: the same reads again, the census read from the server now, then one transaction (and one
  re-read if it did not plainly succeed);
- a patient's care team on the bed board's panel: the encounter with its practitioners (1) and its
  care teams (1 or 2).

The screens (the whiteboard, its station screen's poll, the assignment screen, who looks after each bed
for the call lights) take the census from the shared census (kiosk.census) when given its `store`: a
poll while nothing changed on the unit costs no census request, only the care teams, which are not
part of the census and so are read on every render. For the same reason the drawn whiteboard is not
kept per census version as the bed board is: an assignment saved at another station or on the EHR
changes it without changing the census. Without a `store` (the demo, scripts, tests of the
services) the census is read from the server.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from kiosk import timeutil
from kiosk.auth import Role
from kiosk.auth.models import StaffAccount
from kiosk.census import CensusStore
from kiosk.db import Database
from kiosk.fhir.census import Census, unit_census
from kiosk.fhir.change import Outcome, Seen, send
from kiosk.fhir.errors import FhirError, UnreadableResource
from kiosk.fhir.gateway import FhirGateway
from kiosk.fhir.records import read_encounter
from kiosk.nav import BedAssignment, BedMark, MarkSource

from .assign import AssignmentRequest, AssignPlan, AssignScreen, Refused, assign_screen, plan_assignment
from .board import TeamIndex, Whiteboard, build_whiteboard
from .fhir import (
    StaffLink,
    TeamAccess,
    TeamsRead,
    encounter_team_key,
    encounter_with_practitioners,
    read_teams,
    team_access,
    team_system,
    unit_people,
    unit_team_key,
)
from .settings import WhiteboardSettings
from .shifts import Shift, next_shift, previous_shift, shift_at
from .teams import PARTICIPATION_WORDS, SLOT_WORDS, Person
from .unit import UnitView, unit_view

#: The kiosk's staff who can be assigned, by their role: (slot, can lead the shift).
STAFF_SLOTS = {Role.NURSE: ("nurse", True), Role.CHARGE_NURSE: ("nurse", True),
               Role.NURSING_ASSISTANT: ("aide", False)}


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def access_of(gw: FhirGateway, settings: WhiteboardSettings) -> TeamAccess:
    return team_access(gw.capabilities, settings.unlisted_care_team_servers)


def _teams(gw: FhirGateway, access: TeamAccess, view: UnitView, shifts: Sequence[Shift],
           problems: list[str]) -> TeamsRead:
    """The care teams of the unit's patients for these shifts; what could not be read becomes a problem."""
    if access.read is None:
        problems.append(f"Care teams are not shown: {access.read_reason}")
        return TeamsRead(error=access.read_reason)
    try:
        found = read_teams(gw, access, [e.id for e in view.encounters], view.census.unit.id, shifts)
    except FhirError as e:
        problems.append(f"Care teams could not be read: {e.message}")
        return TeamsRead(error=f"Care teams could not be read: {e.message}")
    if found.unreadable:
        problems.append(f"{len(found.unreadable)} care team record(s) could not be read.")
    return found


def read_census(gw: FhirGateway, store: CensusStore | None) -> Census:
    """The unit's census: the shared one with `store`, else read from the server now."""
    return unit_census(gw) if store is None else store.census(gw)


def collect_marks(sources: Sequence[MarkSource], view: UnitView, problems: list[str],
                  store: CensusStore | None = None) -> dict[str, list[BedMark]]:
    """Other workflows' marks on the beds, one call each; a source that fails leaves its marks off. With
    `store`, what a source reads from the FHIR server is kept per census version (as the bed board keeps
    its own, kiosk.beds.services.load_board): a poll while nothing changed costs the sources nothing."""
    marks: dict[str, list[BedMark]] = {}
    beds = view.unit_beds()
    census = view.census
    if store is not None and census.version:
        def remember(name: str, read: Callable[[], Any]) -> Any:
            return store.remember(("whiteboard-marks", name, census.unit.id, census.version), read)

        beds = replace(beds, remember=remember)
    for source in sources:
        try:
            found = source(beds)
        except FhirError as e:
            problems.append(e.message)
            continue
        for ref, bed_marks in found.items():
            marks.setdefault(ref, []).extend(bed_marks)
    return marks


def load_whiteboard(gw: FhirGateway, settings: WhiteboardSettings, sources: Sequence[MarkSource] = (),
                    now: datetime | None = None, store: CensusStore | None = None) -> Whiteboard:
    """The whiteboard for the shift `now` falls in (the census from `store` when given). Raises FhirError
    when the census cannot be read."""
    now = now or utc_now()
    census = read_census(gw, store)
    view = unit_view(census)
    access = access_of(gw, settings)
    shift = shift_at(now, settings.shifts)
    problems: list[str] = []
    teams = _teams(gw, access, view, [shift], problems)
    marks = collect_marks(sources, view, problems, store)
    index = TeamIndex.of(teams.teams, {e.reference: encounter_team_key(e.id, shift) for e in view.encounters},
                         unit_team_key(census.unit.id, shift))
    names = {ref: p.name.display for ref, p in teams.practitioners.items()}
    board = build_whiteboard(view, index, settings, shift, timeutil.today(now), marks, names)
    if census.unreadable:
        problems.append(f"{len(census.unreadable)} record(s) of the unit could not be read from the FHIR server.")
    board.problems = problems
    board.unit_id, board.version = census.unit.id, census.version or None
    return board


# ---------------------------------------------------------------- assignments


def staff_links(database: Database) -> list[StaffLink]:
    """The kiosk's active nurses, charge nurses and nursing assistants linked to a Practitioner."""
    with database.session() as db:
        rows = db.scalars(select(StaffAccount).where(
            StaffAccount.active.is_(True), StaffAccount.practitioner_ref.is_not(None),
            StaffAccount.role.in_([r.value for r in STAFF_SLOTS])))
        links = []
        for row in rows:
            slot, lead = STAFF_SLOTS[Role(row.role)]
            links.append(StaffLink(row.practitioner_ref or "", row.display_name, slot, lead))
        return links


def shift_for(which: str, settings: WhiteboardSettings, now: datetime) -> Shift:
    """'current', 'next' (or, for the demo and tests, 'previous'): the shift being assigned."""
    shift = shift_at(now, settings.shifts)
    if which == "next":
        return next_shift(shift, settings.shifts)
    return previous_shift(shift, settings.shifts) if which == "previous" else shift


@dataclass
class AssignContext:
    """What the assignment screen and its save both read."""

    view: UnitView
    access: TeamAccess
    shift: Shift
    previous: Shift
    teams: TeamsRead
    people: list[Person]
    problems: list[str] = field(default_factory=list)


def _assign_context(gw: FhirGateway, database: Database, settings: WhiteboardSettings, which: str,
                    now: datetime, store: CensusStore | None = None) -> AssignContext:
    census = read_census(gw, store)
    view = unit_view(census)
    access = access_of(gw, settings)
    shift = shift_for(which, settings, now)
    previous = previous_shift(shift, settings.shifts)
    problems: list[str] = []
    teams = _teams(gw, access, view, [previous, shift], problems)
    people = unit_people(gw, census.unit.id, staff_links(database))
    problems += people.notes
    return AssignContext(view, access, shift, previous, teams, people.people, problems)


def load_assign_screen(gw: FhirGateway, database: Database, settings: WhiteboardSettings, which: str = "current",
                       now: datetime | None = None, store: CensusStore | None = None) -> AssignScreen:
    """The assignment screen (the census from `store` when given: what it shows is checked again when
    it is saved, on a census read then, see plan_save)."""
    ctx = _assign_context(gw, database, settings, which, now or utc_now(), store)
    screen = assign_screen(ctx.view, ctx.teams, ctx.people, ctx.access, ctx.shift, ctx.previous, which)
    screen.problems = ctx.problems
    if ctx.access.write is None:
        screen.cannot = f"Assignments cannot be saved here: {ctx.access.write_reason}"
    elif ctx.teams.error:
        screen.cannot = "Assignments cannot be saved while the care teams cannot be read."
    return screen


def plan_save(gw: FhirGateway, database: Database, settings: WhiteboardSettings, which: str,
              request: AssignmentRequest, now: datetime | None = None) -> tuple[AssignPlan, TeamAccess]:
    """The change that saves an assignment, planned on what the server holds now (Refused or FhirError
    before anything is sent; on a server that takes no care teams, before anything is read). The census
    is read from the server here, never the shared one: a save is one tap, not a poll, and the screen
    being saved may be as old as the shared census's trust window (census.trust_seconds), while the
    plan must see a patient moved or admitted on the EHR since then to refuse the save (each bed's
    encounter is compared with the one the screen showed), not write a care team for a bed's previous
    patient."""
    access = access_of(gw, settings)
    if access.write is None:
        raise Refused(f"{access.write_reason} Nothing was saved.")
    ctx = _assign_context(gw, database, settings, which, now or utc_now())
    if ctx.teams.error:
        raise FhirError(ctx.teams.error)
    planned = plan_assignment(ctx.view, ctx.teams, ctx.people, ctx.access, ctx.shift, request, team_system(gw),
                              ctx.view.census.unit.name)
    return planned, ctx.access


# ---------------------------------------------------------------- a patient's care team, on the bed board's panel


@dataclass(frozen=True)
class CareTeamLine:
    role: str
    name: str
    where: str  # 'This shift', 'Hospital stay' or the team's name


@dataclass
class CareTeamPanel:
    shift: Shift
    lines: list[CareTeamLine]
    #: Why the shift's nurse and aide cannot be assigned here (the server's care teams are read-only).
    read_only: str | None = None
    problems: list[str] = field(default_factory=list)


def care_team_panel(gw: FhirGateway, settings: WhiteboardSettings, encounter_id: str,
                    now: datetime | None = None) -> CareTeamPanel | None:
    """A patient's care team: the encounter's practitioners (attending, residents ...) and the care teams
    for the encounter this shift. None when there is no such encounter."""
    now = now or utc_now()
    shift = shift_at(now, settings.shifts)
    resource, practitioners = encounter_with_practitioners(gw, encounter_id)
    if resource is None:
        return None
    panel = CareTeamPanel(shift=shift, lines=[])
    try:
        encounter = read_encounter(resource, gw.identifiers.encounter)
    except UnreadableResource:
        panel.problems.append("The hospital stay's record could not be read.")
        return panel
    for participant in encounter.participants:
        record = practitioners.get(participant.individual)
        if record is not None:
            panel.lines.append(CareTeamLine(PARTICIPATION_WORDS.get(participant.type_code or "", "Care team"),
                                            record.name.display, "Hospital stay"))
    access = access_of(gw, settings)
    panel.read_only = access.write_reason
    if access.read is None:
        panel.problems.append(f"Care teams are not shown: {access.read_reason}")
        return panel
    try:
        teams = read_teams(gw, access, [encounter_id], gw.unit_location_id(), [shift])
    except FhirError as e:
        panel.problems.append(f"Care teams could not be read: {e.message}")
        return panel
    names = {ref: p.name.display for ref, p in teams.practitioners.items()}
    index = TeamIndex.of(teams.teams, {encounter.reference: encounter_team_key(encounter_id, shift)}, "")
    for team in index.by_encounter.get(encounter.reference, []):
        where = "This shift" if team.key else (team.name or "Care team")
        for member in team.members:
            role = SLOT_WORDS.get(member.slot or "", member.role_text or "Member")
            name = member.display or names.get(member.ref or "", "")
            if name:
                panel.lines.append(CareTeamLine(role, name, where))
    return panel


#: Chooses a shift's assignment from its screen: (bed id -> slot -> Practitioner reference, charge nurse).
Chooser = Callable[[AssignScreen], tuple[dict[str, dict[str, str]], str]]


def assign_shift(gw: FhirGateway, database: Database, settings: WhiteboardSettings, which: str, choose: Chooser,
                 now: datetime | None = None) -> tuple[Outcome, AssignPlan]:
    """Assign a shift without the screen (the demo, tests): the screen as it would be drawn, the choices
    `choose` makes on it, saved the way the screen saves them (Refused or FhirError before sending)."""
    now = now or utc_now()
    screen = load_assign_screen(gw, database, settings, which, now)
    chosen, charge = choose(screen)
    request = AssignmentRequest(shift_key=screen.shift.key, encounters={b.id: b.encounter_id for b in screen.beds},
                                chosen=chosen, charge=charge, seen=Seen.parse(screen.seen),
                                absent=frozenset(screen.absent.split()))
    planned, access = plan_save(gw, database, settings, which, request, now)
    return send(gw, planned.change, request.seen, access.caps), planned


# ---------------------------------------------------------------- who looks after each bed


def bed_nurses(gw: FhirGateway, settings: WhiteboardSettings, bed_refs: Sequence[str] | None = None,
               now: datetime | None = None, store: CensusStore | None = None) -> dict[str, list[BedAssignment]]:
    """The nurse (then the nursing assistant) assigned this shift to each of these beds' patients (all the
    unit's beds by default), for the screens that page "the nurse of this bed"
    (kiosk.nav.add_bed_assignments). The census and one care-team read; a bed without an assignment (or a
    server that shows no care teams) is left out. With `store`, the census is the shared one."""
    now = now or utc_now()
    view = unit_view(read_census(gw, store))
    shift = shift_at(now, settings.shifts)
    teams = _teams(gw, access_of(gw, settings), view, [shift], [])
    index = TeamIndex.of(teams.teams, {e.reference: encounter_team_key(e.id, shift) for e in view.encounters},
                         unit_team_key(view.census.unit.id, shift))
    wanted = None if bed_refs is None else set(bed_refs)
    found: dict[str, list[BedAssignment]] = {}
    for row in view.beds:
        enc = row.present
        if (wanted is not None and row.bed.reference not in wanted) or enc is None:
            continue
        for slot, role in (("nurse", "nurse"), ("aide", "nursing assistant")):
            member = index.member(enc.reference, slot)
            if member is not None and member.ref:
                found.setdefault(row.bed.reference, []).append(BedAssignment(member.ref, member.display, role))
    return found


class AssignmentsOfTheShift:
    """bed_nurses for the whole unit, read at most once a minute per process: the call lights poll their
    list every few seconds and ask who looks after each bed with a call; an assignment saved here is seen
    at once (`forget`)."""

    def __init__(self, read: Callable[[], dict[str, list[BedAssignment]]], seconds: float = 60,
                 clock: Callable[[], float] = time.monotonic):
        self.read = read
        self.seconds = seconds
        self.clock = clock
        self._value: dict[str, list[BedAssignment]] | None = None
        self._at = 0.0
        self._lock = threading.Lock()

    def __call__(self, beds: list[str]) -> dict[str, list[BedAssignment]]:
        with self._lock:
            if self._value is None or self.clock() - self._at > self.seconds:
                self._value, self._at = self.read(), self.clock()
            value = self._value
        return {bed: value[bed] for bed in beds if bed in value}

    def forget(self) -> None:
        with self._lock:
            self._value = None
