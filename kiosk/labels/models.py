"""The print queue: every armband and label the kiosk prints, with the exact bytes sent.

A job is claimed atomically (status queued -> sending, with a claim token) before its bytes go to the
printer, so that the web request and the scheduler's retry can never both send it. A job the printer has but
has not confirmed yet is "sent" until the print-retry job hears how it ended.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Boolean, DateTime, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kiosk.db import Base


def utcnow() -> datetime:
    """Naive UTC, as SQLite stores it (every time in this table is UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)


def naive_clock(clock: Callable[[], datetime]) -> Callable[[], datetime]:
    """An aware clock (the app's, or a scheduled job's) read the way this table stores times."""
    return lambda: clock().astimezone(UTC).replace(tzinfo=None)


class JobStatus(StrEnum):
    QUEUED = "queued"  # waiting to be sent (now, or at next_attempt_at)
    SENDING = "sending"  # claimed by one process, bytes on their way
    SENT = "sent"  # the printer (or print server) has the job and has not confirmed it yet: followed by the scheduler
    PRINTED = "printed"  # the printer (or print server) confirmed it: see docs/decisions.md for what that means
    CANCELLED = "cancelled"
    FAILED = "failed"  # refused by the printer, or gave up after the last retry
    UNKNOWN = "unknown"  # may or may not have printed (cut off, or not confirmed): never sent again by itself

    @property
    def label(self) -> str:
        return {
            JobStatus.QUEUED: "Waiting for printer",
            JobStatus.SENDING: "Sending",
            JobStatus.SENT: "Sent, waiting for the printer",
            JobStatus.PRINTED: "Printed",
            JobStatus.CANCELLED: "Cancelled",
            JobStatus.FAILED: "Not printed",
            JobStatus.UNKNOWN: "Check the printer",
        }[self]


class JobProblem(StrEnum):
    UNREACHABLE = "unreachable"  # nothing reached the printer (it is retried)
    GAVE_UP = "gave-up"  # unreachable on every retry
    REFUSED = "refused"  # the printer or print server refused the job
    NO_PRINTER = "no-printer"  # the printer was removed from the settings
    INTERRUPTED = "interrupted"  # the send broke off part-way: may have printed
    CUT_OFF = "cut-off"  # the sender stopped mid-send (the kiosk was restarted): may have printed
    UNCONFIRMED = "unconfirmed"  # the printer took the job, then reported a problem or never confirmed it


#: Jobs that are over: their label bytes may be removed after the retention period.
FINISHED = (JobStatus.PRINTED, JobStatus.CANCELLED, JobStatus.FAILED, JobStatus.UNKNOWN)


class PrintJob(Base):
    __tablename__ = "labels_print_jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    station_id: Mapped[str] = mapped_column(String(64))
    requested_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    patient_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    encounter_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    label_type: Mapped[str] = mapped_column(String(32))
    copies: Mapped[int] = mapped_column(Integer, default=1)
    printer_id: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    dpi: Mapped[int] = mapped_column(Integer, default=0)
    media_rotated: Mapped[bool] = mapped_column(Boolean, default=False)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    payload_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    claim_token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    printed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    receipt: Mapped[str | None] = mapped_column(String(200), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    reprint_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    test_label: Mapped[bool] = mapped_column(Boolean, default=False)
    #: One per print form: a second POST of the same form (a double tap) finds this job instead of printing.
    print_token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: What went wrong, for the plain-language status (JobProblem); `last_error` has the details for IT.
    problem: Mapped[str | None] = mapped_column(String(16), nullable=True)
    #: When `payload` (the label, with the patient's name, birth date and MRN) was emptied after the job ended.
    payload_removed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    #: The printer's own word on the job, in plain words ("Printer paused"), when it said one.
    printer_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: How the print server knows the job (a CUPS job id), to follow a sent job to its end.
    printer_job: Mapped[str | None] = mapped_column(String(64), nullable=True)

    __table_args__ = (
        Index("ix_labels_print_jobs_due", "status", "next_attempt_at"),
        Index("ix_labels_print_jobs_patient", "patient_id", "encounter_id", "label_type"),
        Index("ux_labels_print_jobs_token", "print_token", unique=True),
        Index("ix_labels_print_jobs_retention", "payload_removed_at", "updated_at"),
    )

    @property
    def job_status(self) -> JobStatus:
        return JobStatus(self.status)
