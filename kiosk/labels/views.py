"""Armbands and labels: the Labels page (find a patient by armband or MRN, the print queue), the
patient's print page, a job's page, and the printers page with a test label."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from kiosk import audit
from kiosk.auth import Role, current_staff, roles_required
from kiosk.extensions import database, gateway, now, settings
from kiosk.fhir.errors import FhirNotFound
from kiosk.fhir.records import FHIR_ID
from kiosk.polling import polled
from kiosk.scheduler.lease import current_holder
from kiosk.web import is_htmx, page_or_fragment
from printers import LabelType, PrintersConfig

from .forms import CONTAINERS, MAX_COPIES, FindPatientForm, PrintForm, printer_choices
from .models import PrintJob, naive_clock
from .names import name_alert
from .printing import printers_config
from .queue import JobRequest, PrintQueue
from .services import (
    PRINT_TOKEN,
    REPRINT_REASONS,
    LabelRefused,
    PatientBanner,
    PreparedLabel,
    PrintAudit,
    ScanChoice,
    SpecimenDetails,
    banner,
    build_label,
    check_previewed,
    find_patient,
    load_context,
    prepare,
    print_prepared,
    test_label,
)
from .status import JobView, PatientNames, job_preview_png, job_view, may_cancel, may_view, patient_names

bp = Blueprint("labels", __name__, url_prefix="/labels")

def _config() -> PrintersConfig:
    return printers_config(settings())


def _queue() -> PrintQueue:
    return PrintQueue(database(), _config(), clock=naive_clock(now))


def _station() -> str:
    return settings().station.id


def _check_ids(*ids: str) -> None:
    if not all(FHIR_ID.match(i) for i in ids):
        abort(404)


def _new_token() -> str:
    return uuid.uuid4().hex


@dataclass
class PrintPage:
    """Everything the print page shows."""

    banner: PatientBanner
    label_type: LabelType
    label_types: list[LabelType]
    form: PrintForm
    prepared: PreparedLabel | None
    refusal: str | None
    is_reprint: bool
    notice: str | None = None
    wide: bool = False  # a wristband: the preview takes the page's width, the fields go below it


def _form_for(config: PrintersConfig, label_type: LabelType, data: object | None = None) -> PrintForm:
    form = PrintForm(formdata=data) if data is not None else PrintForm()
    form.printer_id.choices = printer_choices(config, label_type)
    if data is None:
        form.label_type.data = label_type.value
        default = config.default_printer(_station(), label_type)
        form.printer_id.data = default.id if default else None
        form.copies.data = 1
        form.print_token.data = _new_token()
    return form


def _prepare_from_form(form: PrintForm, ctx, config: PrintersConfig, label_type: LabelType,  # type: ignore[no-untyped-def]
                       name_alert: str = ""):
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
        return prepare(build_label(ctx, label_type, config, specimen, name_alert), printer, config, copies), None
    except LabelRefused as e:
        return None, e.message


def _page(patient_id: str, encounter_id: str, label_type: LabelType, form: PrintForm | None,
          notice: str | None = None) -> PrintPage:
    config = _config()
    ctx = load_context(gateway(), patient_id, encounter_id)
    form = form or _form_for(config, label_type)
    alert = name_alert(gateway(), ctx.patient, label_type, config)
    prepared, refusal = _prepare_from_form(form, ctx, config, label_type, alert.text)
    notice = notice or alert.notice
    form.preview_sha256.data = prepared.sha256 if prepared is not None else ""
    media = config.media[label_type]
    return PrintPage(banner(ctx), label_type, list(LabelType), form, prepared, refusal,
                     _queue().printed_before(patient_id, encounter_id, label_type.value), notice,
                     wide=media.width_mm > 3 * media.height_mm)


def _render_page(page: PrintPage, status: int = 200) -> tuple[str, int]:
    return render_template("labels/page.html", page=page, containers=CONTAINERS, max_copies=MAX_COPIES,
                           reasons=REPRINT_REASONS), status


@bp.get("/patients/<patient_id>/encounters/<encounter_id>")
def patient(patient_id: str, encounter_id: str) -> tuple[str, int]:
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
    return _render_page(page)


@bp.post("/patients/<patient_id>/encounters/<encounter_id>/specimen")
def specimen(patient_id: str, encounter_id: str) -> tuple[str, int]:
    """The specimen label filled in by another workflow (a lab order's accession number, test and container,
    and the print form's one-time token, all in the body): shown as it will print, to confirm and print."""
    _check_ids(patient_id, encounter_id)
    config = _config()
    form = PrintForm()
    form.label_type.data = LabelType.SPECIMEN.value
    form.printer_id.choices = printer_choices(config, LabelType.SPECIMEN)
    if not form.printer_id.data:
        default = config.default_printer(_station(), LabelType.SPECIMEN)
        form.printer_id.data = default.id if default else None
    if not isinstance(form.copies.data, int):
        form.copies.data = 1
    if not PRINT_TOKEN.match(form.print_token.data or ""):
        form.print_token.data = _new_token()
    try:
        page = _page(patient_id, encounter_id, LabelType.SPECIMEN, form)
    except FhirNotFound:
        abort(404, "This patient or encounter is not on the FHIR server.")
    audit.record("view-patient", patient=f"Patient/{patient_id}", entity=f"Encounter/{encounter_id}",
                 detail="labels: specimen (from an order)")
    return _render_page(page)


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


def _form_is_complete(form: PrintForm, label_type: LabelType) -> bool:
    valid = form.validate()
    valid = form.check_copies(label_type) and valid
    if label_type is LabelType.SPECIMEN:
        valid = form.check_specimen() and valid
    if not form.identifiers_confirmed.data:
        form.identifiers_confirmed.errors = ["Check the name and date of birth with the patient (or their "
                                             "armband) first."]
        valid = False
    return valid


@bp.post("/patients/<patient_id>/encounters/<encounter_id>/print")
def print_label(patient_id: str, encounter_id: str) -> WerkzeugResponse | tuple[str, int]:
    """Print the previewed label, once per print form: the same form sent again (a double tap, a
    resubmitted page) leads to the job it made, and nothing prints that the user did not see."""
    _check_ids(patient_id, encounter_id)
    config, queue = _config(), _queue()
    form = PrintForm()
    label_type = form.chosen_type() or abort(400)
    form.printer_id.choices = printer_choices(config, label_type)
    token = form.print_token.data or ""
    earlier = queue.job_for_token(token) if PRINT_TOKEN.match(token) else None
    if earlier is not None:
        return redirect(url_for("labels.job", job_id=earlier))
    previewed = request.form.get("preview_sha256", "")
    valid = _form_is_complete(form, label_type)
    page = _page(patient_id, encounter_id, label_type, form)
    if page.is_reprint and form.reprint_reason.data not in REPRINT_REASONS:
        form.reprint_reason.errors = ["This label was printed before: choose the reason for the reprint."]
        valid = False
    check = check_previewed(page.prepared, previewed, token)
    if check.notice:
        page.notice = check.notice
    if page.refusal:
        audit.record("refused", patient=f"Patient/{patient_id}", entity=f"Encounter/{encounter_id}",
                     detail=f"{label_type.value} not printed: label refused", outcome="failure")
    if not (valid and check.ok) or page.prepared is None:
        earlier = queue.job_for_token(token) if PRINT_TOKEN.match(token) else None
        if earlier is not None:  # the other tap of a double tap printed meanwhile
            return redirect(url_for("labels.job", job_id=earlier))
        if not PRINT_TOKEN.match(token):
            form.print_token.data = _new_token()
        return _render_page(page, 422)
    reason = form.reprint_reason.data if page.is_reprint else None
    job = JobRequest(
        station_id=_station(), requested_by=current_staff().badge, patient_id=patient_id,
        encounter_id=encounter_id, label_type=label_type.value, printer_id=page.prepared.printer.id,
        reprint_reason=reason, print_token=token,
    )
    detail = f"{label_type.value} x{page.prepared.rendered.copies} to {page.prepared.printer.id}"
    result = print_prepared(queue, page.prepared, job, PrintAudit(
        "reprint" if reason else "print", f"Patient/{patient_id}",
        f"{detail} (reason: {reason})" if reason else detail))
    return redirect(url_for("labels.job", job_id=result.job_id))


# ---------------------------------------------------------------- the Labels page: find a patient, the queue


def _retries_running() -> bool:
    return current_holder(database()) is not None


def _job_views(jobs: list[PrintJob]) -> tuple[list[JobView], bool]:
    names = patient_names(gateway(), [j.patient_id for j in jobs if j.patient_id])
    staff, station, running = current_staff(), _station(), _retries_running()
    printers = _config().printers
    return [job_view(j, printers, names, staff, station, running) for j in jobs], names.unavailable


def _queue_page(find: FindPatientForm, choices: list[ScanChoice] | None = None,
                not_found: str | None = None) -> str:
    jobs = _queue().recent(_station())
    views, names_unavailable = _job_views(jobs)
    return page_or_fragment("labels/queue.html", "labels/_queue_table.html", jobs=views, find=find,
                            choices=choices, not_found=not_found, names_unavailable=names_unavailable,
                            retries_running=_retries_running(), waiting=any(v.waiting for v in views))


@bp.get("/queue")
@polled("the print queue")
def queue() -> str:
    return _queue_page(FindPatientForm())


@bp.post("/find")
def find() -> WerkzeugResponse | tuple[str, int]:
    """A scanned armband or a typed MRN or encounter number (in the POST body, never in a URL) -> the
    patient's labels page, or a choice when the number has several open encounters."""
    form = FindPatientForm()
    if not form.validate():
        return _queue_page(form), 422
    choices = find_patient(gateway(), form.code.data or "")
    if len(choices) == 1:
        only = choices[0]
        return redirect(url_for("labels.patient", patient_id=only.patient_id, encounter_id=only.encounter_id),
                        code=303)
    if not choices:
        return _queue_page(form, not_found="No patient with an open encounter has that MRN or encounter "
                                           "number. Check the number, or find the patient on the bed board."), 200
    for choice in choices:
        audit.record("view-patient", patient=f"Patient/{choice.patient_id}",
                     entity=f"Encounter/{choice.encounter_id}", detail="labels: scan found several encounters")
    return _queue_page(form, choices=choices), 200


# ---------------------------------------------------------------- a job


def _job_for_viewer(job_id: int) -> PrintJob | tuple[str, int]:
    found = _queue().get(job_id)
    if found is None:
        abort(404, "There is no such print job.")
    if not may_view(found, current_staff(), _station()):
        audit.record("refused", entity=f"PrintJob/{job_id}", detail="job of another station", outcome="failure")
        return render_template("auth/refused.html", staff=current_staff(),
                               message="This print job was sent from another station; only a charge nurse or an "
                                       "administrator may open it here."), 403
    return found


@bp.get("/jobs/<int:job_id>")
@polled("the job's status")
def job(job_id: int) -> str | tuple[str, int]:
    found = _job_for_viewer(job_id)
    if not isinstance(found, PrintJob):
        return found
    if is_htmx():  # the status polling while the job waits: no patient data in it
        view = job_view(found, _config().printers, PatientNames({}), current_staff(), _station(),
                        _retries_running())
        return render_template("labels/_job_status.html", job=view)
    views, names_unavailable = _job_views([found])
    if found.patient_id:
        audit.record("view-patient", patient=f"Patient/{found.patient_id}", entity=f"PrintJob/{job_id}",
                     detail="print job")
    return render_template("labels/job.html", job=views[0], names_unavailable=names_unavailable,
                           retention_days=_config().retention.label_bytes_days)


@bp.get("/jobs/<int:job_id>/preview.png")
def job_preview(job_id: int) -> Response | tuple[str, int]:
    found = _job_for_viewer(job_id)
    if not isinstance(found, PrintJob):
        return found
    if found.payload_removed_at is not None or not found.payload:
        abort(410, "The label of this job was removed after its retention period.")
    if found.patient_id:
        audit.record("view-patient", patient=f"Patient/{found.patient_id}", entity=f"PrintJob/{job_id}",
                     detail="print job preview")
    return Response(job_preview_png(found), mimetype="image/png", headers={"Cache-Control": "no-store"})


@bp.post("/jobs/<int:job_id>/cancel")
def cancel(job_id: int) -> WerkzeugResponse | tuple[str, int]:
    queue = _queue()
    found = queue.get(job_id)
    if found is None:
        abort(404, "There is no such print job.")
    patient_ref = f"Patient/{found.patient_id}" if found.patient_id else None
    if not may_cancel(found, current_staff(), _station()):
        audit.record("refused", patient=patient_ref, entity=f"PrintJob/{job_id}", detail="cancel a print",
                     outcome="failure")
        return render_template("auth/refused.html", staff=current_staff(),
                               message="Only the person who asked for this print, someone at its station, or a "
                                       "charge nurse may cancel it."), 403
    cancelled = queue.cancel(job_id)
    audit.record("cancel-print", patient=patient_ref, entity=f"PrintJob/{job_id}",
                 detail="cancelled while waiting" if cancelled else f"not cancelled: it was {found.status}",
                 outcome="success" if cancelled else "failure")
    if request.form.get("return_to") == "queue":
        return redirect(url_for("labels.queue"))
    return redirect(url_for("labels.job", job_id=job_id))


# ---------------------------------------------------------------- printers


@bp.get("/printers")
@roles_required(Role.ADMINISTRATOR, what="open the printers page")
def printers() -> str:
    config = _config()
    station = _station()
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
    job = JobRequest(station_id=_station(), requested_by=current_staff().badge, patient_id=None,
                     encounter_id=None, label_type=prepared.label_type.value, printer_id=printer.id, test_label=True)
    result = print_prepared(_queue(), prepared, job, PrintAudit("print", None, f"test label to {printer.id}"))
    return redirect(url_for("labels.job", job_id=result.job_id))
