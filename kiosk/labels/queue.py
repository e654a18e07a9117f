"""The print queue: submit a job, send it at once, retry with backoff, cancel. Never lost, never twice.

- `submit` stores the exact bytes first (status queued): a job survives a restart from that moment;
- `send` claims the job atomically (one UPDATE ... WHERE status = 'queued' AND due) before any byte
  leaves, so the web request and the scheduler's retry cannot both send it; the outcome is recorded
  against the claim token;
- a job is printed only when its printer says so (printers.transports: a Zebra's ~HS host status, the CUPS
  job's IPP state, a folder's synced file); a printer that has the job but has not finished it leaves it
  "sent, waiting for the printer", and `follow_sent` (the print-retry job) asks again until it is printed, ends
  badly, or retry.confirm_within_s has passed;
- a claim older than retry.stale_claim_s means the sender was cut off mid-send; a send that broke off after
  the printer took the connection may have printed part of the label; a printer that took the label and then
  reported a problem, or never confirmed it, may or may not print it: each way the job becomes "check the
  printer", with the printer's own reason, and is never sent again by itself;
- a print form carries a one-time token stored under a UNIQUE constraint: a second POST of the same
  form (a double tap) finds the first job and never submits another;
- the label bytes (which carry the patient's identifiers) of a finished job are emptied after
  retention.label_bytes_days.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kiosk.db import Database
from printers import (
    PrinterError,
    PrintersConfig,
    PrinterSendInterrupted,
    PrinterSettings,
    PrinterUnreachable,
    PrintOutcomeUnknown,
    RenderedLabel,
)
from printers.transports import Delivery

from .models import FINISHED, JobProblem, JobStatus, PrintJob, utcnow

log = logging.getLogger("kiosk.labels")


@dataclass(frozen=True)
class JobRequest:
    station_id: str
    requested_by: str | None
    patient_id: str | None
    encounter_id: str | None
    label_type: str
    printer_id: str
    reprint_reason: str | None = None
    test_label: bool = False
    print_token: str | None = None


class DuplicatePrint(Exception):
    """A job with this print token exists already: the same print form was sent twice."""

    def __init__(self, job_id: int):
        super().__init__(f"print job {job_id} has this print token")
        self.job_id = job_id


@dataclass(frozen=True)
class SendOutcome:
    job_id: int
    status: JobStatus
    message: str
    claimed: bool = True  # False: the job was not waiting to be sent (another sender has it, or it is over)

    @property
    def printed(self) -> bool:
        """This send printed it (the printer confirmed it)."""
        return self.claimed and self.status is JobStatus.PRINTED


@dataclass(frozen=True)
class RetrySummary:
    due: int = 0
    printed: int = 0
    still_queued: int = 0
    failed: int = 0
    skipped: int = 0
    abandoned_claims: int = 0
    purged: int = 0
    to_check: int = 0  # sent this run, and the printer did not confirm them: a person checks
    waiting: int = 0  # sent (this run or before) and still waiting for the printer to confirm
    followed: int = 0  # sent jobs asked about again
    confirmed: int = 0  # ... of which the printer has now confirmed

    def line(self) -> str:
        return (f"print queue: {self.due} due, {self.printed} printed, {self.still_queued} still queued, "
                f"{self.failed} failed, {self.to_check} to check at the printer, {self.skipped} taken by another "
                f"sender, {self.abandoned_claims} cut off mid-send, {self.followed} sent jobs followed "
                f"({self.confirmed} confirmed, {self.waiting} still waiting for the printer), "
                f"{self.purged} finished labels' bytes removed")


class PrintQueue:
    def __init__(self, database: Database, config: PrintersConfig, clock: Callable[[], datetime] = utcnow):
        self.database = database
        self.config = config
        self.clock = clock

    # ------------------------------------------------------------------ submit and send

    def submit(self, request: JobRequest, rendered: RenderedLabel,
               with_job: Callable[[Session, int], object] | None = None) -> int:
        """Store the job (queued, due now) and return its id. Raises DuplicatePrint when a job with the
        request's print token exists (also when another request stores it at the same moment).
        `with_job(session, job_id)` adds rows of its own in the same transaction (the job's audit
        intent): the job is never stored without them, nor they without it."""
        now = self.clock()
        job = PrintJob(
            created_at=now, updated_at=now, station_id=request.station_id, requested_by=request.requested_by,
            patient_id=request.patient_id, encounter_id=request.encounter_id, label_type=request.label_type,
            copies=rendered.copies, printer_id=request.printer_id, language=rendered.language, dpi=rendered.dpi,
            media_rotated=rendered.media.rotated, payload=rendered.data,
            payload_sha256=hashlib.sha256(rendered.data).hexdigest(), status=JobStatus.QUEUED.value, attempts=0,
            next_attempt_at=now, reprint_reason=request.reprint_reason, test_label=request.test_label,
            print_token=request.print_token,
        )
        try:
            with self.database.session() as session:
                session.add(job)
                session.flush()
                if with_job is not None:
                    with_job(session, job.id)
                return job.id
        except IntegrityError:
            existing = self.job_for_token(request.print_token) if request.print_token else None
            if existing is None:
                raise
            raise DuplicatePrint(existing) from None

    def job_for_token(self, token: str) -> int | None:
        with self.database.session() as session:
            return session.scalar(select(PrintJob.id).where(PrintJob.print_token == token))

    def _claim(self, job_id: int, now: datetime) -> str | None:
        token = uuid.uuid4().hex
        with self.database.session() as session:
            result = session.execute(
                update(PrintJob)
                .where(PrintJob.id == job_id, PrintJob.status == JobStatus.QUEUED.value,
                       PrintJob.next_attempt_at <= now)
                .values(status=JobStatus.SENDING.value, claim_token=token, claimed_at=now,
                        attempts=PrintJob.attempts + 1, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            return token if result.rowcount == 1 else None

    def _finish(self, job_id: int, token: str, **values: object) -> None:
        with self.database.session() as session:
            session.execute(
                update(PrintJob).where(PrintJob.id == job_id, PrintJob.claim_token == token)
                .values(claim_token=None, updated_at=self.clock(), **values)
                .execution_options(synchronize_session=False)
            )

    def send(self, job_id: int) -> SendOutcome:
        """Claim the job and send it; record printed (the printer confirmed it), sent and waiting for the printer,
        queued for a retry (with backoff: nothing reached the printer), check the printer, or failed."""
        now = self.clock()
        token = self._claim(job_id, now)
        if token is None:
            job = self.get(job_id)
            status = job.job_status if job else JobStatus.FAILED
            return SendOutcome(job_id, status, "This job is not waiting to be sent (it is "
                                                f"{status.label.lower()}).", claimed=False)
        with self.database.session() as session:
            job = session.get(PrintJob, job_id)
            assert job is not None
            payload, printer_id, attempts = job.payload, job.printer_id, job.attempts
            language, label_type = job.language, job.label_type
        printer = self.config.printers.get(printer_id)
        if printer is None:
            message = f"Printer {printer_id} is no longer in the printer settings; choose another printer."
            self._finish(job_id, token, status=JobStatus.FAILED.value, last_error=message,
                         problem=JobProblem.NO_PRINTER.value)
            return SendOutcome(job_id, JobStatus.FAILED, message)
        content_type = "application/pdf" if language == "pdf" else "application/vnd.zebra-zpl"
        try:
            delivery = printer.make_transport().send(payload, title=f"{label_type} job {job_id}",
                                                     content_type=content_type)
        except PrinterUnreachable as e:
            if attempts >= self.config.retry.max_attempts:
                message = f"{e.message} Gave up after {attempts} attempts."
                self._finish(job_id, token, status=JobStatus.FAILED.value, last_error=message,
                             problem=JobProblem.GAVE_UP.value, printer_reason=e.reason or None)
                log.warning("print job %s failed after %s attempts", job_id, attempts)
                return SendOutcome(job_id, JobStatus.FAILED, message)
            delay = self.config.retry.delay_after(attempts)
            self._finish(job_id, token, status=JobStatus.QUEUED.value, last_error=e.message,
                         problem=JobProblem.UNREACHABLE.value, printer_reason=e.reason or None,
                         next_attempt_at=self.clock() + timedelta(seconds=delay))
            log.info("print job %s queued: printer %s not ready (attempt %s)", job_id, printer_id, attempts)
            return SendOutcome(job_id, JobStatus.QUEUED, f"{e.message} The label is kept in the print queue and "
                                                         f"will be sent again in {delay:.0f} seconds.")
        except PrintOutcomeUnknown as e:
            # Some or all of the label reached the printer, unconfirmed: a person checks; never resent by itself.
            problem = JobProblem.INTERRUPTED if isinstance(e, PrinterSendInterrupted) else JobProblem.UNCONFIRMED
            self._finish(job_id, token, status=JobStatus.UNKNOWN.value, last_error=e.message, problem=problem.value,
                         printer_reason=e.reason or None)
            log.warning("print job %s not confirmed by printer %s (%s)", job_id, printer_id, problem.value)
            return SendOutcome(job_id, JobStatus.UNKNOWN, f"{e.message} It may or may not have printed: check the "
                                                          "printer, and reprint (with a reason) if it is missing.")
        except PrinterError as e:
            self._finish(job_id, token, status=JobStatus.FAILED.value, last_error=e.message,
                         problem=JobProblem.REFUSED.value, printer_reason=e.reason or None)
            log.warning("print job %s refused by printer %s", job_id, printer_id)
            return SendOutcome(job_id, JobStatus.FAILED, e.message)
        if delivery.printed:
            self._finish(job_id, token, **self._printed(delivery))
            log.info("print job %s printed on %s", job_id, printer_id)
            return SendOutcome(job_id, JobStatus.PRINTED, f"Printed on {printer.name}.")
        self._finish(job_id, token, status=JobStatus.SENT.value, receipt=delivery.receipt[:200], last_error=None,
                     problem=None, printer_reason=delivery.progress or None, printer_job=delivery.ref or None)
        log.info("print job %s sent to %s, waiting for the printer to confirm it", job_id, printer_id)
        return SendOutcome(job_id, JobStatus.SENT, f"Sent to {printer.name}; waiting for the printer to confirm it.")

    def _printed(self, delivery: Delivery) -> dict[str, object]:
        return {"status": JobStatus.PRINTED.value, "printed_at": self.clock(), "receipt": delivery.receipt[:200],
                "last_error": None, "problem": None, "printer_reason": None}

    # ------------------------------------------------------------------ following sent jobs

    def _settle(self, job_id: int, **values: object) -> bool:
        """Record how a sent job stands, unless something else has changed it meanwhile."""
        with self.database.session() as session:
            result = session.execute(
                update(PrintJob).where(PrintJob.id == job_id, PrintJob.status == JobStatus.SENT.value)
                .values(updated_at=self.clock(), **values)
                .execution_options(synchronize_session=False)
            )
            return result.rowcount == 1

    def follow(self, job_id: int) -> JobStatus:
        """Ask the printer again about a job it has and has not confirmed: printed, still sent (waiting), or
        check the printer (it ended badly, or retry.confirm_within_s passed without a confirmation)."""
        with self.database.session() as session:
            job = session.get(PrintJob, job_id)
            if job is None or job.job_status is not JobStatus.SENT:
                return job.job_status if job else JobStatus.FAILED
            printer_id, ref, sent_at = job.printer_id, job.printer_job or "", job.claimed_at or job.updated_at
            last_reason = job.printer_reason or ""
        printer: PrinterSettings | None = self.config.printers.get(printer_id)
        if printer is None:
            self._settle(job_id, status=JobStatus.UNKNOWN.value, problem=JobProblem.UNCONFIRMED.value,
                         last_error=f"Printer {printer_id} was removed from the printer settings before it confirmed "
                                    "the job.", printer_reason="The printer was removed from the kiosk's settings")
            return JobStatus.UNKNOWN
        delivery: Delivery | None = None
        try:
            delivery = printer.make_transport().follow(ref)
            note = delivery.receipt
        except PrinterUnreachable as e:
            note = e.message
        except PrinterError as e:
            self._settle(job_id, status=JobStatus.UNKNOWN.value, problem=JobProblem.UNCONFIRMED.value,
                         last_error=e.message, printer_reason=e.reason or None)
            log.warning("print job %s ended without a confirmation from printer %s", job_id, printer_id)
            return JobStatus.UNKNOWN
        if delivery is not None and delivery.printed:
            self._settle(job_id, **self._printed(delivery))
            log.info("print job %s confirmed by printer %s", job_id, printer_id)
            return JobStatus.PRINTED
        if delivery is not None:
            last_reason = delivery.progress or last_reason
        limit = self.config.retry.confirm_within_s
        if self.clock() >= sent_at + timedelta(seconds=limit):
            waited = f"{limit / 60:g} minutes" if limit >= 60 else f"{limit:g} seconds"
            reason = f"Not confirmed by the printer within {waited}" + (f" (last: {last_reason})" if last_reason
                                                                       else "")
            self._settle(job_id, status=JobStatus.UNKNOWN.value, problem=JobProblem.UNCONFIRMED.value,
                         last_error=note[:500], printer_reason=reason[:200])
            log.warning("print job %s not confirmed by printer %s in time", job_id, printer_id)
            return JobStatus.UNKNOWN
        self._settle(job_id, printer_reason=last_reason[:200] or None, receipt=note[:200])
        return JobStatus.SENT

    def sent_job_ids(self, limit: int = 50) -> list[int]:
        with self.database.session() as session:
            return list(session.scalars(select(PrintJob.id).where(PrintJob.status == JobStatus.SENT.value)
                                        .order_by(PrintJob.id).limit(limit)))

    # ------------------------------------------------------------------ retry, cancel, read

    def abandon_stale_claims(self) -> int:
        """Jobs whose sender was cut off mid-send: they may have printed, so a person decides."""
        cutoff = self.clock() - timedelta(seconds=self.config.retry.stale_claim_s)
        with self.database.session() as session:
            result = session.execute(
                update(PrintJob)
                .where(PrintJob.status == JobStatus.SENDING.value, PrintJob.claimed_at < cutoff)
                .values(status=JobStatus.UNKNOWN.value, claim_token=None, updated_at=self.clock(),
                        problem=JobProblem.CUT_OFF.value,
                        last_error="Sending was cut off; the label may or may not have printed. Check the printer "
                                   "and reprint if it is missing.")
                .execution_options(synchronize_session=False)
            )
            return result.rowcount

    def due_job_ids(self, limit: int = 50) -> list[int]:
        with self.database.session() as session:
            return list(session.scalars(
                select(PrintJob.id)
                .where(PrintJob.status == JobStatus.QUEUED.value, PrintJob.next_attempt_at <= self.clock())
                .order_by(PrintJob.next_attempt_at, PrintJob.id).limit(limit)
            ))

    def purge_label_bytes(self) -> int:
        """Empty the label bytes of jobs that ended more than retention.label_bytes_days ago: the job stays
        (who, when, which printer, the bytes' SHA-256), the patient's identifiers in the label go."""
        cutoff = self.clock() - timedelta(days=self.config.retention.label_bytes_days)
        with self.database.session() as session:
            result = session.execute(
                update(PrintJob)
                .where(PrintJob.payload_removed_at.is_(None), PrintJob.updated_at < cutoff,
                       PrintJob.status.in_([s.value for s in FINISHED]))
                .values(payload=b"", payload_removed_at=self.clock())
                .execution_options(synchronize_session=False)
            )
            return result.rowcount

    def retry_due(self, limit: int = 50) -> RetrySummary:
        abandoned = self.abandon_stale_claims()
        followed = [self.follow(job_id) for job_id in self.sent_job_ids(limit)]
        due = self.due_job_ids(limit)
        outcomes = [self.send(job_id) for job_id in due]
        sent = [o.status for o in outcomes if o.claimed]
        return RetrySummary(
            due=len(due), printed=sent.count(JobStatus.PRINTED), still_queued=sent.count(JobStatus.QUEUED),
            failed=sent.count(JobStatus.FAILED), to_check=sent.count(JobStatus.UNKNOWN),
            skipped=len(outcomes) - len(sent),
            abandoned_claims=abandoned, purged=self.purge_label_bytes(), followed=len(followed),
            confirmed=followed.count(JobStatus.PRINTED),
            waiting=followed.count(JobStatus.SENT) + sent.count(JobStatus.SENT),
        )

    def cancel(self, job_id: int) -> bool:
        """Cancel a job that is still waiting; False when it is already being sent, printed or closed."""
        with self.database.session() as session:
            result = session.execute(
                update(PrintJob).where(PrintJob.id == job_id, PrintJob.status == JobStatus.QUEUED.value)
                .values(status=JobStatus.CANCELLED.value, updated_at=self.clock())
                .execution_options(synchronize_session=False)
            )
            return result.rowcount == 1

    def get(self, job_id: int) -> PrintJob | None:
        with self.database.session() as session:
            return session.get(PrintJob, job_id)

    def recent(self, station_id: str | None = None, limit: int = 30) -> list[PrintJob]:
        query = select(PrintJob).order_by(PrintJob.id.desc()).limit(limit)
        if station_id:
            query = query.where(PrintJob.station_id == station_id)
        with self.database.session() as session:
            return list(session.scalars(query))

    def printed_before(self, patient_id: str, encounter_id: str, label_type: str) -> bool:
        """Has this label been printed (or possibly printed) for this encounter? Then a print is a reprint."""
        with self.database.session() as session:
            found = session.scalar(
                select(PrintJob.id).where(
                    PrintJob.patient_id == patient_id, PrintJob.encounter_id == encounter_id,
                    PrintJob.label_type == label_type, PrintJob.test_label.is_(False),
                    PrintJob.status.in_([JobStatus.PRINTED.value, JobStatus.UNKNOWN.value, JobStatus.SENDING.value,
                                         JobStatus.SENT.value, JobStatus.QUEUED.value]),
                ).limit(1)
            )
            return found is not None
