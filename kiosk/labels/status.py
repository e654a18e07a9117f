"""The print queue and a job's page as a unit secretary reads them: the station's local times, whose label
it is (name and MRN, read from the FHIR server in one search), the status in plain words (with the printer's own
reason, "Printer paused", where it gave one) and the technical cause kept for IT, whether automatic retries are
running, and who may see or cancel a job.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from PIL import Image

from kiosk import timeutil
from kiosk.auth import Role, StaffMember
from kiosk.fhir.errors import FhirError
from kiosk.fhir.gateway import FhirGateway
from kiosk.fhir.patients import patients_by_reference
from printers import LabelType, PrinterSettings
from printers.verify import PDF_RENDER_DPI, first_format, rasterize_pdf, rasterize_zpl

from .models import JobProblem, JobStatus, PrintJob
from .services import REPRINT_REASONS, person_last_first

#: May see and cancel any station's jobs.
REVIEWERS = (Role.CHARGE_NURSE, Role.ADMINISTRATOR)
#: May cancel any job of their own station (everyone may cancel the jobs they asked for).
QUEUE_KEEPERS = (Role.UNIT_SECRETARY, Role.CHARGE_NURSE, Role.ADMINISTRATOR)


def may_view(job: PrintJob, staff: StaffMember, station: str) -> bool:
    """A job's page shows the label with the patient's identifiers: for its own station, and reviewers."""
    return job.station_id == station or staff.role in REVIEWERS


def may_cancel(job: PrintJob, staff: StaffMember, station: str) -> bool:
    if job.requested_by and job.requested_by == staff.badge:
        return True
    return staff.role in REVIEWERS or (job.station_id == station and staff.role in QUEUE_KEEPERS)


@dataclass(frozen=True)
class PatientLine:
    name: str
    mrn: str


@dataclass(frozen=True)
class PatientNames:
    by_id: dict[str, PatientLine]
    unavailable: bool = False  # the FHIR server could not be asked


def patient_names(gw: FhirGateway, patient_ids: list[str]) -> PatientNames:
    """Name and MRN of each patient, in one search whatever the number of jobs (POSTed: no patient ids in
    a URL)."""
    refs = sorted({f"Patient/{i}" for i in patient_ids if i})
    if not refs:
        return PatientNames({})
    try:
        patients = patients_by_reference(gw, refs)
    except FhirError:
        return PatientNames({}, unavailable=True)
    return PatientNames({p.id: PatientLine(person_last_first(p.name), p.mrn or "") for p in patients.values()})


@dataclass(frozen=True)
class JobView:
    """One print job as the queue and the job page show it."""

    id: int
    label_title: str
    copies: int
    test_label: bool
    reprint: str  # the reason, in words ("" for a first print)
    printer_name: str
    status: JobStatus
    headline: str  # "Printed", "Waiting for printer", ...
    explanation: str  # what happened and what to do, in plain words
    for_it: str  # the technical cause or receipt, for IT ("" when there is none)
    created_at: datetime
    patient_id: str | None
    encounter_id: str | None
    patient: PatientLine | None
    label_type: str
    can_cancel: bool
    preview_kept: bool

    @property
    def waiting(self) -> bool:
        return self.status in (JobStatus.QUEUED, JobStatus.SENDING, JobStatus.SENT)


def _clock(moment: datetime | None) -> str:
    return timeutil.local(moment).strftime("%H:%M") if moment else ""


#: The reason a printer that cannot be reached gives; the queue's own words say more for it.
NO_ANSWER = "The printer does not answer"


def explain(job: PrintJob, printer_name: str, retries_running: bool, can_cancel: bool = False) -> str:
    """What happened to the job and what the person can do, without technical terms; the printer's own reason
    (`printer_reason`: "Printer paused", "Out of labels") where it gave one."""
    status = job.job_status
    problem = JobProblem(job.problem) if job.problem else None
    reason = (job.printer_reason or "").rstrip(".")
    if status is JobStatus.PRINTED:
        return f"Printed on {printer_name} at {_clock(job.printed_at)}: the printer confirmed it."
    if status is JobStatus.SENDING:
        return f"Sending to {printer_name}…"
    if status is JobStatus.SENT:
        waiting = f"Sent to {printer_name}, which has not confirmed it yet" + (f": {reason}." if reason else ".")
        if not retries_running:
            return waiting + " The kiosk is not checking again because automatic retries are stopped: look at the " \
                             "printer, and tell IT."
        return waiting + " The kiosk keeps checking until the printer confirms it."
    if status is JobStatus.CANCELLED:
        return "Cancelled before it was sent: nothing was printed."
    if status is JobStatus.QUEUED:
        if not job.attempts:
            return f"Waiting to be sent to {printer_name}."
        said = f"Not sent yet: {reason}" if reason and reason != NO_ANSWER else ""
        if not retries_running:
            return f"{said or 'The printer does not answer'}, and automatic retries are stopped: tell IT." + (
                " You can cancel the label and print it on another printer." if can_cancel else "")
        if said:
            return f"{said}. Trying again at {_clock(job.next_attempt_at)}."
        return (f"The printer does not answer: check that it is on, has labels and is not paused. Trying again "
                f"at {_clock(job.next_attempt_at)}.")
    if status is JobStatus.UNKNOWN:
        if reason and problem in (JobProblem.INTERRUPTED, JobProblem.UNCONFIRMED):
            return (f"{reason}. The label may or may not have printed: check the printer; if the label is missing, "
                    "print it again and choose the reason.")
        return ("Sending was cut off, so the label may or may not have printed. Check the printer; if the label "
                "is missing, print it again and choose the reason.")
    if problem is JobProblem.NO_PRINTER:
        return "Not printed: this printer is no longer set up at the kiosk. Print it again on another printer."
    if problem is JobProblem.GAVE_UP:
        if reason and reason != NO_ANSWER:
            return f"Not printed: the printer was not ready on any try (last: {reason}). Print it again when it is."
        return "Not printed: the printer did not answer on any try. Print it again when the printer is back."
    return "Not printed: the printer refused the label. Print it again, or choose another printer."


def job_view(job: PrintJob, printers: dict[str, PrinterSettings], patients: PatientNames, staff: StaffMember,
             station: str, retries_running: bool) -> JobView:
    printer = printers.get(job.printer_id)
    printer_name = printer.name if printer else job.printer_id
    for_it = " · ".join(part for part in (job.last_error, job.receipt) if part)
    can_cancel = job.job_status is JobStatus.QUEUED and may_cancel(job, staff, station)
    return JobView(
        id=job.id, label_title=LabelType(job.label_type).title, copies=job.copies, test_label=job.test_label,
        reprint=REPRINT_REASONS.get(job.reprint_reason, job.reprint_reason) if job.reprint_reason else "",
        printer_name=printer_name, status=job.job_status, headline=job.job_status.label,
        explanation=explain(job, printer_name, retries_running, can_cancel), for_it=for_it,
        created_at=job.created_at,
        patient_id=job.patient_id, encounter_id=job.encounter_id,
        patient=patients.by_id.get(job.patient_id) if job.patient_id else None, label_type=job.label_type,
        can_cancel=can_cancel,
        preview_kept=job.payload_removed_at is None and bool(job.payload),
    )


def job_preview_png(job: PrintJob) -> bytes:
    """The first label of a stored job, rendered from its stored bytes, in reading orientation."""
    if job.language == "pdf":
        image = rasterize_pdf(job.payload, job.dpi or PDF_RENDER_DPI)[0]
    else:
        image = rasterize_zpl(first_format(job.payload), job.dpi)[0]
        if job.media_rotated:
            image = image.transpose(Image.Transpose.ROTATE_90)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()
