from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, render_template, stream_with_context
from wtforms.fields.choices import SelectChoice

from kiosk.audit.services import AuditQuery, AuditRow, action_names, action_words, export_csv, search
from kiosk.auth import Role, roles_required
from kiosk.extensions import database, gateway
from kiosk.fhir.errors import FhirError
from kiosk.fhir.patients import patients_by_reference

from .forms import AuditSearchForm

bp = Blueprint("audit", __name__, url_prefix="/audit")

REVIEWERS = (Role.CHARGE_NURSE, Role.ADMINISTRATOR)


def _form() -> AuditSearchForm:
    form = AuditSearchForm()
    with database().session() as db:
        form.action.choices = [SelectChoice("", "Any action"),
                               *(SelectChoice(a, action_words(a)) for a in action_names(db))]
    return form


def _render(template: str, rows: list[AuditRow], **context: object) -> str:
    """The rows with patients shown by name and MRN (one FHIR request per page; ids if it fails)."""
    try:
        patients = patients_by_reference(gateway(), [r.patient for r in rows if r.patient])
    except FhirError:
        patients = {}
    single_station = len({r.station for r in rows}) <= 1
    return render_template(template, rows=rows, patients=patients, words=action_words,
                           single_station=single_station, **context)


def _problem(form: AuditSearchForm) -> str:
    """The first thing wrong with the search, in words (the results fragment is all an htmx search
    redraws, so the message names the field)."""
    for field in form:
        if field.errors:
            return f"{field.label.text}: {field.errors[0]}"
    return "Check the fields above."


def _query(form: AuditSearchForm) -> tuple[AuditQuery | None, str | None]:
    """The query for the form; an MRN is looked up on the FHIR server and searched by Patient id."""
    patient = None
    mrn = form.patient_mrn()
    if mrn:
        from kiosk.fhir.patients import patients_by_mrn

        found = patients_by_mrn(gateway(), mrn)
        if not found:
            return None, "No patient on the FHIR server has that MRN."
        patient = found[0].reference
    return AuditQuery(day_from=form.day_from.data, day_to=form.day_to.data, user=form.user.data or None,
                      patient=patient, action=form.action.data or None), None


@bp.get("/")
@roles_required(*REVIEWERS, what="read the audit trail")
def index() -> str:
    form = _form()
    with database().session() as db:
        rows = search(db, AuditQuery(limit=100))
    return _render("audit_review/page.html", rows, form=form, message=None)


@bp.post("/search")
@roles_required(*REVIEWERS, what="read the audit trail")
def results() -> str | tuple[str, int]:
    form = _form()
    if not form.validate_on_submit():
        return render_template("audit_review/_results.html", rows=[], form=form, message=_problem(form)), 400
    query, message = _query(form)
    rows = []
    if query is not None:
        with database().session() as db:
            rows = search(db, query)
    return _render("audit_review/_results.html", rows, form=form, message=message)


@bp.post("/export")
@roles_required(*REVIEWERS, what="export the audit trail")
def export() -> Response | tuple[str, int]:
    form = _form()
    if not form.validate_on_submit():
        return render_template("audit_review/page.html", form=form, rows=[], message="Check the fields above."), 400
    query, message = _query(form)
    if query is None:
        return render_template("audit_review/page.html", form=form, rows=[], message=message), 404

    def generate():  # type: ignore[no-untyped-def]
        with database().session() as db:
            yield from export_csv(db, query)

    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    return Response(stream_with_context(generate()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'})
