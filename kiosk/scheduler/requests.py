""""Run now" requests: the web app inserts a row, the scheduler runs its own job and writes the answer.

The web never runs a job itself, so a job asked for from three stations at once still runs once in
the one scheduler (an open request for the same job is shared rather than doubled).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import Row, delete, select, update
from sqlalchemy.orm import Session

from kiosk.db import Database

from .lease import LeaseHolder, current_holder
from .models import JobRequest, JobRun, RequestStatus
from .registry import job_names


@dataclass(frozen=True)
class RequestView:
    """What a screen shows about a request while it waits and once it is answered."""

    id: int
    job: str
    status: str
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    result: str | None
    scheduler: LeaseHolder | None

    @property
    def is_open(self) -> bool:
        return self.status in RequestStatus.OPEN

    @property
    def waiting_for_nobody(self) -> bool:
        """Still pending and no scheduler is alive to pick it up."""
        return self.status == RequestStatus.PENDING and self.scheduler is None


class UnknownJob(ValueError):
    pass


def _now() -> datetime:
    return datetime.now(UTC)


def _view(row: JobRequest, scheduler: LeaseHolder | None) -> RequestView:
    return RequestView(id=row.id, job=row.job, status=row.status, requested_at=row.requested_at,
                       started_at=row.started_at, finished_at=row.finished_at, result=row.result,
                       scheduler=scheduler)


def ask(database: Database, job: str, *, requested_by: str | None, station: str | None,
        now: datetime | None = None) -> RequestView:
    """Ask the scheduler to run `job` now; an open request for the same job is reused."""
    if job not in job_names():
        raise UnknownJob(f"There is no scheduled job called {job!r}.")
    now = now or _now()
    with database.session() as session:
        row = session.scalars(
            select(JobRequest).where(JobRequest.job == job, JobRequest.status.in_(RequestStatus.OPEN))
            .order_by(JobRequest.id).limit(1)
        ).first()
        if row is None:
            row = JobRequest(job=job, status=RequestStatus.PENDING, requested_at=now, requested_by=requested_by,
                             station=station)
            session.add(row)
            session.flush()
        request = _view(row, None)
    return _with_scheduler(database, request, now)


def get(database: Database, request_id: int, now: datetime | None = None) -> RequestView | None:
    with database.session() as session:
        row = session.get(JobRequest, request_id)
        request = _view(row, None) if row else None
    return _with_scheduler(database, request, now or _now()) if request else None


def _with_scheduler(database: Database, request: RequestView, now: datetime) -> RequestView:
    holder = current_holder(database, now) if request.is_open else None
    return replace(request, scheduler=holder)


# ------------------------------------------------------------------ the scheduler's side


def pending_jobs(database: Database) -> list[str]:
    with database.session() as session:
        return sorted(set(session.scalars(
            select(JobRequest.job).where(JobRequest.status == RequestStatus.PENDING)
        )))


def claim(database: Database, job: str, holder: str, now: datetime | None = None) -> list[int]:
    """Mark the pending requests for `job` as being answered by this run; returns their ids."""
    now = now or _now()
    with database.session() as session:
        ids = list(session.scalars(
            select(JobRequest.id).where(JobRequest.job == job, JobRequest.status == RequestStatus.PENDING)
        ))
        if not ids:
            return []
        session.execute(
            update(JobRequest).where(JobRequest.id.in_(ids), JobRequest.status == RequestStatus.PENDING)
            .values(status=RequestStatus.RUNNING, claimed_by=holder, started_at=now)
        )
        return list(session.scalars(
            select(JobRequest.id).where(JobRequest.id.in_(ids), JobRequest.claimed_by == holder,
                                        JobRequest.status == RequestStatus.RUNNING)
        ))


def requested_by(database: Database, ids: list[int]) -> str | None:
    """Who asked first, among the requests a run answers."""
    if not ids:
        return None
    with database.session() as session:
        return session.scalars(select(JobRequest.requested_by).where(JobRequest.id.in_(ids))
                               .order_by(JobRequest.id).limit(1)).first()


def answer(database: Database, ids: list[int], *, ok: bool, result: str, now: datetime | None = None) -> None:
    if not ids:
        return
    with database.session() as session:
        session.execute(
            update(JobRequest).where(JobRequest.id.in_(ids))
            .values(status=RequestStatus.DONE if ok else RequestStatus.FAILED, finished_at=now or _now(),
                    result=result[:500])
        )


def refuse(database: Database, job: str, reason: str, now: datetime | None = None) -> None:
    """Answer every pending request for a job this scheduler cannot run."""
    with database.session() as session:
        session.execute(
            update(JobRequest).where(JobRequest.job == job, JobRequest.status == RequestStatus.PENDING)
            .values(status=RequestStatus.FAILED, finished_at=now or _now(), result=reason[:500])
        )


def abandon_unfinished(database: Database, holder: str, now: datetime | None = None) -> int:
    """Requests left running by a scheduler that stopped mid-job are answered as failed (at start)."""
    with database.session() as session:
        result = session.execute(
            update(JobRequest).where(JobRequest.status == RequestStatus.RUNNING, JobRequest.claimed_by != holder)
            .values(status=RequestStatus.FAILED, finished_at=now or _now(),
                    result="The scheduler stopped before this job finished; ask again.")
        )
        return result.rowcount


def forget_old(database: Database, days: int, now: datetime | None = None) -> int:
    """Delete answered requests and run-log lines older than `days` (the log must not grow forever:
    a job every minute writes half a million lines a year). Returns the rows deleted."""
    before = (now or _now()) - timedelta(days=days)
    with database.session() as session:
        runs = session.execute(delete(JobRun).where(JobRun.finished_at < before)).rowcount
        answered = session.execute(delete(JobRequest).where(JobRequest.status.not_in(RequestStatus.OPEN),
                                                            JobRequest.requested_at < before)).rowcount
        return runs + answered


def last_run(db: Session, job: str) -> Row[tuple[bool, str, datetime]] | None:
    """The newest run of `job` on record: (ok, summary, finished_at), or None before its first."""
    return db.execute(select(JobRun.ok, JobRun.summary, JobRun.finished_at).where(JobRun.job == job)
                      .order_by(JobRun.finished_at.desc(), JobRun.id.desc()).limit(1)).first()
