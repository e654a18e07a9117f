"""Patient transport's logic: what the request form offers and the change it sends, what an action on
a job checks and writes, and the screens (the unit's board, a transporter's list, the bed marks), each
read in a fixed number of FHIR requests whatever the number of jobs:

- request form: the encounter with its patient (1), the patient's alerts (1), the patient's bed with
  its room, unit and site (1), the site's departments (1), free beds on other units (2), and the order
  the move is for, when one is named (1);
- an action: every leg of its request with patient, encounter and request (1), and the write (1);
- the unit's board: the open legs (1) and the legs delivered in the last hours (1);
- a transporter's list: the open legs (1) (each zone's units are named once per process);
- the marks on the bed tiles: the open legs of the unit's patients (1).
"""

from __future__ import annotations

import functools
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from kiosk import timeutil
from kiosk.armband import ScanCode
from kiosk.auth import Role, StaffMember
from kiosk.fhir import codes
from kiosk.fhir.change import TRANSACTION, Change, Needs
from kiosk.fhir.client import identifier_query
from kiosk.fhir.errors import FhirNotAllowed, FhirNotFound
from kiosk.fhir.gateway import FhirGateway, UnitRef
from kiosk.fhir.locations import available_beds_elsewhere
from kiosk.fhir.patient_context import EncounterContext, encounter_context
from kiosk.fhir.records import PatientRecord, text_of
from kiosk.nav import BedMark, MoveOffer, UnitBeds

from .actions import JOB_ACTIONS, ActionInput, JobAction, build_change
from .board import (
    Board,
    Viewer,
    Worklist,
    bed_marks,
    delivered_transfers,
    job_view,
    unit_jobs,
)
from .escalation import Raised
from .fhir import (
    LEG_OUT,
    LEG_RETURN,
    MODES,
    NEEDS,
    PURPOSES,
    JobRecord,
    JobSet,
    Need,
    NewTransport,
    PlaceRef,
    delivered_since,
    job_task,
    jobs_of_request,
    open_jobs,
    open_jobs_of_patients,
    order_of_patient,
    place_of,
    places_with_units,
    service_request,
    site_departments,
    staff_reference,
    systems,
    tasks_offered,
)
from .settings import PLACE_KINDS, PRIORITIES, TransportSettings

#: What asking for a transport may need: the request and its legs, created once (a double tap or a
#: retry finds them), in one transaction.
REQUEST_NEEDS = Needs.of(("Task", "conditional-create"), ("ServiceRequest", "conditional-create"), TRANSACTION)
REQUEST_NUMBER = re.compile(r"^TR-[0-9A-F]{8}$")
MAX_NOTE = 200


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def new_request_number() -> str:
    """Made once per form shown: the identifier that makes a double submit one job."""
    return "TR-" + secrets.token_hex(4).upper()


class Refused(Exception):
    """Not done, and nothing was sent; `field` names the form field it is about; `changed_elsewhere`
    when another station moved the job on."""

    def __init__(self, message: str, *, field: str | None = None, changed_elsewhere: bool = False):
        super().__init__(message)
        self.message = message
        self.field = field
        self.changed_elsewhere = changed_elsewhere


# ---------------------------------------------------------------- the request form


#: The destination group of other units' beds: long, so folded unless a bed in it is chosen.
BEDS_ELSEWHERE = "Beds on other units"


@dataclass
class Destinations:
    """Where a patient may be taken, in groups as the form shows them."""

    groups: list[tuple[str, list[PlaceRef]]] = field(default_factory=list)
    #: Why the beds of other units are not listed (the server does not offer the search), if so.
    beds_note: str | None = None
    #: The group a link asked for (a discharge's lounge, lobby and car), first and the only one unfolded.
    asked_group: str | None = None

    def find(self, key: str) -> PlaceRef | None:
        return next((p for _, places in self.groups for p in places if p.key == key), None)

    def put_first(self, title: str) -> None:
        """The group of that title first, the only one unfolded (when there is such a group)."""
        asked = [g for g in self.groups if g[0] == title]
        if asked:
            self.groups = asked + [g for g in self.groups if g[0] != title]
            self.asked_group = title

    def unfolded(self, title: str, chosen: object) -> bool:
        """Whether the form shows a group unfolded: the one holding the place chosen, else the group a link
        asked for, else every group but the (long) list of beds on other units."""
        places = next((p for t, p in self.groups if t == title), [])
        if any(p.key == chosen for p in places):
            return True
        if self.asked_group:
            return title == self.asked_group
        return title != BEDS_ELSEWHERE


@dataclass
class RequestContext:
    patient: PatientRecord
    encounter_id: str
    patient_id: str
    origin: PlaceRef | None
    destinations: Destinations
    #: Needs filled in from the patient's alerts (isolation precautions, fall risk).
    from_alerts: tuple[Need, ...]
    order: str | None = None
    order_text: str | None = None
    order_note: str | None = None
    unreadable: tuple[str, ...] = ()

    @property
    def from_alert_codes(self) -> set[str]:
        return {n.code for n in self.from_alerts}


def _alert_needs(context: EncounterContext) -> tuple[Need, ...]:
    """Isolation precautions from the patient's isolation Flags (their kind from Flag.code, the words
    from Flag.code.text), and fall risk."""
    out: list[Need] = []
    for flag in context.flags:
        kind = codes.flag_kind(flag.category)
        if kind == "isolation":
            code = flag.code if flag.code in NEEDS else "isolation-contact"
            out.append(Need(code, flag.text or NEEDS[code]))
        elif kind == "fall" and not any(n.code == "fall-risk" for n in out):
            out.append(Need("fall-risk", flag.text or NEEDS["fall-risk"]))
    return tuple(out)


def _bed_of(context: EncounterContext) -> str | None:
    """Where the patient is now: their active bed (else any active place) on the encounter."""
    active = context.encounter.locations_with("active")
    return active[-1].location if active else None


def _location_id(key: str | None) -> str | None:
    if key and key.startswith("Location/") and re.match(r"^[A-Za-z0-9\-.]{1,64}$", key[9:]):
        return key[9:]
    return None


def request_context(gw: FhirGateway, settings: TransportSettings, patient_id: str, encounter_id: str,
                    destination: str | None = None, order_id: str | None = None,
                    purpose: str | None = None) -> RequestContext:
    """Everything the request form offers for one patient's encounter. Raises FhirNotFound for an
    encounter that is not this patient's. A discharge (`purpose`, from the bed board's discharge form)
    shows the discharge places first (the lounge, the lobby, the car)."""
    context = encounter_context(gw, encounter_id, patient_id)
    unit_id = gw.unit_location_id()
    bed = _bed_of(context)
    wanted = [i for i in (_location_id(bed), unit_id, _location_id(destination)) if i]
    chain = places_with_units(gw, wanted)
    origin = place_of(chain[bed], chain) if bed in chain else None
    unit = chain.get(f"Location/{unit_id}")
    departments = site_departments(gw, unit.part_of, exclude=[unit.reference]) if unit and unit.part_of else []
    destinations = Destinations()
    try:
        options = available_beds_elsewhere(gw, unit_id, for_encounter=f"Encounter/{encounter_id}")
        beds = [PlaceRef(o.bed.name, o.bed.reference, unit=o.unit.reference if o.unit else None,
                         unit_name=o.unit_name, is_bed=True) for o in options]
    except FhirNotAllowed as e:
        beds, destinations.beds_note = [], e.message
    asked = destination and _location_id(destination)
    known = {p.key for p in [*departments, *beds]}
    if asked and destination not in known and destination in chain and destination != (origin.key if origin else None):
        destinations.groups.append(("Asked for", [place_of(chain[destination], chain)]))
    if departments:
        destinations.groups.append((PLACE_KINDS["department"], departments))
    for kind, title in PLACE_KINDS.items():
        places = [PlaceRef(p.name, code=p.code) for p in settings.places if p.kind == kind]
        if places:
            destinations.groups.append((title, places))
    if beds:
        destinations.groups.append((BEDS_ELSEWHERE, beds))
    if purpose == "discharge":
        destinations.put_first(PLACE_KINDS["discharge"])
    ctx = RequestContext(patient=context.patient, encounter_id=encounter_id, patient_id=patient_id, origin=origin,
                         destinations=destinations, from_alerts=_alert_needs(context), unreadable=context.unreadable)
    if order_id:
        _name_order(gw, ctx, order_id)
    return ctx


def _name_order(gw: FhirGateway, ctx: RequestContext, order_id: str) -> None:
    """The order the move is for (the orders workflow links here with it): named on the form and
    written as the request's basedOn, only when it is this patient's."""
    order = order_of_patient(gw, order_id, ctx.patient.reference)
    if order is None:
        ctx.order_note = "The order this move was asked for is not this patient's or could not be found: the " \
                         "request will not name it."
        return
    ctx.order = f"ServiceRequest/{order_id}"
    ctx.order_text = text_of(order.get("code")) or "an order"


@dataclass(frozen=True)
class RequestChoices:
    """What the person chose on the form (checked by `plan_request`)."""

    number: str
    purpose: str
    destination: str
    mode: str
    needs: tuple[str, ...]
    oxygen_lpm: str
    priority: str
    when: str
    pickup_at: str
    round_trip: bool
    return_at: str
    note: str
    order: str | None = None


@dataclass(frozen=True)
class Plan:
    """A change ready to send: what to say when it is done, and the record and patient it is about (ids
    only, for the audit trail)."""

    change: Change
    message: str
    entity: str
    patient: str | None


def _oxygen(text: str) -> float:
    try:
        value = float(text.replace(",", ".").strip())
    except ValueError:
        raise Refused("Give the oxygen flow in litres per minute (for example 2).", field="oxygen_lpm") from None
    if not 0.25 <= value <= 15:
        raise Refused("The oxygen flow must be between 0.25 and 15 L/min.", field="oxygen_lpm")
    return value


def _when(choices: RequestChoices, settings: TransportSettings, now: datetime) -> tuple[datetime, datetime | None]:
    pickup = now
    if choices.when == "at":
        asked = timeutil.parse_local(choices.pickup_at)
        if asked is None:
            raise Refused("Choose the pickup time.", field="pickup_at")
        pickup = asked
        if pickup < now - timedelta(minutes=5):
            raise Refused("That pickup time has passed. Choose a time to come, or pick up now.", field="pickup_at")
        if pickup > now + timedelta(hours=settings.pickup_ahead_hours):
            raise Refused(f"A pickup can be asked for at most {settings.pickup_ahead_hours} hours ahead.",
                          field="pickup_at")
    elif choices.when != "now":
        raise Refused("Choose when to pick the patient up.", field="when")
    back = None
    if choices.round_trip and choices.return_at.strip():
        back = timeutil.parse_local(choices.return_at)
        if back is None:
            raise Refused("That is not a time. Leave it empty to call for the way back later.", field="return_at")
        if back <= pickup:
            raise Refused("The way back must be after the pickup.", field="return_at")
    return max(pickup, now), back


def plan_request(gw: FhirGateway, settings: TransportSettings, ctx: RequestContext, choices: RequestChoices,
                 staff: StaffMember, now: datetime) -> Plan:
    """Check the form against what it offered and build the one transaction: the request, its leg and,
    for a round trip, the way back (all created only if not there yet, by the request number)."""
    refused = REQUEST_NEEDS.refused(gw.capabilities)
    if refused:
        raise Refused(refused + " Nothing was sent.")
    if not REQUEST_NUMBER.match(choices.number):
        raise Refused("This form is not from the kiosk. Open it again.")
    if ctx.origin is None:
        raise Refused("The patient has no bed recorded on their encounter, so the kiosk cannot say where to "
                      "pick them up. Nothing was sent.")
    if choices.purpose not in PURPOSES:
        raise Refused("Choose what the move is for.", field="purpose")
    destination = ctx.destinations.find(choices.destination)
    if destination is None:
        raise Refused("Choose where the patient is going.", field="destination")
    if destination.key == ctx.origin.key:
        raise Refused("The patient is already there. Choose another place.", field="destination")
    if choices.mode not in MODES:
        raise Refused("Choose how the patient travels.", field="mode")
    unknown = [n for n in choices.needs if n not in NEEDS]
    if unknown:
        raise Refused("One of the needs is not one the kiosk knows. Open the form again.", field="needs")
    if choices.priority not in PRIORITIES:
        raise Refused("Choose the priority.", field="priority")
    oxygen = _oxygen(choices.oxygen_lpm) if "oxygen" in choices.needs else None
    note = choices.note.strip()
    if len(note) > MAX_NOTE:
        raise Refused(f"Keep the note under {MAX_NOTE} characters.", field="note")
    pickup, back = _when(choices, settings, now)
    alert_texts = {n.code: n.text for n in ctx.from_alerts}
    needs = []
    for code in choices.needs:
        text = alert_texts.get(code) or NEEDS[code]
        if code == "oxygen" and oxygen is not None:
            text = f"Oxygen {oxygen:g} L/min"
        needs.append(Need(code, text))
    sys = systems(gw)
    new = NewTransport(
        number=choices.number, patient=ctx.patient.reference, encounter=f"Encounter/{ctx.encounter_id}",
        origin=ctx.origin, destination=destination, purpose=choices.purpose, mode=choices.mode, needs=tuple(needs),
        oxygen_lpm=oxygen, priority=choices.priority, requested_at=now, pickup_at=pickup,
        target_minutes=settings.targets.minutes(choices.priority), round_trip=choices.round_trip, return_at=back,
        note=note, requester=staff_reference(sys, staff.badge, staff.display_name, staff.practitioner_ref),
        order=ctx.order,
    )
    change = Change("transport-request", REQUEST_NEEDS)
    request_ref = change.create(service_request(new, sys), identifier_query(sys.request, new.number),
                                name="the transport request")
    outbound = change.create(job_task(new, sys, request_ref, LEG_OUT),
                             identifier_query(sys.job, f"transport/{new.number}/{LEG_OUT}"), name="the transport job")
    if new.round_trip:
        change.create(job_task(new, sys, request_ref, LEG_RETURN, after=outbound),
                      identifier_query(sys.job, f"transport/{new.number}/{LEG_RETURN}"), name="the way back")
    return Plan(change, request_message(new, ctx), f"Encounter/{ctx.encounter_id}", ctx.patient.reference)


def request_message(new: NewTransport, ctx: RequestContext) -> str:
    when = "now" if new.pickup_at <= new.requested_at else f"at {timeutil.local(new.pickup_at).strftime('%H:%M')}"
    back = " A way back is set up" + (f" for {timeutil.local(new.return_at).strftime('%H:%M')}." if new.return_at
                                       else ": call for it when the patient is ready.") if new.round_trip else ""
    return (f"Transport {new.number} for {ctx.patient.name.last_first}: from {ctx.origin.name if ctx.origin else '?'} "
            f"to {new.destination.name}, {new.priority}, pickup {when} (target {new.target_minutes} min).{back}")


# ---------------------------------------------------------------- actions on a job


@dataclass(frozen=True)
class JobChoices:
    number: str
    reason: str | None = None
    scan: ScanCode | None = None
    birth_date: date | None = None


def owner_keys(staff: StaffMember) -> frozenset[str]:
    """How Task.owner names this person (see fhir.staff_reference)."""
    keys = {f"badge:{staff.badge}"}
    if staff.practitioner_ref and "?" not in staff.practitioner_ref:
        keys.add(staff.practitioner_ref)
    return frozenset(keys)


def viewer_of(staff: StaffMember | None) -> Viewer:
    if staff is None:
        return Viewer(None)
    return Viewer(staff.role, owner_keys(staff))


def check_identity(job: JobRecord, jobs: JobSet, scan: ScanCode | None, birth: date | None) -> str:
    """The armband must name the job's patient by two identifiers: the kiosk armband's Data Matrix
    carries the MRN and the encounter number; a 1D barcode carries one of them, and then the patient's
    date of birth, asked and typed in, is the second. Returns how it was checked; raises Refused."""
    patient = jobs.patients.get(job.patient or "")
    encounter = jobs.encounters.get(job.encounter or "")
    if patient is None or encounter is None:
        raise Refused("The kiosk cannot read this job's patient record, so it cannot check the armband. "
                      "Nothing was changed: call the unit.")
    if scan is None:
        raise Refused("Scan the patient's armband.", field="code")
    wrong = ("This armband is not this job's patient. Do not move the patient: check the armband and the "
             "job with the nurse. Nothing was changed.")
    if scan.mrn and scan.encounter:
        if scan.mrn == patient.mrn and scan.encounter == encounter.number:
            return "armband Data Matrix: MRN and encounter number"
        raise Refused(wrong, field="code")
    first = "MRN" if scan.text == patient.mrn else "encounter number" if scan.text == encounter.number else None
    if first is None:
        raise Refused(wrong, field="code")
    if birth is None:
        raise Refused(f"The barcode matches this patient's {first}. Ask the patient their date of birth (or read "
                      "it on the armband) and enter it.", field="birth_date")
    if patient.birth_date is None:
        raise Refused("This patient has no full date of birth on record. Scan the square code on the armband "
                      "instead. Nothing was changed.", field="code")
    if birth != patient.birth_date:
        raise Refused("That date of birth is not this job's patient's. Do not move the patient: check with the "
                      "nurse. Nothing was changed.", field="birth_date")
    return f"armband barcode: {first}; date of birth asked"


def _find(jobs: JobSet, task_id: str) -> JobRecord:
    job = next((j for j in jobs.jobs if j.id == task_id), None)
    if job is None or job.reference not in jobs.raw:
        raise Refused("This job is not on the FHIR server (any more). Nothing was changed.", changed_elsewhere=True)
    return job


def _not_now(action: JobAction, job: JobRecord, mine: bool) -> str | None:
    """Why the action no longer applies to the job as it is now, in words."""
    if job.status in action.statuses:
        return None
    if action.name == "accept" and job.status in ("accepted", "in-progress") and not mine:
        who = job.owner_name or "Another transporter"
        return f"{who} has this job now. It is no longer on your list."
    if action.name == "accept" and mine:
        return "You have this job already."
    words = {"completed": "was delivered", "cancelled": "was cancelled", "failed": "was stopped",
             "in-progress": "is on its way", "accepted": "is accepted", "requested": "waits for a transporter",
             "draft": "waits for the call to bring the patient back"}.get(job.status, f"is {job.status}")
    return f"This job {words} already. Nothing was changed."


def plan_job_action(gw: FhirGateway, settings: TransportSettings, staff: StaffMember, action_name: str,
                    task_id: str, choices: JobChoices, now: datetime) -> Plan:
    """Check one action against the job as the server holds it now and build its change; raises
    Refused (nothing sent)."""
    action = JOB_ACTIONS.get(action_name)
    if action is None:
        raise Refused("The kiosk does not know that action.")
    if staff.role not in action.roles:
        raise Refused(f"A {staff.role.label} cannot do this ({action.label.lower()}).")
    refused = action.refused(gw.capabilities)
    if refused:
        raise Refused(refused + " Nothing was changed.")
    if not REQUEST_NUMBER.match(choices.number):
        raise Refused("This form is not from the kiosk. Open the jobs again.")
    jobs = jobs_of_request(gw, choices.number)
    job = _find(jobs, task_id)
    mine = bool(job.owner_key and job.owner_key in owner_keys(staff))
    problem = _not_now(action, job, mine)
    if problem:
        raise Refused(problem, changed_elsewhere=True)
    if staff.role is Role.TRANSPORTER and action.own_only and not mine:
        raise Refused(f"{job.owner_name or 'Another transporter'} has this job; only they can do this.")
    given = ActionInput(owner=staff_reference(systems(gw), staff.badge, staff.display_name, staff.practitioner_ref),
                        target_minutes=settings.targets.minutes(job.priority))
    if action.form == "reason":
        if not choices.reason:
            raise Refused("Choose or type the reason.", field="reason")
        given = ActionInput(owner=given.owner, reason=choices.reason, target_minutes=given.target_minutes)
    if action.name == "pickup":
        identity = check_identity(job, jobs, choices.scan, choices.birth_date)
        given = ActionInput(owner=given.owner, identity=identity, target_minutes=given.target_minutes)
    change = build_change(action, job, jobs, systems(gw), gw.capabilities, now, given)
    return Plan(change, _done_words(action.name, job, jobs), job.reference, job.patient)


def _done_words(action: str, job: JobRecord, jobs: JobSet) -> str:
    patient = jobs.patients.get(job.patient or "")
    who = patient.name.last_first if patient else "The patient"
    return {
        "accept": f"You have the job: {who}, from {job.origin.name} to {job.destination.name}.",
        "pickup": f"{who} is picked up from {job.origin.name}, on the way to {job.destination.name}.",
        "deliver": f"{who} is delivered to {job.destination.name}.",
        "delay": f"The delay is recorded for {who}'s job.",
        "release": f"The way back for {who} waits for a transporter now.",
        "cancel": f"{who}'s job from {job.origin.name} to {job.destination.name} is cancelled.",
    }[action]


# ---------------------------------------------------------------- the screens


def unit_reference(gw: FhirGateway) -> str:
    return f"Location/{gw.unit_location_id()}"


def load_board(gw: FhirGateway, settings: TransportSettings, now: datetime, viewer: Viewer,
               escalated: dict[str, Raised], scheduler_running: bool) -> Board:
    """The unit's open jobs (legs that start or end on the unit) and its transfers delivered to a bed
    whose move the bed board has still to make: two searches."""
    tasks_offered(gw, "the transport board")
    jobs = open_jobs(gw)
    unit_ref = unit_reference(gw)
    since = now - timedelta(hours=settings.delivered_hours)
    delivered = delivered_since(gw, since)
    views = []
    for job in unit_jobs(jobs, unit_ref):
        view = job_view(job, jobs, settings, now, viewer)
        raised = escalated.get(job.id)
        if raised is not None:
            view.escalated_at, view.dispatch = raised.raised_at, raised.dispatch
        views.append(view)
    views.sort(key=lambda v: v.sort_key)
    moves = [job_view(job, delivered, settings, now, viewer)
             for job in delivered_transfers(delivered, unit_ref, since)]
    return Board(jobs=views, moves=moves, fetched_at=now,
                 unreadable=len(jobs.unreadable) + len(delivered.unreadable), scheduler_running=scheduler_running,
                 request_refused=REQUEST_NEEDS.refused(gw.capabilities))


def moves_to_make(gw: FhirGateway, settings: TransportSettings, now: datetime, encounter: str) -> list[MoveOffer]:
    """The delivered transfers of this unit's patient (`encounter`, 'Encounter/<id>') whose move into the
    new bed the bed board has still to make, offered there in one tap: one search."""
    unit_ref = unit_reference(gw)
    since = now - timedelta(hours=settings.delivered_hours)
    delivered = delivered_since(gw, since)
    def why(job: JobRecord) -> str:
        at = f" {timeutil.local(job.delivered_at):%H:%M}" if job.delivered_at else ""
        return f"Transport delivered{at} to bed {job.destination.label}"

    return [MoveOffer(encounter=encounter, bed=job.destination.reference or "", bed_name=job.destination.name,
                      why=why(job))
            for job in delivered_transfers(delivered, unit_ref, since)
            if job.encounter == encounter and job.destination.reference]


@dataclass(frozen=True)
class ZoneUnits:
    code: str
    name: str
    units: frozenset[str]
    missing: tuple[str, ...] = ()


@functools.lru_cache(maxsize=256)
def _zone_unit(gw: FhirGateway, spec: str) -> str | None:
    """'Location/<id>' of a zone's unit as settings name it, looked up once per process (a unit that is
    not on the server is not looked for again until the kiosk restarts)."""
    if spec.startswith("Location/"):
        return spec
    ref = UnitRef.parse(spec) if "|" in spec else UnitRef(system=gw.identifiers.location, value=spec)
    try:
        return f"Location/{gw.unit_location_id(ref)}"
    except FhirNotFound:
        return None


def zone_units(gw: FhirGateway, settings: TransportSettings) -> list[ZoneUnits]:
    """The configured zones with their units as 'Location/<id>', the kiosk's own unit in a zone of its
    own when no zone names it."""
    own = unit_reference(gw)
    out = []
    for zone in settings.zones:
        found = {spec: _zone_unit(gw, spec) for spec in zone.units}
        units = frozenset(ref for ref in found.values() if ref)
        out.append(ZoneUnits(zone.code, zone.name, units, tuple(s for s, ref in found.items() if ref is None)))
    if not any(own in z.units for z in out):
        out.insert(0, ZoneUnits("unit", "This unit", frozenset({own})))
    return out


def load_worklist(gw: FhirGateway, settings: TransportSettings, now: datetime, viewer: Viewer,
                  zone_code: str | None) -> Worklist:
    """A transporter's jobs (whatever the zone) and the zone's jobs waiting for someone: soonest due
    first; jobs whose pickup is more than an hour away and ways back not yet called wait under 'later'."""
    tasks_offered(gw, "the transporters' screen")
    zones = zone_units(gw, settings)
    own = unit_reference(gw)
    zone = next((z for z in zones if z.code == zone_code), None) or next(z for z in zones if own in z.units)
    jobs = open_jobs(gw)
    mine, waiting, later = [], [], []
    for job in jobs.jobs:
        view = job_view(job, jobs, settings, now, viewer)
        if view.mine and job.status in ("accepted", "in-progress"):
            mine.append(view)
        elif job.touches(set(zone.units)):
            if job.status == "requested" and (job.due_from is None or job.due_from <= now + timedelta(hours=1)):
                waiting.append(view)
            elif job.status in ("requested", "draft"):
                later.append(view)
    for group in (mine, waiting, later):
        group.sort(key=lambda v: v.sort_key)
    return Worklist(zone_name=zone.name, zone_code=zone.code, zones=[(z.code, z.name) for z in zones], mine=mine,
                    waiting=waiting, later=later, fetched_at=now, unreadable=len(jobs.unreadable),
                    not_in_zone=list(zone.missing))


def marks_for_beds(gw: FhirGateway, beds: UnitBeds, now: datetime) -> dict[str, list[BedMark]]:
    """The transport marks on the bed board's tiles: one search (none for an empty unit), once per version
    of the shared census (a transport job's Task names its patient, so a change to it touches the census)."""
    patients = sorted({p for p, _ in beds.occupants.values() if p})
    if not patients or not gw.capabilities.supports_type("Task"):
        return {}
    jobs = beds.kept("transport-jobs", lambda: open_jobs_of_patients(gw, patients))
    return bed_marks(jobs, beds.occupants, now)
