"""Housekeeping's logic: the unit's open cleaning jobs as the screens show them (from the bed census:
a fixed number of requests whatever the unit), the actions on a job (start, done, make stat) planned as
FHIR changes on the safe-change pattern, the marks on the bed board's tiles, and the turnaround
figures per kind of clean."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from kiosk.fhir import codes
from kiosk.fhir import movements as mv
from kiosk.fhir.census import Census, unit_census
from kiosk.fhir.change import Change, Seen
from kiosk.fhir.gateway import FhirGateway
from kiosk.fhir.records import LocationRecord, TaskRecord, read_location, read_task
from kiosk.figures import nearest_rank as percentile
from kiosk.nav import BedMark, UnitBeds

from .fhir import NEEDS, clean_type_of, make_stat, owner_reference, task_kind_system, unit_jobs

#: Bed statuses (v2-0116) that wait for housekeeping.
DIRTY = (codes.BED_HOUSEKEEPING, codes.BED_CONTAMINATED)
CLEAN_WORDS = {codes.CLEAN_ROUTINE: "Routine", codes.CLEAN_TERMINAL: "Terminal"}


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class Refused(Exception):
    """An action the service refuses before writing anything; `changed_elsewhere` when the reason is what
    another station did since the screen was drawn."""

    def __init__(self, message: str, *, changed_elsewhere: bool = False):
        super().__init__(message)
        self.message = message
        self.changed_elsewhere = changed_elsewhere


def minutes_between(start: datetime | None, end: datetime) -> int | None:
    return None if start is None else max(0, int((end - start).total_seconds() // 60))


@dataclass(frozen=True)
class JobView:
    """One bed's cleaning job as a screen shows it. `task_id` is None for a dirty bed nobody made a job
    for (starting it makes one); `seen` carries the versions shown (the bed and its open jobs)."""

    bed_id: str
    bed_name: str
    task_id: str | None
    clean_type: str
    stat: bool
    cleaning: bool
    owner_name: str | None
    waiting_minutes: int | None
    cleaning_minutes: int | None
    seen: str

    @property
    def clean_words(self) -> str:
        return CLEAN_WORDS[self.clean_type]

    @property
    def terminal(self) -> bool:
        return self.clean_type == codes.CLEAN_TERMINAL


@dataclass(frozen=True)
class JobList:
    unit_name: str
    jobs: list[JobView]
    fetched_at: datetime
    token: str
    unreadable: int = 0

    @property
    def waiting(self) -> list[JobView]:
        return [j for j in self.jobs if not j.cleaning]

    @property
    def in_progress(self) -> list[JobView]:
        return [j for j in self.jobs if j.cleaning]


def _job_view(bed: LocationRecord, jobs: Sequence[TaskRecord], now: datetime) -> JobView:
    job = mv.current_job(jobs)
    seen = Seen.of([(bed.reference, bed.version), *((f"Task/{t.id}", t.version) for t in jobs)])
    if job is None:
        return JobView(bed.id, bed.name, None, codes.CLEAN_ROUTINE, False, False, None, None, None, seen.text())
    cleaning = job.status == "in-progress"
    return JobView(
        bed_id=bed.id, bed_name=bed.name, task_id=job.id, clean_type=clean_type_of(job), stat=job.priority == "stat",
        cleaning=cleaning, owner_name=job.owner_name if cleaning else None,
        waiting_minutes=minutes_between(job.authored_on, now),
        cleaning_minutes=minutes_between(job.started, now) if cleaning else None, seen=seen.text())


def job_list(census: Census, now: datetime) -> JobList:
    """Every dirty bed of the unit with its open cleaning job (or none recorded): stat first, then the
    longest waiting (a job without a creation time counts as the oldest). A job left open on a bed that
    is not dirty is not housekeeping's work: the bed board shows that disagreement on the bed."""
    by_bed = mv.cleaning_jobs(census.tasks)
    views = [_job_view(bed, by_bed.get(bed.reference, []), now) for bed in census.beds
             if bed.operational_status in DIRTY]
    views.sort(key=lambda v: (not v.stat, -(v.waiting_minutes if v.waiting_minutes is not None else math.inf),
                              v.bed_name))
    return JobList(census.unit.name, views, census.fetched_at, uuid.uuid4().hex, len(census.unreadable))


def load_jobs(gw: FhirGateway, now: datetime, read: Callable[[FhirGateway], Census] = unit_census) -> JobList:
    """The unit's jobs; the screens pass the shared census (kiosk.census) as `read`, so that the polled
    list costs no census request while nothing changed. A list a few seconds old is safe: each action
    reads its bed from the server again and is refused when it changed since the list was drawn."""
    return job_list(read(gw), now)


ACTION_WORDS = {"start": "Start", "done": "Done", "stat": "Make stat"}


def unavailable(gw: FhirGateway) -> dict[str, str]:
    """The actions the server's CapabilityStatement does not allow, with the reason (the screens offer
    the others)."""
    caps = gw.capabilities
    found = {action: needs.refused(caps) for action, needs in NEEDS.items()}
    return {action: f"{ACTION_WORDS[action]} is not possible: {reason}" for action, reason in found.items() if reason}


def bed_job(gw: FhirGateway, bed_id: str, now: datetime) -> JobView | None:
    """A dirty bed's cleaning job, for the bed board's panel (the bed and its open jobs: two requests);
    None for a bed that is not dirty."""
    current = mv.read_current(gw, location_ids=[bed_id], cleaning_for=[bed_id])
    bed = current.locations.get(f"Location/{bed_id}")
    if bed is None:
        return None
    record = read_location(bed, gw.identifiers.location)
    if record.operational_status not in DIRTY:
        return None
    return _job_view(record, [read_task(t) for t in current.cleaning(record.reference)], now)


# ---------------------------------------------------------------- actions


@dataclass(frozen=True)
class Staff:
    name: str
    practitioner_ref: str | None


@dataclass(frozen=True)
class Plan:
    change: Change
    message: str
    entity: str


def _current(gw: FhirGateway, bed_id: str) -> tuple[mv.Current, dict[str, object]]:
    current = mv.read_current(gw, location_ids=[bed_id], cleaning_for=[bed_id])
    bed = current.locations.get(f"Location/{bed_id}")
    if bed is None:
        raise Refused("That bed is not on the FHIR server any more. Nothing was changed.")
    return current, bed


def _bed_name(bed: dict[str, object]) -> str:
    return str(bed.get("name") or "this bed")


def _status(bed: dict[str, object]) -> str | None:
    status = bed.get("operationalStatus")
    return status.get("code") if isinstance(status, dict) else None


def _new_task(gw: FhirGateway, token: str) -> mv.NewTask:
    return mv.NewTask(kind_system=task_kind_system(gw),
                      identifier_system=codes.local_system(gw.identifiers.code_systems, codes.TASK_IDENTIFIER_CONCEPT),
                      key=token)


def plan_start(gw: FhirGateway, bed_id: str, staff: Staff, token: str, now: datetime) -> Plan:
    """Housekeeping takes the bed's job: in progress, owned by this person, started now."""
    current, bed = _current(gw, bed_id)
    name = _bed_name(bed)
    ref = f"Location/{bed_id}"
    jobs = current.cleaning(ref)
    started = next((j for j in jobs if j.get("status") == "in-progress"), None)
    if started is not None:
        who = (started.get("owner") or {}).get("display") or "someone"
        raise Refused(f"Bed {name} is already being cleaned by {who}. Nothing was changed.", changed_elsewhere=True)
    if _status(bed) not in DIRTY and not jobs:
        raise Refused(f"Bed {name} does not need cleaning any more. Nothing was changed.", changed_elsewhere=True)
    change = mv.start_cleaning(current, ref, now, _new_task(gw, token), owner=owner_reference(staff.name,
                                                                                             staff.practitioner_ref))
    change.declare(NEEDS["start"])
    return Plan(change, f"You are cleaning bed {name}.", ref)


def plan_done(gw: FhirGateway, bed_id: str, staff: Staff, now: datetime) -> Plan:
    """The bed is clean: available again, its open cleaning jobs completed (`movements.bed_clean`); a job
    finished without being started first is owned by the person who finished it."""
    current, bed = _current(gw, bed_id)
    name = _bed_name(bed)
    ref = f"Location/{bed_id}"
    if _status(bed) not in DIRTY:
        raise Refused(f"Bed {name} is not waiting for housekeeping any more. Nothing was changed.",
                      changed_elsewhere=True)
    change = mv.bed_clean(current, ref, now)
    for resource, _version in change.updates:
        if resource["resourceType"] == "Task" and not resource.get("owner"):
            resource["owner"] = owner_reference(staff.name, staff.practitioner_ref)
    change.declare(NEEDS["done"])
    return Plan(change, f"Bed {name} is clean and available.", ref)


def plan_stat(gw: FhirGateway, bed_id: str, task_id: str, now: datetime) -> Plan:
    """The desk raises a waiting job to stat (a bed someone is waiting for)."""
    current, bed = _current(gw, bed_id)
    name = _bed_name(bed)
    task = next((t for t in current.cleaning(f"Location/{bed_id}") if t.get("id") == task_id), None)
    if task is None:
        raise Refused(f"The cleaning job of bed {name} is finished or gone. Nothing was changed.",
                      changed_elsewhere=True)
    if task.get("priority") == "stat":
        raise Refused(f"The cleaning of bed {name} is already stat. Nothing was changed.", changed_elsewhere=True)
    change = make_stat(task, now)
    change.declare(NEEDS["stat"])
    return Plan(change, f"The cleaning of bed {name} is now stat.", f"Task/{task_id}")


# ---------------------------------------------------------------- marks on the bed board


def marks_for_beds(beds: UnitBeds) -> dict[str, list[BedMark]]:
    """Who is cleaning each bed, and a waiting job that is stat or terminal: from the census the board
    already read (no request of its own)."""
    if beds.census is None:
        return {}
    marks: dict[str, list[BedMark]] = {}
    dirty = {bed.reference for bed in beds.census.beds if bed.operational_status in DIRTY}
    for bed, jobs in mv.cleaning_jobs(beds.census.tasks).items():
        job = mv.current_job(jobs)
        if job is None or bed not in dirty:
            continue
        kind = clean_type_of(job)
        if job.status == "in-progress":
            who = job.owner_name or "housekeeping"
            first = who.split()[0]
            terminal = " (terminal)" if kind == codes.CLEAN_TERMINAL else ""
            marks[bed] = [BedMark("housekeeping", f"{first} cleaning", detail=f"{who} is cleaning{terminal}")]
        elif job.priority == "stat":
            marks[bed] = [BedMark("housekeeping", "Stat clean", urgent=True,
                                  detail=f"Stat {CLEAN_WORDS[kind].lower()} clean waiting")]
        elif kind == codes.CLEAN_TERMINAL:
            marks[bed] = [BedMark("housekeeping", "Terminal clean")]
    return marks


# ---------------------------------------------------------------- figures



@dataclass(frozen=True)
class Turnaround:
    clean_type: str
    jobs: int
    to_start_median: float | None
    to_start_p90: float | None
    to_done_median: float | None
    to_done_p90: float | None

    @property
    def words(self) -> str:
        return codes.CLEAN_TYPES[self.clean_type]


@dataclass
class Figures:
    unit_name: str
    periods: dict[str, list[Turnaround]] = field(default_factory=dict)
    unreadable: int = 0


def _minutes(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None or end < start:
        return None
    return (end - start).total_seconds() / 60


def turnaround(jobs: Iterable[TaskRecord]) -> list[Turnaround]:
    """Per kind of clean: minutes from job created to started and to done (median, 90th percentile)."""
    rows = []
    job_list_ = list(jobs)
    for kind in codes.CLEAN_TYPES:
        mine = [j for j in job_list_ if clean_type_of(j) == kind]
        to_start = [m for j in mine if (m := _minutes(j.authored_on, j.started)) is not None]
        to_done = [m for j in mine if (m := _minutes(j.authored_on, j.ended)) is not None]
        rows.append(Turnaround(kind, len(mine), percentile(to_start, 0.5), percentile(to_start, 0.9),
                               percentile(to_done, 0.5), percentile(to_done, 0.9)))
    return rows


def start_of_day(now: datetime, local: datetime) -> datetime:
    """The UTC instant of the station's midnight today (`local` is `now` in the station's zone)."""
    return now - timedelta(hours=local.hour, minutes=local.minute, seconds=local.second,
                           microseconds=local.microsecond)


def load_figures(gw: FhirGateway, unit_name: str, now: datetime, midnight: datetime) -> Figures:
    """Today's and the last 7 days' turnaround: one search of the completed jobs."""
    week_ago = now - timedelta(days=7)
    jobs, unreadable = unit_jobs(gw, gw.unit_location_id(), ("completed",), min(week_ago, midnight))
    today = [j for j in jobs if j.authored_on is not None and j.authored_on >= midnight]
    week = [j for j in jobs if j.authored_on is not None and j.authored_on >= week_ago]
    return Figures(unit_name, {"Today": turnaround(today), "Last 7 days": turnaround(week)}, unreadable)


@dataclass(frozen=True)
class Counts:
    waiting: int
    stat: int
    cleaning: int


def open_counts(gw: FhirGateway) -> Counts:
    """The home screen's counts of the unit's open cleaning jobs: one search."""
    jobs, _ = unit_jobs(gw, gw.unit_location_id(), codes.OPEN_TASK_STATUSES)
    waiting = [j for j in jobs if j.status != "in-progress"]
    return Counts(len(waiting), sum(1 for j in waiting if j.priority == "stat"), len(jobs) - len(waiting))
