"""The bed board's actions, each declared once in `BED_ACTIONS` (label, the bed states it is offered
in, what it may need the server to allow, its handler, whether it opens a form, whether it is
dangerous).

A handler checks that the action makes sense against the current state, checks that nothing the user
saw changed at another station, and plans one FHIR change (kiosk.fhir.movements) that the view sends
with `kiosk.web.changes.carry_out`, with the versions the user saw as its If-Match.

Each action costs a fixed number of requests: the census (4, plus 1 when other units are named),
the resources it touches (at most 4), at most one check of a bed elsewhere, and one write (and one
re-read when the write did not plainly succeed).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from kiosk.fhir import codes
from kiosk.fhir import movements as mv
from kiosk.fhir.change import TRANSACTION, Change, Needs
from kiosk.fhir.errors import FhirConflict, FhirNotAllowed
from kiosk.fhir.gateway import FhirGateway
from kiosk.fhir.locations import beds_taken
from kiosk.fhir.records import read_encounter, read_location
from kiosk.timeutil import local_date

from .board import BedTile, Board, PatientSummary
from .occupancy import BedState
from .settings import BedSettings


class Refused(Exception):
    """The action makes no sense in the current state (or the server does not allow it). `field` names
    the form field the message is about (shown next to it), when it is about one."""

    def __init__(self, message: str, *, changed_elsewhere: bool = False, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.changed_elsewhere = changed_elsewhere
        self.field = field


@dataclass(frozen=True)
class ActionRequest:
    action: str
    bed_id: str | None = None
    encounter_id: str | None = None
    target_id: str | None = None
    disposition: str | None = None
    reason: str | None = None
    kind: str | None = None
    ready: bool = False
    #: The expected discharge day as chosen ('2026-11-30'), or 'unknown' to clear it.
    day: str | None = None
    seen: dict[str, str] = field(default_factory=dict)
    #: The panel's token (one per form shown): identifies a cleaning Task the action creates.
    token: str | None = None
    #: The second tap that confirms a discharge as "expired" (the patient has died).
    expired_confirmed: bool = False


@dataclass(frozen=True)
class Plan:
    """An action ready to send: the change, and what to say and show when it is done (the message for
    the notice, the entity and patient for the audit trail, ids only, and the bed whose panel to show
    next)."""

    change: Change
    message: str
    entity: str
    patient: str | None
    show_bed: str | None


@dataclass
class ActionContext:
    gw: FhirGateway
    settings: BedSettings
    board: Board
    request: ActionRequest
    now: datetime
    staff_ref: str | None = None

    @property
    def task_system(self) -> str:
        return codes.local_system(self.gw.identifiers.code_systems, codes.TASK_KIND_CONCEPT)

    @property
    def alert_system(self) -> str:
        return codes.local_system(self.gw.identifiers.code_systems, codes.ALERT_CONCEPT)

    @property
    def new_task(self) -> mv.NewTask:
        base = self.gw.identifiers.code_systems
        return mv.NewTask(kind_system=self.task_system,
                          identifier_system=codes.local_system(base, codes.TASK_IDENTIFIER_CONCEPT),
                          key=self.request.token or uuid.uuid4().hex)

    def tile(self, bed_id: str | None = None) -> BedTile:
        bed_id = bed_id or self.request.bed_id
        tile = self.board.tile(bed_id or "")
        if tile is None:
            raise Refused(f"That bed is not on {self.board.unit_name} (any more). Nothing was changed.")
        if tile.hands_off:
            raise Refused(f"{tile.hands_off} Nothing was changed.")
        return tile


def plan(ctx: ActionContext) -> Plan:
    """Check and plan one action; raises Refused or FhirConflict (changed at another station since the
    person saw it), both before anything is sent. The plan's change carries its action's declared needs.

    What the server must allow is checked here first, from the action's declaration, the same one the
    panel offered the button from."""
    req = ctx.request
    action = BED_ACTIONS.get(req.action)
    if action is None:
        raise Refused("The kiosk does not know that action.")
    reason = action.needs.refused(ctx.gw.capabilities)
    if reason:
        raise Refused(f"{reason} Nothing was changed.")
    planned = action.handler(ctx)
    planned.change.declare(action.needs)
    return planned


# ---------------------------------------------------------------- checks


def _stale(ctx: ActionContext, current: mv.Current, refs: list[str]) -> list[str]:
    """References the user saw at a version that has since moved on."""
    versions = current.versions()
    return [ref for ref in refs
            if ref in ctx.request.seen and versions.get(ref) and versions[ref] != ctx.request.seen[ref]]


def _refuse(message: str, stale: list[str]) -> Refused:
    if stale:
        message = "This was changed at another station since you opened it. " + message
    return Refused(message + " Nothing was changed.", changed_elsewhere=bool(stale))


def _check_stale(ctx: ActionContext, current: mv.Current, refs: list[str], what: str) -> None:
    if _stale(ctx, current, refs):
        raise FhirConflict(f"{what} was changed at another station since you opened it. Nothing was written; "
                           "here is the current state.")


def bed_problem(tile: BedTile, for_encounter: str | None) -> str | None:
    """Why nobody can be placed in this bed now, or None."""
    if tile.patient is not None:
        return f"Bed {tile.name} is occupied by {tile.patient.name}."
    others = [p for p in tile.reserved_for if p.encounter_id != for_encounter]
    if others:
        return (f"Bed {tile.name} is reserved for {others[0].name}. Choose another bed, or give them another "
                "bed first.")
    problems = {
        BedState.CLOSED: f"Bed {tile.name} is blocked" + (f" ({tile.blocked_reason})" if tile.blocked_reason else "")
        + ". Unblock it first.",
        BedState.HOUSEKEEPING: f"Bed {tile.name} is dirty. It must be cleaned and marked clean first.",
        BedState.CLEANING: f"Bed {tile.name} is being cleaned. Mark it clean first.",
        BedState.CONTAMINATED: f"Bed {tile.name} is contaminated. It must be cleaned and marked clean first.",
        BedState.ISOLATED: f"Bed {tile.name} is isolated. End the isolation first.",
        BedState.UNKNOWN: f"Bed {tile.name} has no valid bed status on the FHIR server.",
    }
    return problems.get(tile.state)


def _encounter_problem(status: str, wanted: tuple[str, ...], who: str) -> str | None:
    if status in wanted:
        return None
    if status == "finished":
        return f"{who}'s encounter is already finished (discharged)."
    if status in ("cancelled", "entered-in-error"):
        return f"{who}'s encounter was {status.replace('-', ' ')}."
    if status == "planned":
        return f"{who} has not been admitted yet."
    return f"{who} is already admitted (encounter {status}); use Transfer to move them."


def _who(ctx: ActionContext, encounter_id: str) -> PatientSummary | None:
    board = ctx.board
    for tile in board.tiles.values():
        for p in [tile.patient, *tile.reserved_for]:
            if p is not None and p.encounter_id == encounter_id:
                return p
    for item in [*board.pending_admissions, *board.transfers_in, *board.transfers_out]:
        if item.patient.encounter_id == encounter_id:
            return item.patient
    return None


def _name(ctx: ActionContext, encounter_id: str) -> str:
    who = _who(ctx, encounter_id)
    return who.name if who else "This patient"


def _need(value: str | None, message: str, field_name: str | None = None) -> str:
    if not value:
        raise Refused(message, field=field_name)
    return value


def _patient_of(current: mv.Current, ctx: ActionContext) -> str | None:
    if current.encounter is None:
        return None
    return read_encounter(current.encounter, ctx.gw.identifiers.encounter).patient


# ---------------------------------------------------------------- handlers

Handler = Callable[[ActionContext], Plan]


def _planned_into_bed(ctx: ActionContext, extra_problem: Callable[[BedTile, str, str], str | None] | None = None
                      ) -> tuple[BedTile, mv.Current, str, str]:
    """Shared checks of reserve and admit: a patient still to be admitted, and a bed that can take them.
    Returns the bed, the current resources, the encounter id and the patient's name."""
    req = ctx.request
    encounter_id = _need(req.encounter_id, "Choose the patient.", "encounter")
    tile = ctx.tile(_need(req.bed_id or req.target_id, "Choose the bed.", "target"))
    current = mv.read_current(ctx.gw, encounter_id=encounter_id, location_ids=[tile.id])
    refs = [f"Encounter/{encounter_id}", tile.ref]
    name = _name(ctx, encounter_id)
    problem = _encounter_problem(str((current.encounter or {}).get("status")), ("planned",), name)
    if problem is None and extra_problem is not None:
        problem = extra_problem(tile, encounter_id, name)
    problem = problem or bed_problem(tile, encounter_id)
    if problem:
        raise _refuse(problem, _stale(ctx, current, refs))
    _check_stale(ctx, current, refs, f"{name}'s record or bed {tile.name}")
    return tile, current, encounter_id, name


def _reserve(ctx: ActionContext) -> Plan:
    def already(tile: BedTile, encounter_id: str, name: str) -> str | None:
        if any(p.encounter_id == encounter_id for p in tile.reserved_for):
            return f"Bed {tile.name} is already reserved for {name}."
        return None

    tile, current, encounter_id, name = _planned_into_bed(ctx, already)
    return Plan(mv.reserve(current, tile.ref), f"Bed {tile.name} is reserved for {name}.", f"Encounter/{encounter_id}",
                _patient_of(current, ctx), tile.id)


def _cancel_reservation(ctx: ActionContext) -> Plan:
    """The bed is no longer held for a patient still to be admitted (they go elsewhere, or not at all);
    the patient stays on the pending admissions."""
    req = ctx.request
    tile = ctx.tile()
    encounter_id = _need(req.encounter_id or (tile.reserved_for[0].encounter_id if len(tile.reserved_for) == 1
                                              else None), "Choose whose reservation to cancel.", "encounter")
    current = mv.read_current(ctx.gw, encounter_id=encounter_id, location_ids=[tile.id])
    refs = [f"Encounter/{encounter_id}", tile.ref]
    name = _name(ctx, encounter_id)
    problem = _encounter_problem(str((current.encounter or {}).get("status")), ("planned",), name)
    if problem is None and not mv.reserved_bed(current, tile.ref):
        problem = f"Bed {tile.name} is not reserved for {name} (any more)."
    if problem:
        raise _refuse(problem, _stale(ctx, current, refs))
    _check_stale(ctx, current, refs, f"{name}'s record or bed {tile.name}")
    return Plan(mv.cancel_reservation(current, tile.ref),
                f"The reservation of bed {tile.name} for {name} is cancelled. {name} is still waiting for a bed.",
                f"Encounter/{encounter_id}", _patient_of(current, ctx), tile.id)


def _admit(ctx: ActionContext) -> Plan:
    tile, current, encounter_id, name = _planned_into_bed(ctx)
    return Plan(mv.admit(current, tile.ref, ctx.now), f"{name} is admitted to bed {tile.name}.",
                f"Encounter/{encounter_id}", _patient_of(current, ctx), tile.id)


def _transfer(ctx: ActionContext) -> Plan:
    """The patient leaves the bed the encounter is active in now; a posted "from" bed that is not it
    (moved at another station, or a bed id that is no bed of theirs) is refused."""
    req = ctx.request
    encounter_id = _need(req.encounter_id, "Choose the patient to transfer.", "encounter")
    target_id = _need(req.target_id, "Choose the bed to transfer the patient to.", "target")
    name = _name(ctx, encounter_id)
    current = mv.read_current(ctx.gw, encounter_id=encounter_id, location_ids=[target_id], encounter_places=True)
    active = current.active_beds()
    from_ref = f"Location/{req.bed_id}" if req.bed_id else (active[-1] if len(active) == 1 else None)
    target_ref = f"Location/{target_id}"
    if from_ref == target_ref:
        raise Refused(f"{name} is already in that bed. Choose another bed. Nothing was changed.", field="target")
    from_tile = ctx.board.tile(from_ref.split("/", 1)[1]) if from_ref else None
    target_tile = ctx.board.tile(target_id)
    refs = [f"Encounter/{encounter_id}", target_ref, *([from_ref] if from_ref else [])]
    stale = _stale(ctx, current, refs)
    problem = _encounter_problem(str((current.encounter or {}).get("status")),
                                 codes.ADMITTED_ENCOUNTER_STATUSES, name)
    if problem is None and from_ref is None:
        problem = (f"{name} is not recorded in one bed now, so the kiosk cannot tell which bed to free."
                   if active else f"{name} is not recorded in any bed now.")
    if problem is None and from_ref not in active:
        where = f"bed {from_tile.name}" if from_tile else "that bed"
        problem = f"{name} is no longer in {where}."
    if problem is None:
        if target_tile is not None:
            problem = bed_problem(target_tile, encounter_id)
        else:
            problem = _bed_elsewhere_problem(ctx, current, target_ref, encounter_id)
    if problem or from_ref is None:
        raise _refuse(problem or "The patient's bed could not be found.", stale)
    _check_stale(ctx, current, refs, f"{name}'s record or one of the two beds")
    change = mv.transfer(current, from_ref, target_ref, ctx.now, ctx.new_task, ctx.staff_ref)
    target_name = read_location(current.location(target_ref)).name
    show = target_id if target_tile is not None else from_tile.id if from_tile is not None else None
    return Plan(change, f"{name} is transferred to bed {target_name}.", f"Encounter/{encounter_id}",
                _patient_of(current, ctx), show)


def _bed_elsewhere_problem(ctx: ActionContext, current: mv.Current, target_ref: str,
                           encounter_id: str) -> str | None:
    """Checks on a bed of another unit (not in this board's census)."""
    resource = current.locations.get(target_ref)
    if resource is None:
        return "That bed is not on the FHIR server (any more)."
    bed = read_location(resource)
    if not bed.is_bed or bed.status != "active":
        return f"{bed.name} is not a bed in service."
    if bed.operational_status != codes.BED_UNOCCUPIED:
        status = codes.BED_STATUS_DISPLAY.get(bed.operational_status or "", "without a bed status").lower()
        return f"Bed {bed.name} is {status}; only a clean, empty bed can take a patient."
    try:
        taken = beds_taken(ctx.gw, [bed.id], for_encounter=f"Encounter/{encounter_id}")
    except FhirNotAllowed as e:
        return e.message
    if target_ref in taken:
        return f"Bed {bed.name} is taken or reserved for another patient."
    return None


#: The discharge disposition that records a death: it takes a second tap on its own confirm button.
EXPIRED = "exp"


def _discharge(ctx: ActionContext) -> Plan:
    req = ctx.request
    encounter_id = _need(req.encounter_id, "Choose the patient to discharge.", "encounter")
    disposition = req.disposition or ""
    if disposition not in codes.DISCHARGE_DISPOSITIONS:
        raise Refused("Choose where the patient is going.", field="disposition")
    tile = ctx.tile()
    name = _name(ctx, encounter_id)
    if disposition == EXPIRED and not req.expired_confirmed:
        raise Refused(f"Expired means {name} has died. Check it, then tap \"Yes, record the death\"; or choose "
                      "another destination.", field="expired")
    current = mv.read_current(ctx.gw, encounter_id=encounter_id, location_ids=[tile.id])
    refs = [f"Encounter/{encounter_id}", tile.ref]
    stale = _stale(ctx, current, refs)
    problem = _encounter_problem(str((current.encounter or {}).get("status")),
                                 codes.ADMITTED_ENCOUNTER_STATUSES, name)
    if problem is None and (tile.patient is None or tile.patient.encounter_id != encounter_id):
        problem = f"{name} is no longer in bed {tile.name}."
    if problem:
        raise _refuse(problem, stale)
    _check_stale(ctx, current, refs, f"{name}'s record or bed {tile.name}")
    change = mv.discharge(current, tile.ref, disposition, ctx.now, ctx.new_task, ctx.staff_ref)
    label = codes.DISCHARGE_DISPOSITIONS[disposition].lower()
    return Plan(change, f"{name} is discharged ({label}). Bed {tile.name} now needs cleaning.",
                f"Encounter/{encounter_id}", _patient_of(current, ctx), tile.id)


#: How far ahead an expected discharge date may be set.
EXPECTED_DISCHARGE_MAX_DAYS = 365


def expected_day(text: str | None, today: date) -> date | None:
    """The day chosen on the form: None for "not known"; Refused for a day that cannot be meant."""
    if text == "unknown":
        return None
    try:
        day = date.fromisoformat(_need(text, "Choose the expected discharge day.", "day"))
    except ValueError:
        raise Refused("That is not a date. Choose the day again.", field="day") from None
    if day < today:
        raise Refused("The expected discharge cannot be in the past.", field="day")
    if day > today + timedelta(days=EXPECTED_DISCHARGE_MAX_DAYS):
        raise Refused("Choose a day within the next year.", field="day")
    return day


def _expected_discharge(ctx: ActionContext) -> Plan:
    req = ctx.request
    encounter_id = _need(req.encounter_id, "Choose the patient.", "encounter")
    tile = ctx.tile()
    name = _name(ctx, encounter_id)
    day = expected_day(req.day, local_date(ctx.now))
    current = mv.read_current(ctx.gw, encounter_id=encounter_id)
    refs = [f"Encounter/{encounter_id}"]
    problem = _encounter_problem(str((current.encounter or {}).get("status")),
                                 codes.ADMITTED_ENCOUNTER_STATUSES, name)
    if problem is None and (tile.patient is None or tile.patient.encounter_id != encounter_id):
        problem = f"{name} is no longer in bed {tile.name}."
    if problem:
        raise _refuse(problem, _stale(ctx, current, refs))
    _check_stale(ctx, current, refs, f"{name}'s record")
    said = f"{day:%a %d %b}" if day else "not known"
    return Plan(mv.set_expected_discharge(current, day), f"{name}'s expected discharge: {said}.",
                f"Encounter/{encounter_id}", _patient_of(current, ctx), tile.id)


def _bed_only(ctx: ActionContext, allowed: tuple[BedState, ...], problem_text: Callable[[BedTile], str],
              cleaning: bool = False, flags_of: str | None = None) -> tuple[BedTile, mv.Current]:
    """Shared checks of the actions that change one bed (and its cleaning job or isolation flags)."""
    tile = ctx.tile()
    current = mv.read_current(ctx.gw, location_ids=[tile.id], cleaning_for=[tile.id] if cleaning else [],
                              isolation_flags_of=flags_of, alert_system=ctx.alert_system)
    refs = [tile.ref, *(f"Task/{task.id}" for task in tile.cleaning_tasks)]
    stale = _stale(ctx, current, refs)
    if tile.state not in allowed:
        raise _refuse(problem_text(tile), stale)
    _check_stale(ctx, current, refs, f"Bed {tile.name}")
    return tile, current


def _state_words(tile: BedTile) -> str:
    return tile.state_word.lower()


def _cleaning_started(ctx: ActionContext) -> Plan:
    def problem(tile: BedTile) -> str:
        if tile.state is BedState.CLEANING:
            return f"Cleaning of bed {tile.name} has already started."
        return f"Bed {tile.name} is {_state_words(tile)}; only a dirty bed can be cleaned."

    tile, current = _bed_only(ctx, (BedState.HOUSEKEEPING, BedState.CONTAMINATED), problem, cleaning=True)
    if mv.cleaning_in_progress(current, tile.ref):  # started at another station since the board was read
        raise Refused(f"Cleaning of bed {tile.name} has already started. Nothing was changed.",
                      changed_elsewhere=True)
    change = mv.start_cleaning(current, tile.ref, ctx.now, ctx.new_task, ctx.staff_ref)
    return Plan(change, f"Cleaning of bed {tile.name} has started.", tile.ref, None, tile.id)


def _bed_clean(ctx: ActionContext) -> Plan:
    def problem(tile: BedTile) -> str:
        if tile.patient is not None:
            return f"Bed {tile.name} is occupied by {tile.patient.name}."
        return f"Bed {tile.name} is {_state_words(tile)}; only a dirty bed can be marked clean."

    allowed = (BedState.HOUSEKEEPING, BedState.CLEANING, BedState.CONTAMINATED, BedState.UNKNOWN)
    tile, current = _bed_only(ctx, allowed, problem, cleaning=True)
    if tile.patient is not None:
        raise Refused(problem(tile) + " Nothing was changed.")
    change = mv.bed_clean(current, tile.ref, ctx.now)
    return Plan(change, f"Bed {tile.name} is clean and available.", tile.ref, None, tile.id)


def _isolate(ctx: ActionContext) -> Plan:
    tile = ctx.tile()
    occupant = tile.patient
    if occupant is not None and ctx.request.kind not in mv.ISOLATION_KINDS:
        raise Refused("Choose the kind of isolation.", field="kind")

    def problem(t: BedTile) -> str:
        return f"Bed {t.name} is {_state_words(t)}; only an available or occupied bed can be isolated."

    patient_ref = occupant.patient_ref if occupant else None  # from the encounter: the Patient may be unreadable
    tile, current = _bed_only(ctx, (BedState.AVAILABLE, BedState.OCCUPIED), problem, flags_of=patient_ref)
    change = mv.isolate(current, tile.ref, patient_ref, ctx.request.kind if occupant else None, ctx.now,
                        ctx.alert_system)
    kind = mv.ISOLATION_KINDS.get(ctx.request.kind or "", "Isolation")
    text = f"Bed {tile.name} is isolated" + (f" ({kind.lower()})." if occupant else ".")
    return Plan(change, text, tile.ref, patient_ref, tile.id)


def _end_isolation(ctx: ActionContext) -> Plan:
    tile = ctx.tile()
    occupant = tile.patient
    patient_ref = occupant.patient_ref if occupant else None

    def problem(t: BedTile) -> str:
        return f"Bed {t.name} is {_state_words(t)}, not isolated."

    tile, current = _bed_only(ctx, (BedState.ISOLATED,), problem, cleaning=occupant is None, flags_of=patient_ref)
    change = mv.end_isolation(current, tile.ref, occupant is not None, ctx.now, ctx.new_task)
    text = f"Isolation of bed {tile.name} has ended." + ("" if occupant else " The bed now needs a terminal clean.")
    return Plan(change, text, tile.ref, patient_ref, tile.id)


def _block(ctx: ActionContext) -> Plan:
    reason = (ctx.request.reason or "").strip()
    if not reason:
        raise Refused("Choose or type why the bed is blocked.", field="reason")

    def problem(t: BedTile) -> str:
        if t.patient is not None:
            return f"Bed {t.name} is occupied by {t.patient.name}; it cannot be blocked."
        if t.reserved_for:
            return f"Bed {t.name} is reserved for {t.reserved_for[0].name}; give them another bed first."
        return f"Bed {t.name} is {_state_words(t)}; it cannot be blocked now."

    allowed = (BedState.AVAILABLE, BedState.HOUSEKEEPING, BedState.CLEANING, BedState.CONTAMINATED,
               BedState.UNKNOWN, BedState.ISOLATED)
    tile = ctx.tile()
    if tile.patient is not None or tile.reserved_for:
        raise Refused(problem(tile) + " Nothing was changed.")
    tile, current = _bed_only(ctx, allowed, problem)
    change = mv.block(current, tile.ref, reason)
    return Plan(change, f"Bed {tile.name} is blocked: {reason}.", tile.ref, None, tile.id)


def _unblock(ctx: ActionContext) -> Plan:
    def problem(t: BedTile) -> str:
        return f"Bed {t.name} is {_state_words(t)}, not blocked."

    tile, current = _bed_only(ctx, (BedState.CLOSED,), problem, cleaning=True)
    if read_location(current.location(tile.ref)).status != "active":
        raise Refused(f"Bed {tile.name} is out of service on the FHIR server itself; it is managed there. "
                      "Nothing was changed.")
    change = mv.unblock(current, tile.ref, ctx.request.ready, ctx.now, ctx.new_task)
    after = "available" if ctx.request.ready else "waiting for cleaning"
    return Plan(change, f"Bed {tile.name} is unblocked and {after}.", tile.ref, None, tile.id)


# ---------------------------------------------------------------- the actions, each declared once


@dataclass(frozen=True)
class BedAction:
    """One bed-board action: everything the panel, the form and the sending need to know of it."""

    name: str
    label: str
    #: The bed states whose panel offers it (in the order of BED_ACTIONS).
    states: frozenset[BedState]
    #: What it may need the server to allow, over every way it can turn out: the panel offers it only
    #: when the server allows all of it, and its change may hold nothing more.
    needs: Needs
    handler: Handler
    #: It needs a choice first (opens a form); otherwise one tap.
    opens_form: bool = False
    #: Shown as a dangerous button (it ends a stay or takes a bed out of service).
    danger: bool = False


class ActionSet(dict[str, BedAction]):
    """The actions by name, in the order the panel shows them."""

    def __init__(self, *actions: BedAction):
        super().__init__((a.name, a) for a in actions)

    def for_state(self, state: BedState) -> tuple[str, ...]:
        return tuple(a.name for a in self.values() if state in a.states)


S = BedState
ENCOUNTER, LOCATION = ("Encounter", "update"), ("Location", "update")
NEW_TASK, TASK = ("Task", "conditional-create"), ("Task", "update")

BED_ACTIONS = ActionSet(
    BedAction("admit", "Admit", frozenset({S.AVAILABLE, S.RESERVED}),
              Needs.of(ENCOUNTER, LOCATION, TRANSACTION), _admit, opens_form=True),
    BedAction("reserve", "Reserve bed", frozenset({S.AVAILABLE}),
              Needs.of(ENCOUNTER, LOCATION, TRANSACTION), _reserve, opens_form=True),
    BedAction("cancel-reservation", "Cancel reservation", frozenset({S.RESERVED}),
              Needs.of(ENCOUNTER, LOCATION, TRANSACTION), _cancel_reservation, opens_form=True),
    BedAction("transfer", "Transfer", frozenset({S.OCCUPIED, S.ISOLATED}),
              Needs.of(ENCOUNTER, LOCATION, NEW_TASK, TRANSACTION), _transfer, opens_form=True),
    BedAction("expected-discharge", "Expected discharge", frozenset({S.OCCUPIED, S.ISOLATED}),
              Needs.of(ENCOUNTER), _expected_discharge, opens_form=True),
    BedAction("discharge", "Discharge", frozenset({S.OCCUPIED, S.ISOLATED}),
              Needs.of(ENCOUNTER, LOCATION, NEW_TASK, TRANSACTION), _discharge, opens_form=True, danger=True),
    BedAction("cleaning-started", "Cleaning started", frozenset({S.HOUSEKEEPING, S.CONTAMINATED}),
              Needs.of(TASK, NEW_TASK), _cleaning_started),
    BedAction("bed-clean", "Bed is clean", frozenset({S.HOUSEKEEPING, S.CLEANING, S.CONTAMINATED, S.UNKNOWN}),
              Needs.of(LOCATION, TASK, TRANSACTION), _bed_clean, opens_form=True),
    BedAction("isolate", "Isolate bed", frozenset({S.AVAILABLE, S.OCCUPIED}),
              Needs.of(LOCATION, ("Flag", "create"), TRANSACTION), _isolate, opens_form=True),
    BedAction("end-isolation", "End isolation", frozenset({S.ISOLATED}),
              Needs.of(LOCATION, ("Flag", "update"), NEW_TASK, TRANSACTION), _end_isolation, opens_form=True,
              danger=True),
    BedAction("block", "Block bed",
              frozenset({S.AVAILABLE, S.HOUSEKEEPING, S.CLEANING, S.CONTAMINATED, S.UNKNOWN}),
              Needs.of(LOCATION), _block, opens_form=True, danger=True),
    BedAction("unblock", "Unblock bed", frozenset({S.CLOSED}),
              Needs.of(LOCATION, NEW_TASK, TRANSACTION), _unblock, opens_form=True),
)
