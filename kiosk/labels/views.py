"""Armbands and labels: the patient's print page (from the bed board), the print queue, a job's page,
and the printers page with a test label."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from kiosk import audit
from kiosk.auth import Role, current_staff, roles_required
from kiosk.extensions import database, gateway, settings
from kiosk.fhir.errors import FhirNotFound
from printers import LabelType, PrintersConfig

from .forms import CONTAINERS, MAX_COPIES, PrintForm, printer_choices
from .models import JobStatus
from .printing import printers_config
from .queue import JobRequest, PrintQueue
from .services import (
    REPRINT_REASONS,
    LabelRefused,
    PreparedLabel,
    SpecimenDetails,
    banner,
    build_label,
    job_preview_png,
    load_context,
    prepare,
    print_prepared,
    test_label,
)

bp = Blueprint("labels", __name__, url_prefix="/labels")

FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


def _config() -> PrintersConfig:
    return printers_config(settings())


def _queue() -> PrintQueue:
    return PrintQueue(database(), _config())


def _check_ids(*ids: str) -> None:
    if not all(FHIR_ID.match(i) for i in ids):
        abort(404)


@dataclass
class PrintPage:
    """Everything the print page shows."""

    banner: object
    label_type: LabelType
    label_types: list[LabelType]
    form: PrintForm
    prepared: PreparedLabel | None
    refusal: str | None
    is_reprint: bool
    notice: str | None = None


def _form_for(config: PrintersConfig, label_type: LabelType, data: object | None = None) -> PrintForm:
    form = PrintForm(formdata=data) if data is not None else PrintForm()
    form.printer_id.choices = printer_choices(config, label_type)
    if data is None:
        form.label_type.data = label_type.value
        default = config.default_printer(settings().station.id, label_type)
        form.printer_id.data = default.id if default else None
        form.copies.data = 1
    return form


def _prepare_from_form(form: PrintForm, ctx, config: PrintersConfig, label_type: LabelType):  # type: ignore[no-untyped-def]
    """Build and verify the label the form describes; (prepared, refusal)."""
    printer = config.printers.get(form.printer_id.data or "")
    if printer is None:
        return None, "Choose a printer loaded with this label stock."
    specimen = None
    if label_type is LabelType.SPECIMEN:
        if not all((f.data or "").strip() for f in (form.accession, form.test, form.container)):
            return None, None
        specimen = SpecimenDetails(form.accession.data or "", form.test.data or "", form.container.data or "")
    copies = form.copies.data if isinstance(form.copies.data, int) and 1 <= form.copies.data <= 50 else 1
    try:
        return prepare(build_label(ctx, label_type, config, specimen), printer, config, copies), None
    except LabelRefused as e:
        return None, e.message


def _page(patient_id: str, encounter_id: str, label_type: LabelType, form: PrintForm | None,
          notice: str | None = None) -> PrintPage:
    config = _config()
    ctx = load_context(gateway(), patient_id, encounter_id)
    form = form or _form_for(config, label_type)
    prepared, refusal = _prepare_from_form(form, ctx, config, label_type)
    if prepared is not None:
        form.preview_sha256.data = prepared.sha256
    return PrintPage(banner(ctx), label_type, list(LabelType), form, prepared, refusal,
                     _queue().printed_before(patient_id, encounter_id, label_type.value), notice)


@bp.get("/patients/<patient_id>/encounters/<encounter_id>")
def patient(patient_id: str, encounter_id: str) -> str:
    """The start of printing: choose the label, see it as it will print, confirm, print."""
    _check_ids(patient_id, encounter_id)
    try:
        label_type = LabelType(request.args.get("type", LabelType.ADULT_ARMBAND.value))
    except ValueError:
        abort(404)
    try:
        page = _page(patient_id, encounter_id, label_type, None)
    except FhirNotFound:
        abort(404, "This patient or encounter is not on the FHIR server.")
    audit.record("view-patient", patient=f"Patient/{patient_id}", entity=f"Encounter/{encounter_id}",
                 detail=f"labels: {label_type.value}")
    return render_template("labels/page.html", page=page, containers=CONTAINERS, max_copies=MAX_COPIES,
                           reasons=REPRINT_REASONS)


@bp.post("/patients/<patient_id>/encounters/<encounter_id>/preview")
def preview(patient_id: str, encounter_id: str) -> str:
    """The preview again after a change of printer, copies or specimen details (htmx), with the new
    bytes' SHA-256 swapped into the form."""
    _check_ids(patient_id, encounter_id)
    config = _config()
    form = PrintForm()
    label_type = form.chosen_type() or abort(400)
    form.printer_id.choices = printer_choices(config, label_type)
    page = _page(patient_id, encounter_id, label_type, form)
    return render_template("labels/_preview_update.html", page=page)


@bp.post("/patients/<patient_id>/encounters/<encounter_id>/print")
def print_label(patient_id: str, encounter_id: str) -> str | WerkzeugResponse | tuple[str, int]:
    _check_ids(patient_id, encounter_id)
    config = _config()
    form = PrintForm()
    label_type = form.chosen_type() or abort(400)
    form.printer_id.choices = printer_choices(config, label_type)
    valid = form.validate()
    valid = form.check_copies(label_type) and valid
    if label_type is LabelType.SPECIMEN:
        valid = form.check_specimen() and valid
    if not form.identifiers_confirmed.data:
        form.identifiers_confirmed.errors = ["Check the name and date of birth with the patient (or their "
                                             "armband) first."]
        valid = False
    page = _page(patient_id, encounter_id, label_type, form)
    if page.is_reprint and form.reprint_reason.data not in REPRINT_REASONS:
        form.reprint_reason.errors = ["This label was printed before: choose the reason for the reprint."]
        valid = False
    previewed = request.form.get("preview_sha256", "")
    if page.prepared is not None and previewed and previewed != page.prepared.sha256:
        page.notice = ("The record or the label changed since the preview you saw. Check the new preview and "
                       "print again.")
        valid = False
    if page.refusal:
        audit.record("refused", patient=f"Patient/{patient_id}", entity=f"Encounter/{encounter_id}",
                     detail=f"{label_type.value} not printed: label refused", outcome="failure")
    if not valid or page.prepared is None:
        return render_template("labels/page.html", page=page, containers=CONTAINERS, max_copies=MAX_COPIES,
                               reasons=REPRINT_REASONS), 422
    reason = form.reprint_reason.data if page.is_reprint else None
    job = JobRequest(
        station_id=settings().station.id, requested_by=current_staff().badge, patient_id=patient_id,
        encounter_id=encounter_id, label_type=label_type.value, printer_id=page.prepared.printer.id,
        reprint_reason=reason,
    )
    result = print_prepared(_queue(), page.prepared, job)
    detail = f"{label_type.value} x{page.prepared.rendered.copies} to {page.prepared.printer.id}"
    audit.record("reprint" if reason else "print", patient=f"Patient/{patient_id}", entity=f"PrintJob/{result.job_id}",
                 detail=f"{detail} (reason: {reason})" if reason else detail)
    return redirect(url_for("labels.job", job_id=result.job_id))


@bp.get("/queue")
def queue() -> str:
    jobs = _queue().recent(settings().station.id)
    template = "labels/_queue_table.html" if request.headers.get("HX-Request") else "labels/queue.html"
    return render_template(template, jobs=jobs, printers=_config().printers, JobStatus=JobStatus,
                           LabelType=LabelType)


@bp.get("/jobs/<int:job_id>")
def job(job_id: int) -> str:
    found = _queue().get(job_id)
    if found is None:
        abort(404, "There is no such print job.")
    template = "labels/_job_status.html" if request.headers.get("HX-Request") else "labels/job.html"
    return render_template(template, job=found, printer=_config().printers.get(found.printer_id),
                           JobStatus=JobStatus, LabelType=LabelType, reasons=REPRINT_REASONS)


@bp.get("/jobs/<int:job_id>/preview.png")
def job_preview(job_id: int) -> Response:
    found = _queue().get(job_id)
    if found is None:
        abort(404)
    png = job_preview_png(found.payload, found.language, found.dpi, found.media_rotated)
    return Response(png, mimetype="image/png", headers={"Cache-Control": "no-store"})


@bp.post("/jobs/<int:job_id>/cancel")
def cancel(job_id: int) -> WerkzeugResponse:
    _queue().cancel(job_id)
    return redirect(request.form.get("next") or url_for("labels.job", job_id=job_id))


@bp.get("/printers")
@roles_required(Role.ADMINISTRATOR, what="open the printers page")
def printers() -> str:
    config = _config()
    station = settings().station.id
    return render_template("labels/printers.html", config=config, station=station, LabelType=LabelType,
                           defaults=config.stations.get(station, {}))


@bp.post("/printers/<printer_id>/test")
@roles_required(Role.ADMINISTRATOR, what="send test labels")
def test_print(printer_id: str) -> WerkzeugResponse:
    config = _config()
    printer = config.printers.get(printer_id) or abort(404)
    try:
        prepared = prepare(test_label(printer), printer, config, 1)
    except LabelRefused as e:
        abort(422, e.message)
    job = JobRequest(station_id=settings().station.id, requested_by=current_staff().badge, patient_id=None,
                     encounter_id=None, label_type=prepared.label_type.value, printer_id=printer.id, test_label=True)
    result = print_prepared(_queue(), prepared, job)
    audit.record("print", entity=f"PrintJob/{result.job_id}", detail=f"test label to {printer.id}")
    return redirect(url_for("labels.job", job_id=result.job_id))
