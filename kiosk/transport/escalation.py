"""Escalation: a job still waiting for a transporter past its target is raised, by the scheduler
(kiosk/transport/jobs.py), on the unit's transport board and on the home screen, and cleared when
someone accepts it or it ends. The raised jobs are kept in the kiosk's database (one row per Task),
so the home screen shows them without asking the FHIR server.

Each raise pages the transport dispatcher (the on-call role `dispatcher_role` of config/transport.toml)
through paging's outbox, once: the page's idempotency key is the Task id and the raise's number, so a
scheduler that stopped between writing the page and noting it here finds the page at its next run
instead of sending another. The message carries the origin's room and the patient's initials, the job
number and the minutes past the target. With no dispatcher configured, or nobody on call who can be
reached, the row says so and the board shows it ("No dispatcher to page"). When the job stops waiting,
a dispatcher's page nobody has answered yet is cancelled (it escalates no further).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from kiosk.config import Settings
from kiosk.db import Database
from kiosk.fhir.gateway import FhirGateway
from kiosk.scheduler.lease import current_holder

from .board import overdue, unit_jobs
from .fhir import JobRecord, JobSet, open_jobs
from .models import TransportEscalation

#: What the board and the row say when nobody is set up to be paged.
NO_DISPATCHER = "No dispatcher to page"
#: Paging's urgency for a job's priority.
URGENCY = {"stat": "stat", "asap": "urgent", "urgent": "urgent"}


@dataclass(frozen=True)
class EscalationRun:
    raised: int
    still: int
    cleared: int
    #: The jobs raised now (and the search they came from), for paging the dispatcher.
    late: dict[str, JobRecord] = field(default_factory=dict, compare=False, repr=False)
    jobs: JobSet = field(default_factory=JobSet, compare=False, repr=False)
    #: Dispatcher's pages of jobs that stopped waiting (to cancel when still unanswered).
    pages_to_close: tuple[tuple[int, str], ...] = ()

    def line(self) -> str:
        """The scheduler's log line (counts only, no patient data)."""
        jobs = "job" if self.raised == 1 else "jobs"
        return (f"Escalated {self.raised} {jobs} waiting past the target; {self.still} still raised; "
                f"{self.cleared} cleared.")


def escalate(gw: FhirGateway, database: Database, now: datetime) -> EscalationRun:
    """Raise the unit's jobs that wait for a transporter past their target (once each) and clear those
    that stopped waiting: one search."""
    jobs = open_jobs(gw)
    unit_id = gw.unit_location_id()
    late = {j.id: j for j in unit_jobs(jobs, f"Location/{unit_id}") if overdue(j, now)}
    status = {j.id: j.status for j in jobs.jobs}
    raised = cleared = 0
    to_close: list[tuple[int, str]] = []
    with database.session() as session:
        rows = {r.task_id: r for r in session.scalars(select(TransportEscalation).where(
            TransportEscalation.task_id.in_(list(late)) | (TransportEscalation.unit_id == unit_id)))}
        for task_id, job in late.items():
            row = rows.get(task_id)
            if row is None:
                session.add(TransportEscalation(task_id=task_id, unit_id=unit_id, priority=job.priority,
                                                origin=job.origin.name[:120], destination=job.destination.name[:120],
                                                due_by=job.due_by or now, raised_at=now))
                raised += 1
            elif row.cleared_at is not None:
                row.cleared_at, row.cleared_why, row.raised_at = None, None, now
                row.raised_count = (row.raised_count or 1) + 1
                row.page_id = row.dispatched_at = row.dispatch = None
                raised += 1
        for task_id, row in rows.items():
            if row.cleared_at is None and task_id not in late:
                row.cleared_at = now
                row.cleared_why = {"accepted": "accepted", "in-progress": "picked up"}.get(
                    status.get(task_id, ""), "ended" if task_id not in status else "no longer late")
                if row.page_id is not None:
                    to_close.append((row.page_id, f"transport job {row.cleared_why}"))
                cleared += 1
    return EscalationRun(raised, len(late) - raised, cleared, late, jobs, tuple(to_close))


@dataclass(frozen=True)
class DispatchRun:
    paged: int = 0
    not_paged: int = 0
    waiting: int = 0
    closed: int = 0

    def line(self) -> str:
        return (f"Dispatcher: {self.paged} paged, {self.not_paged} with nobody to page, {self.waiting} to try again, "
                f"{self.closed} pages closed.")


def _initials(jobs: JobSet, job: JobRecord) -> str:
    patient = jobs.patients.get(job.patient or "")
    return patient.name.initials if patient else ""


def _message(job: JobRecord, now: datetime) -> str:
    late = max(1, int((now - job.due_by).total_seconds() // 60)) if job.due_by else 0
    number = f"Job {job.number}" if job.number else "A transport job"
    return f"{number} not accepted, {late} min past its target."


def page_dispatcher(settings: Settings, gw: FhirGateway, database: Database, run: EscalationRun,
                    dispatcher_role: str, now: datetime) -> DispatchRun:
    """Page the dispatcher for every raised job not paged yet (once per raise), and cancel the
    unanswered pages of jobs that stopped waiting. Paging is reached through its package's exports."""
    from kiosk.paging import close_page, page_role

    closed = sum(1 for page_id, why in run.pages_to_close if close_page(settings, database, page_id, why))
    with database.session() as session:
        pending = [(r.task_id, r.raised_count or 1) for r in session.scalars(select(TransportEscalation).where(
            TransportEscalation.cleared_at.is_(None), TransportEscalation.dispatched_at.is_(None),
            TransportEscalation.task_id.in_(list(run.late))))]
    paged = not_paged = waiting = 0
    for task_id, count in pending:
        job = run.late[task_id]
        if not dispatcher_role:
            page_id, words, settled = None, f"{NO_DISPATCHER}: no dispatcher_role in config/transport.toml.", True
        else:
            origin = job.origin.name if job.origin.reference else ""
            found = page_role(settings, gw, database, role=dispatcher_role, key=f"transport:{task_id}:{count}",
                              urgency=URGENCY.get(job.priority, "routine"), text=_message(job, now), room=origin,
                              initials=_initials(run.jobs, job), source="transport", now=now,
                              patient_ref=job.patient, encounter_ref=job.encounter)
            page_id, settled = found.page_id, not found.retry
            words = f"Dispatcher paged: {found.words}" if found.paged else f"{NO_DISPATCHER}: {found.words}"
        with database.session() as session:
            row = session.scalar(select(TransportEscalation).where(TransportEscalation.task_id == task_id))
            if row is None or row.raised_count != count or row.cleared_at is not None:
                continue
            row.page_id, row.dispatch = page_id, words[:500]
            row.dispatched_at = now if settled else None
        if page_id is not None:
            paged += 1
        elif settled:
            not_paged += 1
        else:
            waiting += 1
    return DispatchRun(paged, not_paged, waiting, closed)


@dataclass(frozen=True)
class Raised:
    task_id: str
    priority: str
    origin: str
    destination: str
    due_by: datetime
    raised_at: datetime
    #: Whether (and whom) the dispatcher was paged, or why not; None while the scheduler has yet to try.
    dispatch: str | None = None


def raised_jobs(database: Database, unit_id: str | None = None) -> list[Raised]:
    """The jobs raised and not cleared (of one unit, or all the kiosk's), the longest waiting first
    (the database only)."""
    with database.session() as session:
        query = select(TransportEscalation).where(TransportEscalation.cleared_at.is_(None))
        if unit_id is not None:
            query = query.where(TransportEscalation.unit_id == unit_id)
        rows = session.scalars(query.order_by(TransportEscalation.due_by))
        return [Raised(r.task_id, r.priority, r.origin, r.destination, r.due_by, r.raised_at, r.dispatch)
                for r in rows]


def scheduler_running(database: Database) -> bool:
    return current_holder(database) is not None
