"""The scheduler's tables: its lease (one scheduler at a time), the web's "run now" requests, and
a log of what ran. Nothing here holds patient data: job summaries are one-line counts.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Boolean, DateTime, Integer, String, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column

from kiosk.db import Base


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime, stored as naive UTC so SQLite and PostgreSQL compare it alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("the kiosk stores aware datetimes only")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


LEASE_NAME = "scheduler"


class SchedulerLease(Base):
    """One row per lock name. Held while `holder` is set and `expires_at` is in the future."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(160))
    host: Mapped[str | None] = mapped_column(String(120))
    pid: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class RequestStatus:
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    OPEN = (PENDING, RUNNING)


class JobRequest(Base):
    """The web app asking the scheduler to run a job now; the scheduler writes the answer back."""

    __tablename__ = "scheduler_job_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job: Mapped[str] = mapped_column(String(60), index=True)
    status: Mapped[str] = mapped_column(String(10), index=True, default=RequestStatus.PENDING)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    requested_by: Mapped[str | None] = mapped_column(String(120))
    station: Mapped[str | None] = mapped_column(String(60))
    claimed_by: Mapped[str | None] = mapped_column(String(160))
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    result: Mapped[str | None] = mapped_column(String(500))


class JobRun(Base):
    """One line per job run, scheduled or requested."""

    __tablename__ = "scheduler_job_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job: Mapped[str] = mapped_column(String(60), index=True)
    trigger: Mapped[str] = mapped_column(String(20))
    scheduler: Mapped[str] = mapped_column(String(160))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ok: Mapped[bool] = mapped_column(Boolean)
    summary: Mapped[str] = mapped_column(String(500))
