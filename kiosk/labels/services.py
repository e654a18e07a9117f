"""Building armbands and labels from the FHIR record, rendering and verifying them, and printing them.

The preview the user sees is rendered from the very bytes that are printed: `prepare` renders the
label in the chosen printer's language, decodes every symbol (refusing a label that does not read back
exactly), and returns the bytes with their preview and their SHA-256. `print_label` renders again from
the current record and prints only when the bytes are the ones previewed.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import date, datetime

from kiosk.fhir.gateway import FhirGateway
from kiosk.fhir.patient_context import EncounterContext, encounter_context
from kiosk.fhir.records import PersonName
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
from printers.model import label_date

from .queue import JobRequest, PrintQueue, SendOutcome

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
    alerts: tuple[str, ...]
    unreadable: int


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


def last_first(name: PersonName | None) -> str:
    """'ADEYEMI, Folake', as labels print names."""
    if name is None:
        return ""
    given = " ".join(name.given)
    return f"{name.family.upper()}, {given}" if name.family and given else (name.family.upper() or given)


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


def encounter_details(ctx: EncounterContext) -> EncounterDetails:
    if not ctx.encounter.number:
        raise LabelRefused("This encounter has no encounter number on record, and armbands carry it. Nothing "
                           "was printed; ask registration to complete the record.")
    admitted: date | None = ctx.encounter.start.date() if ctx.encounter.start else None
    attending = last_first(ctx.attending.name) if ctx.attending else ""
    return EncounterDetails(ctx.encounter.number, admitted, attending, ctx.armband_alerts)


def build_label(ctx: EncounterContext, label_type: LabelType, config: PrintersConfig,
                specimen: SpecimenDetails | None = None) -> Label:
    patient = identity(ctx)
    if label_type is LabelType.SPECIMEN:
        if specimen is None or not specimen.accession.strip():
            raise LabelRefused("Enter the accession number, test and container for the specimen label.")
        return SpecimenLabel(patient, specimen.accession.strip(), specimen.test.strip(), specimen.container.strip(),
                             specimen.collected)
    details = encounter_details(ctx)
    if label_type is LabelType.CHART:
        return ChartLabel(patient, details, config.scan)
    return ArmbandLabel(patient, details, infant=label_type is LabelType.INFANT_ARMBAND, scan=config.scan)


def banner(ctx: EncounterContext) -> PatientBanner:
    p, e = ctx.patient, ctx.encounter
    return PatientBanner(
        patient_id=p.id, encounter_id=e.id,
        name=last_first(p.name),
        birth_date=label_date(p.birth_date) if p.birth_date else "not on record",
        sex={"male": "Male", "female": "Female", "other": "Other"}.get(p.gender or "", "Unknown"),
        mrn=p.mrn or "not on record",
        encounter_number=e.number or "not on record",
        admitted=label_date(e.start.date()) if e.start else "",
        attending=last_first(ctx.attending.name) if ctx.attending else "",
        alerts=ctx.armband_alerts,
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


@dataclass(frozen=True)
class PrintResult:
    job_id: int
    outcome: SendOutcome


def print_prepared(queue: PrintQueue, prepared: PreparedLabel, request: JobRequest) -> PrintResult:
    """Queue the exact bytes, then send them at once (a printer that is down leaves the job queued)."""
    job_id = queue.submit(request, prepared.rendered)
    return PrintResult(job_id, queue.send(job_id))


TEST_PATIENT = PatientIdentity("Test", ("Label",), date(2000, 1, 1), "TEST0001", "unknown")


def test_label(printer: PrinterSettings) -> Label:
    """A label with a made-up patient, for checking a printer and its stock."""
    label_type = printer.labels[0]
    details = EncounterDetails("TEST0002", date.today(), "TEST, Attending", ("Test label: not a patient",))
    if label_type is LabelType.SPECIMEN:
        return SpecimenLabel(TEST_PATIENT, "TEST-0003", "Test label", "No specimen")
    if label_type is LabelType.CHART:
        return ChartLabel(TEST_PATIENT, details)
    return ArmbandLabel(TEST_PATIENT, details, infant=label_type is LabelType.INFANT_ARMBAND)


def job_preview_png(payload: bytes, language: str, dpi: int, rotated: bool) -> bytes:
    """The first label of a stored job, rendered from its stored bytes, in reading orientation."""
    import io

    from PIL import Image

    from printers.verify import first_format, rasterize_pdf, rasterize_zpl

    if language == "pdf":
        image = rasterize_pdf(payload)[0]
    else:
        image = rasterize_zpl(first_format(payload), dpi)[0]
        if rotated:
            image = image.transpose(Image.Transpose.ROTATE_90)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()
