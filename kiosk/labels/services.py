"""Building armbands and labels from the FHIR record, rendering and verifying them, and printing them.

The preview the user sees is rendered from the very bytes that are printed: `prepare` renders the
label in the chosen printer's language, decodes every symbol (refusing a label that does not read back
exactly), and returns the bytes with their preview and their SHA-256. At print time the page renders
again from the current record; `check_previewed` lets it print only the bytes that were previewed, and
`print_prepared` submits them once per print form (its one-time token).
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from kiosk import audit, timeutil
from kiosk.armband import parse_scan
from kiosk.fhir import codes
from kiosk.fhir.encounters import find_open_encounters
from kiosk.fhir.gateway import FhirGateway
from kiosk.fhir.patient_context import ARMBAND_ALERT_CATEGORIES, EncounterContext, encounter_context
from kiosk.fhir.records import EncounterRecord, PersonName
from printers import (
    ArmbandLabel,
    ChartLabel,
    EncounterDetails,
    Label,
    LabelError,
    LabelType,
    PatientIdentity,
    PrintersConfig,
    PrinterSettings,
    RenderedLabel,
    SpecimenLabel,
    render_label,
    verify,
)
from printers.model import label_date, last_first

from .models import JobStatus
from .queue import DuplicatePrint, JobRequest, PrintQueue, SendOutcome

REPRINT_REASONS = {
    "lost": "Lost",
    "damaged": "Damaged or unreadable",
    "details-changed": "Details changed",
}

class LabelRefused(Exception):
    """The label cannot be printed as asked; `message` says why (no patient data)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class SpecimenDetails:
    accession: str
    test: str
    container: str
    collected: datetime | None = None


@dataclass(frozen=True)
class BannerAlert:
    kind: str  # the bed board's chip kinds: allergy | fall | isolation | other
    text: str


@dataclass(frozen=True)
class PatientBanner:
    """What the page shows about the patient: the two identifiers to confirm, and the rest of the label."""

    patient_id: str
    encounter_id: str
    name: str
    birth_date: str
    sex: str
    mrn: str
    encounter_number: str
    admitted: str
    attending: str
    alerts: tuple[BannerAlert, ...]
    unreadable: int

    @property
    def long_name(self) -> bool:
        """A name that would wrap at the banner's full size (it is set smaller)."""
        return len(self.name) > 34


@dataclass(frozen=True)
class PreparedLabel:
    label_type: LabelType
    printer: PrinterSettings
    rendered: RenderedLabel
    preview_png: bytes
    sha256: str
    decoded: tuple[str, ...]

    @property
    def preview_data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.preview_png).decode("ascii")


def person_last_first(name: PersonName | None) -> str:
    """A person's name as labels print it and as the user confirms it ('ADEYEMI, Folake')."""
    return last_first(name.family, name.given) if name is not None else ""


def admission_date(encounter: EncounterRecord) -> date | None:
    """The day the stay began, on the station's calendar; None unless the patient has arrived (the
    admitted statuses, triaged included). A planned encounter's start is when they are expected, which
    is not printed."""
    if encounter.status not in codes.ADMITTED_ENCOUNTER_STATUSES:
        return None
    starts = [loc.start for loc in encounter.locations if loc.start and loc.status in ("active", "completed")]
    start = encounter.start or (min(starts) if starts else None)
    return timeutil.local_date(start) if start else None


def identity(ctx: EncounterContext) -> PatientIdentity:
    p = ctx.patient
    if p.birth_date_partial:
        raise LabelRefused("This patient's date of birth on record is incomplete (no day), and every label needs "
                           "the full date as the second identifier. Nothing was printed; ask registration to "
                           "complete the record.")
    if p.birth_date is None:
        raise LabelRefused("This patient has no date of birth on record, and every label needs it as the second "
                           "identifier. Nothing was printed; ask registration to complete the record.")
    if not p.mrn:
        raise LabelRefused("This patient has no MRN on record. Nothing was printed; ask registration to complete "
                           "the record.")
    try:
        return PatientIdentity(p.name.family, p.name.given, p.birth_date, p.mrn, p.gender)
    except ValueError:
        raise LabelRefused("This patient has no name on record. Nothing was printed; ask registration to "
                           "complete the record.") from None


def allergy_count(ctx: EncounterContext) -> int:
    return sum(1 for f in ctx.flags if f.category == codes.FLAG_ALLERGY and f.text.strip())


def encounter_details(ctx: EncounterContext, name_alert: str = "") -> EncounterDetails:
    if not ctx.encounter.number:
        raise LabelRefused("This encounter has no encounter number on record, and armbands carry it. Nothing "
                           "was printed; ask registration to complete the record.")
    attending = person_last_first(ctx.attending.name) if ctx.attending else ""
    return EncounterDetails(ctx.encounter.number, admission_date(ctx.encounter), attending, ctx.armband_alerts,
                            allergy_count(ctx), name_alert)


def build_label(ctx: EncounterContext, label_type: LabelType, config: PrintersConfig,
                specimen: SpecimenDetails | None = None, name_alert: str = "") -> Label:
    """The label from the record; `name_alert` (kiosk.labels.names) is printed on armbands and specimen labels."""
    try:
        return _build_label(ctx, label_type, config, specimen, name_alert)
    except LabelError as e:  # an identifier that could read differently on the label (printers.model.identifier)
        raise LabelRefused(e.message) from None


def _build_label(ctx: EncounterContext, label_type: LabelType, config: PrintersConfig,
                 specimen: SpecimenDetails | None, name_alert: str) -> Label:
    patient = identity(ctx)
    if label_type is LabelType.SPECIMEN:
        if specimen is None or not specimen.accession.strip():
            raise LabelRefused("Enter the accession number, test and container for the specimen label.")
        return SpecimenLabel(patient, specimen.accession.strip(), specimen.test.strip(), specimen.container.strip(),
                             specimen.collected, name_alert)
    details = encounter_details(ctx, "" if label_type is LabelType.CHART else name_alert)
    if label_type is LabelType.CHART:
        return ChartLabel(patient, details, config.scan)
    return ArmbandLabel(patient, details, infant=label_type is LabelType.INFANT_ARMBAND, scan=config.scan)


def _birth_date_text(ctx: EncounterContext) -> str:
    p = ctx.patient
    if p.birth_date is not None:
        return label_date(p.birth_date)
    if p.birth_date_partial:
        return f"{p.birth_date_text} (incomplete)"
    return "not on record"


def banner(ctx: EncounterContext) -> PatientBanner:
    p, e = ctx.patient, ctx.encounter
    admitted = admission_date(e)
    order = {text: i for i, text in enumerate(ctx.armband_alerts)}
    printed = [f for f in ctx.flags if f.category in ARMBAND_ALERT_CATEGORIES and f.text.strip() in order]
    alerts = tuple(BannerAlert(codes.flag_kind(f.category), f.text.strip())
                   for f in sorted(printed, key=lambda f: order[f.text.strip()]))
    return PatientBanner(
        patient_id=p.id, encounter_id=e.id,
        name=person_last_first(p.name),
        birth_date=_birth_date_text(ctx),
        sex={"male": "Male", "female": "Female", "other": "Other"}.get(p.gender or "", "Unknown"),
        mrn=p.mrn or "not on record",
        encounter_number=e.number or "not on record",
        admitted=label_date(admitted) if admitted else "",
        attending=person_last_first(ctx.attending.name) if ctx.attending else "",
        alerts=alerts,
        unreadable=len(ctx.unreadable),
    )


def prepare(label: Label, printer: PrinterSettings, config: PrintersConfig, copies: int) -> PreparedLabel:
    """Render for the printer and prove every symbol reads back; LabelRefused says why it cannot print."""
    label_type = label.label_type
    if label_type not in printer.labels:
        raise LabelRefused(f"{printer.name} is not loaded with {label_type.title.lower()} stock; choose another "
                           "printer.")
    try:
        rendered = render_label(label, config.media[label_type], printer.language, printer.dpi, copies)
        verified = verify(rendered)
    except LabelError as e:
        raise LabelRefused(e.message) from None
    return PreparedLabel(label_type, printer, rendered, verified.preview_png,
                         hashlib.sha256(rendered.data).hexdigest(), tuple(d.text for d in verified.decoded))


def load_context(gw: FhirGateway, patient_id: str, encounter_id: str) -> EncounterContext:
    return encounter_context(gw, encounter_id, patient_id)


# ---------------------------------------------------------------- printing


#: A print form's one-time token: 32 hex digits (uuid4().hex).
PRINT_TOKEN = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class PrintResult:
    job_id: int
    outcome: SendOutcome | None  # None: the form was sent before, and this is its job
    repeated: bool = False


@dataclass(frozen=True)
class PrintAudit:
    """How a print goes in the audit trail: "print" or "reprint", whose label, and a detail (no patient
    data)."""

    action: str
    patient: str | None
    detail: str


#: A job's state after its first send, as the outcome of its audit intent: the act audited is putting
#: the label in the queue; a job waiting for its printer is retried by the scheduler and its own row
#: says when it printed. Sent with the printer's answer lost ("check the printer") is "unknown".
AUDIT_OUTCOMES = {JobStatus.FAILED: "failure", JobStatus.UNKNOWN: "unknown"}


def print_prepared(queue: PrintQueue, prepared: PreparedLabel, request: JobRequest,
                   audit_as: PrintAudit) -> PrintResult:
    """Queue the exact bytes, then send them at once (a printer that is down leaves the job queued). A
    second request with the same print token gets the first one's job and sends nothing.

    The job and its audit intent are committed in one transaction, so a kiosk that dies at any moment
    leaves no print unaudited; the intent's outcome follows the first send."""
    intents: list[int] = []

    def with_intent(session: Session, job_id: int) -> None:
        intents.append(audit.intent_in(session, audit_as.action, patient=audit_as.patient,
                                       entity=f"PrintJob/{job_id}", detail=audit_as.detail))

    try:
        job_id = queue.submit(request, prepared.rendered, with_intent)
    except DuplicatePrint as repeated:
        return PrintResult(repeated.job_id, None, repeated=True)
    sent = queue.send(job_id)
    audit.outcome(intents[0], AUDIT_OUTCOMES.get(sent.status, "success"), detail=sent.status.label.lower())
    return PrintResult(job_id, sent)


@dataclass(frozen=True)
class PrintCheck:
    """Whether the posted form may print: `notice` says why not (shown above the new preview)."""

    ok: bool
    notice: str | None = None


def check_previewed(prepared: PreparedLabel | None, previewed: str | None, token: str | None) -> PrintCheck:
    """Print only the bytes the user saw: the form's SHA-256 must be the new rendering's, and a form
    without one (or without its print token) never prints unverified."""
    if prepared is None:
        return PrintCheck(False)
    if not token or not PRINT_TOKEN.match(token):
        return PrintCheck(False, "This print form is out of date. Check the preview below and print again.")
    if not previewed or previewed != prepared.sha256:
        return PrintCheck(False, "The record or the label changed since the preview you saw (or the preview did "
                                 "not reach this screen). Check the new preview and print again.")
    return PrintCheck(True)


# ---------------------------------------------------------------- starting from a scan


@dataclass(frozen=True)
class ScanChoice:
    """An open encounter found for a scanned or typed number."""

    patient_id: str
    encounter_id: str
    name: str
    mrn: str
    encounter_number: str
    status: str
    where: str


def scanned_number(scanned: str) -> str:
    """The number to look up: the text itself, or the encounter number of the armband's 2D symbol
    (read by the bed board's scan parser, the one place that knows the kiosk's armband payload)."""
    code = parse_scan(scanned)
    return code.encounter if code and code.encounter else scanned.strip()


def find_patient(gw: FhirGateway, scanned: str) -> list[ScanChoice]:
    """Open encounters whose number or whose patient's MRN is `scanned` (two searches, sent by POST)."""
    words = {"planned": "expected", "arrived": "arrived", "triaged": "triaged", "in-progress": "admitted",
             "onleave": "on leave"}
    choices = []
    for match in find_open_encounters(gw, scanned_number(scanned)):
        if match.patient is None:
            continue
        choices.append(ScanChoice(match.patient.id, match.encounter.id, person_last_first(match.patient.name),
                                  match.patient.mrn or "", match.encounter.number or "",
                                  words.get(match.encounter.status, match.encounter.status), match.where()))
    return choices


# ---------------------------------------------------------------- test labels


TEST_PATIENT = PatientIdentity("Test", ("Label",), date(2000, 1, 1), "TEST0001", "unknown")


def test_label(printer: PrinterSettings) -> Label:
    """A label with a made-up patient, for checking a printer and its stock."""
    label_type = printer.labels[0]
    details = EncounterDetails("TEST0002", timeutil.today(), "TEST, Attending", ("Test label: not a patient",))
    if label_type is LabelType.SPECIMEN:
        return SpecimenLabel(TEST_PATIENT, "TEST-0003", "Test label", "No specimen")
    if label_type is LabelType.CHART:
        return ChartLabel(TEST_PATIENT, details)
    return ArmbandLabel(TEST_PATIENT, details, infant=label_type is LabelType.INFANT_ARMBAND)
