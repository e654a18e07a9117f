"""The transport screens as view objects: a job as a row or a card (its state in words, its times,
the minutes waited against the target turning amber then red, the delay, who has it, what the person
looking may do with it), the unit's board, a transporter's list and the marks on the bed tiles.

Built from legs read in a fixed number of searches (kiosk/transport/fhir.py); nothing here asks the
server.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from kiosk.auth import Role
from kiosk.fhir.change import Seen
from kiosk.fhir.records import PatientRecord
from kiosk.fhir.refs import version_of
from kiosk.nav import BedMark

from .actions import JOB_ACTIONS
from .fhir import BUSINESS, LEG_RETURN, MODES, NEEDS, JobRecord, JobSet
from .settings import TransportSettings

PRIORITY_WORDS = {"stat": "Stat", "urgent": "Urgent", "routine": "Routine", "asap": "ASAP"}
PRIORITY_RANK = {"stat": 0, "asap": 1, "urgent": 2, "routine": 3}


@dataclass(frozen=True)
class Clock:
    """How long a job has waited for its pickup against its target: `tone` ok, amber or red; `ahead`
    when the pickup asked for is still to come."""

    minutes: int
    target: int
    tone: str
    ahead: bool = False

    @property
    def words(self) -> str:
        if self.ahead:
            return f"in {self.minutes} min"
        return f"{self.minutes} of {self.target} min"


def waiting_clock(job: JobRecord, now: datetime, amber_percent: int) -> Clock | None:
    """The clock of a job not yet picked up (requested or accepted); None otherwise."""
    if job.status not in ("requested", "accepted") or job.due_from is None or job.due_by is None:
        return None
    target = max(1, round((job.due_by - job.due_from).total_seconds() / 60))
    if now < job.due_from:
        return Clock(int((job.due_from - now).total_seconds() // 60), target, "ahead", ahead=True)
    minutes = int((now - job.due_from).total_seconds() // 60)
    if now > job.due_by:
        tone = "red"
    elif minutes * 100 >= target * amber_percent:
        tone = "amber"
    else:
        tone = "ok"
    return Clock(minutes, target, tone)


def overdue(job: JobRecord, now: datetime) -> bool:
    """Waiting for a transporter past its target: what the scheduler escalates."""
    return job.status == "requested" and job.due_by is not None and now > job.due_by


def state_of(job: JobRecord, mine: bool = False) -> tuple[str, str]:
    """(css key, words) of a leg's state (`mine`: the person looking has the job)."""
    if job.status == "draft":
        return "return", BUSINESS["waiting-return"]
    if job.status == "requested":
        return "waiting", BUSINESS["pending"]
    if job.business == "delayed" and job.status in ("accepted", "in-progress"):
        return "delayed", "Delayed"
    if job.status == "accepted":
        return "accepted", "Accepted" + (" by you" if mine else f" by {job.owner_name}" if job.owner_name else "")
    if job.status == "in-progress":
        return "moving", "Picked up, on the way"
    if job.status == "completed":
        return "done", "Delivered"
    if job.status == "failed":
        return "cancelled", "Not completed"
    if job.status == "cancelled":
        return "cancelled", "Cancelled"
    return "other", job.status


def patient_words(patient: PatientRecord | None) -> str:
    if patient is None:
        return "Patient record not readable"
    return patient.name.last_first or "Name not recorded"


@dataclass
class JobView:
    id: str
    number: str
    leg: str
    status: str
    state_key: str
    state: str
    priority: str
    priority_label: str
    patient_name: str
    patient_id: str | None
    encounter_id: str | None
    origin: str
    destination: str
    destination_ref: str | None
    mode: str
    needs: tuple[str, ...]
    note: str
    requested_at: datetime | None
    due_from: datetime | None
    due_by: datetime | None
    accepted_at: datetime | None
    picked_up_at: datetime | None
    delivered_at: datetime | None
    owner_name: str | None
    mine: bool
    delay: str | None
    status_reason: str | None
    clock: Clock | None
    seen: str
    actions: tuple[str, ...] = ()
    escalated_at: datetime | None = None
    #: The escalation's page to the dispatcher: whom and how it stands, or why nobody was paged.
    dispatch: str | None = None
    #: A delivered transfer: where the bed board opens the move into the new bed.
    move_url: str | None = None

    @property
    def is_return(self) -> bool:
        return self.leg == LEG_RETURN

    @property
    def urgent(self) -> bool:
        return self.escalated_at is not None or (self.clock is not None and self.clock.tone == "red")

    @property
    def sort_key(self) -> tuple:
        tone = {"red": 0, "amber": 1, "ok": 2, "ahead": 4}.get(self.clock.tone if self.clock else "", 3)
        return (0 if self.escalated_at else 1, tone, PRIORITY_RANK.get(self.priority, 9),
                self.due_from or self.requested_at or datetime.max.replace(tzinfo=UTC))


def needs_words(job: JobRecord) -> tuple[str, ...]:
    out = []
    for need in job.needs:
        text = need.text or NEEDS.get(need.code, need.code)
        if need.code == "oxygen" and job.oxygen_lpm is not None and "L/min" not in text:
            text = f"{text} {job.oxygen_lpm:g} L/min"
        out.append(text)
    return tuple(out)


def job_seen(job: JobRecord, jobs: JobSet) -> str:
    """The versions a row shows: the leg, the other open legs of its request, and the request."""
    versions: dict[str, str] = {}
    for other in jobs.jobs:
        if other.number == job.number and other.version and (other.id == job.id or other.is_open):
            versions[other.reference] = other.version
    request_version = version_of(jobs.requests.get(job.request or ""))
    if request_version:
        versions[job.request or ""] = request_version
    return Seen(versions).text()


@dataclass(frozen=True)
class Viewer:
    """Who looks: their role, and how the kiosk recognises their jobs (Task.owner)."""

    role: Role | None
    owner_keys: frozenset[str] = frozenset()


def actions_for(job: JobRecord, viewer: Viewer, mine: bool) -> tuple[str, ...]:
    out = []
    for action in JOB_ACTIONS.values():
        if job.status not in action.statuses or viewer.role not in action.roles:
            continue
        if viewer.role is Role.TRANSPORTER and action.own_only and not mine:
            continue
        if action.name == "accept" and job.owner_key and not mine:
            continue
        out.append(action.name)
    return tuple(out)


def job_view(job: JobRecord, jobs: JobSet, settings: TransportSettings, now: datetime,
             viewer: Viewer = Viewer(None)) -> JobView:
    mine = bool(job.owner_key and job.owner_key in viewer.owner_keys)
    key, words = state_of(job, mine)
    patient = jobs.patients.get(job.patient or "")
    return JobView(
        id=job.id, number=job.number or "", leg=job.leg, status=job.status, state_key=key, state=words,
        priority=job.priority, priority_label=PRIORITY_WORDS.get(job.priority, job.priority.title()),
        patient_name=patient_words(patient), patient_id=patient.id if patient else None,
        encounter_id=job.encounter.split("/", 1)[1] if job.encounter else None,
        origin=job.origin.name, destination=job.destination.name, destination_ref=job.destination.reference,
        mode=MODES[job.mode][0] if job.mode in MODES else "", needs=needs_words(job), note=job.note,
        requested_at=job.authored_on, due_from=job.due_from, due_by=job.due_by, accepted_at=job.accepted_at,
        picked_up_at=job.picked_up_at, delivered_at=job.delivered_at, owner_name=job.owner_name, mine=mine,
        delay=job.delays[-1].split(": ", 1)[-1] if job.delays and key == "delayed" else None,
        status_reason=job.status_reason,
        clock=waiting_clock(job, now, settings.amber_percent), seen=job_seen(job, jobs),
        actions=actions_for(job, viewer, mine),
    )


# ---------------------------------------------------------------- the unit's board


@dataclass
class Board:
    jobs: list[JobView]
    moves: list[JobView]
    fetched_at: datetime
    unreadable: int = 0
    scheduler_running: bool = True
    #: Why the server does not allow asking for a transport (Epic), shown instead of the link.
    request_refused: str | None = None

    @property
    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for job in self.jobs:
            out[job.state_key] = out.get(job.state_key, 0) + 1
        return out

    @property
    def escalated(self) -> int:
        return sum(1 for j in self.jobs if j.escalated_at)


def unit_jobs(jobs: JobSet, unit_ref: str) -> list[JobRecord]:
    return [j for j in jobs.jobs if j.touches({unit_ref})]


def delivered_transfers(delivered: JobSet, unit_ref: str, since: datetime) -> list[JobRecord]:
    """Transfers of this unit's patients delivered to a bed since a time whose encounter is not yet in
    that bed (the bed board's move is still to be done)."""
    out = []
    for job in delivered.jobs:
        if job.status != "completed" or job.origin.unit != unit_ref or not job.destination.reference:
            continue
        if job.delivered_at is None or job.delivered_at < since:
            continue
        request = delivered.requests.get(job.request or "") or {}
        purpose = [c.get("code") for cat in request.get("category") or [] for c in cat.get("coding") or []]
        if "transfer" not in purpose:
            continue
        encounter = delivered.encounters.get(job.encounter or "")
        if encounter is None or encounter.status not in ("in-progress", "arrived", "triaged", "onleave"):
            continue
        active = {loc.location for loc in encounter.locations_with("active")}
        if job.destination.reference not in active:
            out.append(job)
    return out


# ---------------------------------------------------------------- marks on the bed tiles


def bed_marks(jobs: list[JobRecord], occupants: dict[str, tuple[str | None, str | None]],
              now: datetime) -> dict[str, list[BedMark]]:
    """'Location/<bed>' -> its marks: "Transport" while its patient has an open leg (red once a leg
    waits past its target), "Off unit" while the patient is away (picked up, or at the destination
    of a round trip whose way back is still open)."""
    by_patient: dict[str, list[JobRecord]] = {}
    for job in jobs:
        if job.patient and job.is_open:
            by_patient.setdefault(job.patient, []).append(job)
    marks: dict[str, list[BedMark]] = {}
    for bed, (patient, _encounter) in occupants.items():
        legs = by_patient.get(patient or "")
        if not legs:
            continue
        outbound_open = {j.number for j in legs if j.leg != LEG_RETURN}
        away = any(j.status == "in-progress" for j in legs) or any(
            j.leg == LEG_RETURN and j.number not in outbound_open for j in legs)
        if away:
            marks[bed] = [BedMark("off-unit", "Off unit")]
        else:
            marks[bed] = [BedMark("transport", "Transport", urgent=any(overdue(j, now) for j in legs))]
    return marks


@dataclass
class Worklist:
    """A transporter's screen: their jobs, and the open jobs of their zone waiting for someone."""

    zone_name: str
    zone_code: str
    zones: list[tuple[str, str]]
    mine: list[JobView]
    waiting: list[JobView]
    later: list[JobView]
    fetched_at: datetime
    unreadable: int = 0
    not_in_zone: list[str] = field(default_factory=list)
