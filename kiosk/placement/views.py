"""Bed placement's pages. Thin: parse, call the services, render.

- GET  /placement/                         the charge nurse's list of open bed requests (completes arrivals,
                                           puts in transit those whose transport was picked up)
- GET  /placement/<task>/assign            the beds that fit one request
- POST /placement/<task>/assign            assign a bed (reservation + Task accepted, one transaction)
- POST /placement/<task>/decline           decline with a reason
- POST /placement/<task>/transit           the patient is on the way (where no transport job was asked for)
- GET  /placement/<task>                   the sending side's page: the request's status
- GET  /placement/home                     the home screen's panel (count of open requests)
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, make_response, render_template, url_for

from kiosk import audit
from kiosk.auth import Role, current_staff_or_none, roles_required
from kiosk.extensions import gateway
from kiosk.fhir.change import Conflict, Seen
from kiosk.fhir.errors import FhirError
from kiosk.fhir.records import FHIR_ID
from kiosk.web import Notice
from kiosk.web.changes import carry_out, refused

from .fhir import NEEDS, ORIGINS
from .forms import AssignForm, DeclineForm, TransitForm
from .services import (
    ASSIGN_NEEDS,
    DECLINE_NEEDS,
    Refused,
    arrival_change,
    load_assign,
    load_list,
    load_one,
    plan_assign,
    plan_decline,
    plan_transit,
    transit_change,
    utc_now,
)

bp = Blueprint("placement", __name__, url_prefix="/placement")
STEP_INDEX = {"requested": 0, "accepted": 1, "in-progress": 2, "completed": 3}


@bp.context_processor
def _words() -> dict[str, object]:
    return {"ORIGINS": ORIGINS, "NEEDS": NEEDS, "STEP_INDEX": STEP_INDEX}


#: Who assigns and declines beds.
DESK = (Role.CHARGE_NURSE, Role.UNIT_SECRETARY)


def _task_id(task_id: str) -> str:
    if not FHIR_ID.match(task_id):
        abort(404)
    return task_id


def _list_page(notice: Notice | None = None, status: int = 200) -> Response:
    try:
        found = load_list(gateway())
    except FhirError as e:
        return make_response(render_template("placement/list.html", requests=None, error=e.message, notice=notice), 503)
    arrived_notice = None
    change = arrival_change(found.arrived, utc_now(), gateway().capabilities)
    if change is not None:
        names = ", ".join(r.number for r in found.arrived)
        reply = carry_out(change, seen=Seen.of(
            (ref, v) for r in found.arrived for ref, v in r.seen().items() if not ref.startswith("Encounter/")),
            done=f"Arrived: {names}.", entity=found.arrived[0].reference)
        # Another station that looked at the same moment completed them first (412): nothing to say.
        if not reply.done and not isinstance(reply.outcome, Conflict):
            arrived_notice = reply.notice
    transit = transit_change(found.picked_up, utc_now(), gateway().capabilities)
    if transit is not None:
        reply = carry_out(transit, seen=Seen.of((r.reference, r.seen()[r.reference]) for r in found.picked_up),
                          done="In transit: " + ", ".join(r.number for r in found.picked_up) + ".",
                          entity=found.picked_up[0].reference)
        if not reply.done and not isinstance(reply.outcome, Conflict) and arrived_notice is None:
            arrived_notice = reply.notice
    refused_why = ASSIGN_NEEDS.refused(gateway().capabilities) or DECLINE_NEEDS.refused(gateway().capabilities)
    staff = current_staff_or_none()
    html = render_template("placement/list.html", requests=found.requests, error=None, notice=notice or arrived_notice,
                           refused=refused_why, arrived=found.arrived, desk=staff is not None and staff.role in DESK,
                           transport_note=found.transport_note)
    return make_response(html, status)


@bp.get("/")
@roles_required(*DESK, Role.ADMINISTRATOR, what="see the unit's bed requests")
def board() -> Response:
    return _list_page()


def _assign_page(task_id: str, notice: Notice | None = None, status: int = 200,
                 errors: dict[str, str] | None = None, reason: str = "") -> Response:
    try:
        page = load_assign(gateway(), task_id)
    except FhirError as e:
        return make_response(render_template("placement/assign.html", page=None, error=e.message, notice=notice,
                                             errors={}, reason=reason, seen=""), 503)
    if page is None:
        abort(404)
    if page.request.patient is not None:
        audit.record("view-patient", patient=page.request.patient.reference, entity=page.request.reference,
                     detail="bed request")
    html = render_template("placement/assign.html", page=page, error=None, notice=notice, errors=errors or {},
                           reason=reason, seen=Seen.of(page.request.seen().items()).text())
    return make_response(html, status)


@bp.get("/<task_id>/assign")
@roles_required(*DESK, what="assign beds")
def assign_form(task_id: str) -> Response:
    return _assign_page(_task_id(task_id))


@bp.post("/<task_id>/assign")
@roles_required(*DESK, what="assign beds")
def assign(task_id: str) -> Response:
    task_id = _task_id(task_id)
    form = AssignForm()
    if not form.validate():
        message = next(iter(form.errors.values()))[0]
        return _assign_page(task_id, Notice("error", "Not assigned", message), 422)
    seen = Seen.parse(form.seen.data)
    seen[f"Location/{form.bed.data}"] = str(form.bed_version.data)
    try:
        req, change, name = plan_assign(gateway(), task_id, str(form.bed.data), utc_now())
    except Refused as e:
        refused("placement-assign", entity=f"Task/{task_id}", why=str(e))
        return _assign_page(task_id, Notice("error", "Not assigned", str(e)), 409)
    patient = req.patient.reference if req.patient else None
    reply = carry_out(change, seen=seen, done=f"Bed {name} is assigned to request {req.number}.", patient=patient,
                      entity=req.reference, entity_label=f"bed request {req.number}")
    if reply.done:
        return _list_page(reply.notice)
    return _assign_page(task_id, reply.notice, reply.status)


@bp.post("/<task_id>/decline")
@roles_required(*DESK, what="decline bed requests")
def decline(task_id: str) -> Response:
    task_id = _task_id(task_id)
    form = DeclineForm()
    if not form.validate():
        message = next(iter(form.errors.values()))[0]
        return _assign_page(task_id, None, 422, errors={"reason": message}, reason=form.reason.data or "")
    reason = str(form.reason.data).strip()
    try:
        req, change = plan_decline(gateway(), task_id, reason, utc_now())
    except Refused as e:
        refused("placement-decline", entity=f"Task/{task_id}", why=str(e))
        return _assign_page(task_id, Notice("error", "Not declined", str(e)), 409)
    reply = carry_out(change, seen=Seen.parse(form.seen.data), done=f"Request {req.number} is declined.",
                      patient=req.patient.reference if req.patient else None, entity=req.reference,
                      entity_label=f"bed request {req.number}")
    if reply.done:
        return _list_page(reply.notice)
    return _assign_page(task_id, reply.notice, reply.status, reason=reason if reply.keep_form else "")


@bp.post("/<task_id>/transit")
@roles_required(*DESK, what="mark a patient on the way")
def transit(task_id: str) -> Response:
    task_id = _task_id(task_id)
    form = TransitForm()
    if not form.validate():
        return _list_page(Notice("error", "Not changed", "This form is not from the kiosk. Open it again."), 422)
    try:
        req, change = plan_transit(gateway(), task_id, utc_now())
    except Refused as e:
        refused("placement-in-transit", entity=f"Task/{task_id}", why=str(e))
        return _list_page(Notice("error", "Not changed", str(e)), 409)
    reply = carry_out(change, seen=Seen.parse(form.seen.data), done=f"Request {req.number}: the patient is on the way.",
                      patient=req.patient.reference if req.patient else None, entity=req.reference,
                      entity_label=f"bed request {req.number}")
    return _list_page(reply.notice, 200 if reply.done else reply.status)


@bp.get("/<task_id>")
def status(task_id: str) -> Response:
    """The sending side's page: where the request stands, without the unit's other patients."""
    try:
        req = load_one(gateway(), _task_id(task_id))
    except FhirError as e:
        return make_response(render_template("placement/status.html", req=None, error=e.message), 503)
    if req is None:
        abort(404)
    if req.patient is not None:
        audit.record("view-patient", patient=req.patient.reference, entity=req.reference, detail="bed request status")
    return make_response(render_template("placement/status.html", req=req, error=None,
                                         board_url=url_for("placement.board")))


@bp.get("/home")
def home_panel() -> str:
    """The count of the unit's open bed requests: one FHIR search (nothing shown if it fails)."""
    try:
        found = load_list(gateway(), transport=False)
    except FhirError:
        return render_template("placement/_home_panel.html", waiting=None, assigned=None)
    waiting = sum(1 for r in found.requests if r.status == "requested")
    return render_template("placement/_home_panel.html", waiting=waiting, assigned=len(found.requests) - waiting)
