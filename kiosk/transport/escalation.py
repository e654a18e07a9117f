"""Escalation: a job still waiting for a transporter past its target is raised, by the scheduler
(kiosk/transport/jobs.py), on the unit's transport board and on the home screen, and cleared when
someone accepts it or it ends. The raised jobs are kept in the kiosk's database (one row per Task),
so the home screen shows them without asking the FHIR server.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from kiosk.db import Database
from kiosk.fhir.gateway import FhirGateway
from kiosk.scheduler.lease import current_holder

from .board import overdue, unit_jobs
from .fhir import open_jobs
from .models import TransportEscalation


@dataclass(frozen=True)
class EscalationRun:
    raised: int
    still: int
    cleared: int

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
                raised += 1
        for task_id, row in rows.items():
            if row.cleared_at is None and task_id not in late:
                row.cleared_at = now
                row.cleared_why = {"accepted": "accepted", "in-progress": "picked up"}.get(
                    status.get(task_id, ""), "ended" if task_id not in status else "no longer late")
                cleared += 1
    return EscalationRun(raised, len(late) - raised, cleared)


@dataclass(frozen=True)
class Raised:
    task_id: str
    priority: str
    origin: str
    destination: str
    due_by: datetime
    raised_at: datetime


def raised_jobs(database: Database, unit_id: str | None = None) -> list[Raised]:
    """The jobs raised and not cleared (of one unit, or all the kiosk's), the longest waiting first
    (the database only)."""
    with database.session() as session:
        query = select(TransportEscalation).where(TransportEscalation.cleared_at.is_(None))
        if unit_id is not None:
            query = query.where(TransportEscalation.unit_id == unit_id)
        rows = session.scalars(query.order_by(TransportEscalation.due_by))
        return [Raised(r.task_id, r.priority, r.origin, r.destination, r.due_by, r.raised_at) for r in rows]


def scheduler_running(database: Database) -> bool:
    return current_holder(database) is not None
