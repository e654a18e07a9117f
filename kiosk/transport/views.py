"""Patient transport's pages and fragments. Thin: parse, call the services, render.

- GET  /transport/                                the unit's transport board
- GET  /transport/board                           its polled region; 204 when nothing visible changed
- GET  /transport/request/<patient>/<encounter>   the request form (?destination=Location/<id>&order=<id>
                                                  &purpose=test: other workflows link here with them)
- POST /transport/request/<patient>/<encounter>   send the request (one transaction)
- GET  /transport/jobs                            a transporter's screen (phone-sized), ?zone=<code>
- GET  /transport/jobs/list                       its polled region
- GET  /transport/jobs/<task>/<action>            the sheet of an action that asks first (reason, armband)
- POST /transport/jobs/<task>/<action>            one action on a job; answers the sheet and the region
- GET  /transport/figures                         the charge nurse's figures
- GET  /transport/home                            the home screen's panel (jobs escalated; a stopped scheduler)

A poll that fails answers 503 with HX-Reswap: none: the screen stays, keeps polling and says so.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask import Blueprint, Response, abort, current_app, make_response, render_template, request, session, url_for
from markupsafe import Markup

from kiosk import audit, timeutil
from kiosk.auth import Role, current_staff, current_staff_or_none, roles_required
from kiosk.extensions import database, gateway
from kiosk.fhir.change import Conflict, Seen
from kiosk.fhir.errors import FhirError, FhirNotAllowed, FhirNotFound
from kiosk.fhir.records import FHIR_ID
from kiosk.settings_files import settings_of
from kiosk.web import Notice
from kiosk.web.changes import Reply, carry_out, refused

from .actions import CANCEL_REASONS, DELAY_REASONS, JOB_ACTIONS, OTHER_REASON
from .board import Board, Worklist, job_view
from .escalation import raised_jobs, scheduler_running
from .fhir import MODES, NEEDS, PURPOSES, jobs_of_request, tasks_offered
from .figures import load_figures
from .forms import JobForm, RequestForm
from .services import (
    REQUEST_NEEDS,
    REQUEST_NUMBER,
    Refused,
    RequestContext,
    load_board,
    load_worklist,
    new_request_number,
    plan_job_action,
    plan_request,
    request_context,
    utc_now,
    viewer_of,
)
from .settings import PRIORITIES, TRANSPORT_FILE, TransportSettings

bp = Blueprint("transport", __name__, url_prefix="/transport")

#: Who asks for transport (and cancels or calls back a job from the board).
DESK = (Role.UNIT_SECRETARY, Role.CHARGE_NURSE)
FIGURE_READERS = (Role.CHARGE_NURSE, Role.ADMINISTRATOR)
REGION = "transport-region"
#: Stands for the refresh time while a region is fingerprinted.
STAMP = "\x00refreshed\x00"
ZONE_KEY = "transport_zone"


def _settings() -> TransportSettings:
    return settings_of(TRANSPORT_FILE)


def _stamp(moment: datetime) -> str:
    return timeutil.local(moment).strftime("%H:%M:%S")


def _region(template: str, poll_url: str, fetched_at: datetime, oob: bool = False,
            **context: object) -> tuple[str, str]:
    """A polled region, rendered once: (its HTML, its fingerprint without the refresh time)."""
    inner = render_template(template, refreshed=STAMP, **context)
    fingerprint = hashlib.sha256(inner.encode()).hexdigest()[:20]
    html = render_template("transport/_region.html", inner=Markup(inner.replace(STAMP, _stamp(fetched_at))),
                           fingerprint=fingerprint, poll_url=poll_url, region_id=REGION, oob=oob,
                           refresh_seconds=_settings().refresh_seconds)
    return html, fingerprint


def _not_refreshed(problem: str) -> Response:
    response = make_response("", 503)
    response.headers["HX-Reswap"] = "none"
    response.headers["X-Transport-Problem"] = problem.encode("ascii", "replace").decode("ascii")[:300]
    return response


POLLS = frozenset({"transport.board_region", "transport.worklist_region"})


@bp.after_request
def _keep_the_screen_on_a_failed_poll(response: Response) -> Response:
    if request.endpoint not in POLLS or response.status_code < 400 or "HX-Reswap" in response.headers:
        return response
    return _not_refreshed(f"The kiosk could not refresh the transport jobs (error {response.status_code}).")


def _answer_poll(html: str, fingerprint: str) -> Response:
    if request.headers.get("X-Region-Fingerprint") == fingerprint:
        return make_response("", 204)
    return make_response(html)


# ---------------------------------------------------------------- the unit's board


def _board() -> Board:
    now = utc_now()
    db = database()
    tasks_offered(gateway(), "the transport board")
    unit_id = gateway().unit_location_id()
    escalated = {r.task_id: r for r in raised_jobs(db, unit_id)}
    board = load_board(gateway(), _settings(), now, viewer_of(current_staff_or_none()), escalated,
                       scheduler_running(db))
    if "beds.encounter" in current_app.view_functions:
        # The patient's panel on the bed board, which offers the move in one tap (kiosk.nav.MoveOffer).
        for move in board.moves:
            target = (move.destination_ref or "").removeprefix("Location/")
            if move.encounter_id and FHIR_ID.match(target):
                move.move_url = url_for("beds.encounter", encounter_id=move.encounter_id)
    return board


def _board_region(board: Board, oob: bool = False) -> tuple[str, str]:
    return _region("transport/_board.html", url_for("transport.board_region"), board.fetched_at, oob=oob,
                   board=board, settings=_settings(), desk=_is_desk())


def _is_desk() -> bool:
    staff = current_staff_or_none()
    return staff is not None and staff.role in DESK


def _bed_board_url() -> str | None:
    return url_for("beds.board") if "beds.board" in current_app.view_functions else None


@bp.get("/")
def board() -> str:
    try:
        current = _board()
    except FhirError as e:
        return render_template("transport/page.html", board=None, error=e.message, region="",
                               bed_board_url=_bed_board_url())
    html, _ = _board_region(current)
    return render_template("transport/page.html", board=current, error=None, region=Markup(html),
                           bed_board_url=_bed_board_url())


@bp.get("/board")
def board_region() -> Response:
    try:
        current = _board()
    except FhirError as e:
        return _not_refreshed(e.message)
    return _answer_poll(*_board_region(current))


# ---------------------------------------------------------------- asking for a transport


def _request_page(patient_id: str, encounter_id: str, form: RequestForm, notice: Notice | None = None,
                  errors: dict[str, str] | None = None, chosen: dict[str, object] | None = None,
                  status: int = 200, done: bool = False, ctx: RequestContext | None = None) -> Response:
    refused_why = REQUEST_NEEDS.refused(gateway().capabilities)
    if refused_why is None and ctx is None:
        try:
            ctx = request_context(gateway(), _settings(), patient_id, encounter_id,
                                  destination=request.args.get("destination") or (chosen or {}).get("destination"),
                                  order_id=request.args.get("order") or form.order.data or None,
                                  purpose=request.args.get("purpose"))
        except FhirNotFound:
            abort(404)
        audit.record("view-patient", patient=ctx.patient.reference, entity=f"Encounter/{encounter_id}",
                     detail="transport request form")
    if chosen is None:
        chosen = _first_choices(ctx)
    html = render_template("transport/request.html", ctx=ctx, refused=refused_why, notice=notice, errors=errors or {},
                           chosen=chosen, number=form.number.data if not done and form.number.data else
                           new_request_number(), settings=_settings(), modes=MODES, needs=NEEDS, purposes=PURPOSES,
                           priorities=PRIORITIES, done=done)
    return make_response(html, status)


def _first_choices(ctx: object) -> dict[str, object]:
    """What the form starts with: the needs the patient's alerts call for, routine, now, and what the
    link asked for."""
    purpose = request.args.get("purpose", "")
    from_alerts = [n.code for n in getattr(ctx, "from_alerts", ())]
    return {"needs": from_alerts, "priority": "routine", "when": "now", "mode": "",
            "purpose": purpose if purpose in PURPOSES else "", "destination": request.args.get("destination", "")}


def _check_ids(*ids: str) -> None:
    if not all(FHIR_ID.match(i) for i in ids):
        abort(404)


@bp.get("/request/<patient_id>/<encounter_id>")
@roles_required(*DESK, what="ask for patient transport")
def request_form(patient_id: str, encounter_id: str) -> Response:
    _check_ids(patient_id, encounter_id)
    return _request_page(patient_id, encounter_id, RequestForm(formdata=None))


@bp.post("/request/<patient_id>/<encounter_id>")
@roles_required(*DESK, what="ask for patient transport")
def send_request(patient_id: str, encounter_id: str) -> Response:
    _check_ids(patient_id, encounter_id)
    form = RequestForm()
    if not form.validate():
        name, message = form.first_error() or ("", "Something in the form is not right.")
        return _request_page(patient_id, encounter_id, form, Notice("error", "Check the form", message),
                             {name: message}, form.chosen(), 422)
    gw = gateway()
    try:
        ctx = request_context(gw, _settings(), patient_id, encounter_id, destination=form.destination.data,
                              order_id=form.order.data or None)
        planned = plan_request(gw, _settings(), ctx, form.choices(), current_staff(), utc_now())
    except FhirNotFound:
        abort(404)
    except Refused as e:
        if not e.field:  # a field to fill in is not a change that failed: nothing audited
            refused("transport-request", patient=f"Patient/{patient_id}", entity=f"Encounter/{encounter_id}")
        errors = {e.field: e.message} if e.field else {}
        notice = None if e.field else Notice("error", "Not sent", e.message)
        return _request_page(patient_id, encounter_id, form, notice, errors, form.chosen(), 422, ctx=ctx)
    reply = carry_out(planned.change, seen=Seen(), done=planned.message, patient=planned.patient,
                      entity=planned.entity)
    notice = reply.notice
    if reply.done and reply.outcome is not None and not any(getattr(r, "created", True)
                                                            for r in getattr(reply.outcome, "results", ())):
        notice = Notice("ok", "Already sent", f"This request was sent before: {planned.message} Nothing new was "
                                              "created.")
    return _request_page(patient_id, encounter_id, form, notice, {}, form.chosen() if reply.keep_form else None,
                         reply.status, done=reply.done, ctx=ctx)


# ---------------------------------------------------------------- a transporter's screen


def _zone() -> str | None:
    wanted = request.args.get("zone") or request.form.get("zone")
    if (wanted and _settings().zone(wanted) is not None) or wanted == "unit":
        session[ZONE_KEY] = wanted
    return session.get(ZONE_KEY)


def _worklist() -> Worklist:
    return load_worklist(gateway(), _settings(), utc_now(), viewer_of(current_staff_or_none()), _zone())


def _worklist_region(worklist: Worklist, oob: bool = False) -> tuple[str, str]:
    return _region("transport/_worklist.html", url_for("transport.worklist_region", zone=worklist.zone_code),
                   worklist.fetched_at, oob=oob, worklist=worklist)


@bp.get("/jobs")
def worklist() -> str:
    try:
        current = _worklist()
    except FhirError as e:
        return render_template("transport/jobs.html", worklist=None, error=e.message, region="")
    html, _ = _worklist_region(current)
    return render_template("transport/jobs.html", worklist=current, error=None, region=Markup(html))


@bp.get("/jobs/list")
def worklist_region() -> Response:
    try:
        current = _worklist()
    except FhirError as e:
        return _not_refreshed(e.message)
    return _answer_poll(*_worklist_region(current))


# ---------------------------------------------------------------- actions on a job


def _sheet(task_id: str, action: str, form: JobForm, notice: Notice | None = None, field: str | None = None,
           message: str | None = None) -> str:
    """The sheet of an action that asks first: the job it is about, and its form."""
    number = form.number.data or request.args.get("number", "")
    job = None
    if REQUEST_NUMBER.match(number or ""):
        jobs = jobs_of_request(gateway(), number)
        record = next((j for j in jobs.jobs if j.id == task_id), None)
        if record is not None:
            job = job_view(record, jobs, _settings(), utc_now(), viewer_of(current_staff_or_none()))
    return render_template("transport/_sheet.html", job=job, action=JOB_ACTIONS[action], form=form, notice=notice,
                           field=field, message=message, screen=_screen(form),
                           reasons=DELAY_REASONS if action == "delay" else CANCEL_REASONS, other=OTHER_REASON)


def _screen(form: JobForm) -> str:
    return form.screen.data or request.args.get("screen") or "phone"


@bp.get("/jobs/<task_id>/<action>")
def action_sheet(task_id: str, action: str) -> str:
    if action not in JOB_ACTIONS or not FHIR_ID.match(task_id):
        abort(404)
    return _sheet(task_id, action, JobForm(formdata=None, number=request.args.get("number", ""),
                                           screen=request.args.get("screen", "phone")))


@bp.get("/sheet/closed")
def sheet_closed() -> str:
    return render_template("transport/_sheet.html", job=None, action=None, closed=True)


def _taken_by(reply: Reply, task_ref: str) -> Notice | None:
    """Two transporters accepted one job: the one refused by the server is told who has it."""
    if not isinstance(reply.outcome, Conflict):
        return None
    current = reply.outcome.now.current.get(task_ref) or {}
    owner = (current.get("owner") or {}).get("display")
    if not owner:
        return None
    return Notice("conflict", "Taken", f"{owner} accepted this job first. It is no longer on your list.")


@bp.post("/jobs/<task_id>/<action>")
def act(task_id: str, action: str) -> Response:
    if action not in JOB_ACTIONS or not FHIR_ID.match(task_id):
        abort(404)
    form = JobForm()
    staff = current_staff()
    entity = f"Task/{task_id}"
    if staff.role not in JOB_ACTIONS[action].roles:
        refused(f"transport-{action}", entity=entity, why=f"not allowed for a {staff.role.label}")
        return _sheet_answer(task_id, action, form, Notice("error", "Not allowed",
                                                           f"A {staff.role.label} cannot do this."), status=403)
    problem = form.first_error() if not form.validate() else form.scan_problem()
    if problem:
        return _sheet_answer(task_id, action, form, None, status=422, field="code" if "scan" in problem else None,
                             message=problem, keep_open=True)
    try:
        planned = plan_job_action(gateway(), _settings(), staff, action, task_id, form.choices(), utc_now())
    except Refused as e:
        refused(f"transport-{action}", entity=entity)  # a wrong armband at pickup is recorded too
        if e.field:
            return _sheet_answer(task_id, action, form, None, status=422, field=e.field, message=e.message,
                                 keep_open=True)
        kind, title = ("conflict", "Changed at another station") if e.changed_elsewhere else ("error", "Not done")
        return _sheet_answer(task_id, action, form, Notice(kind, title, e.message), status=409)
    except FhirNotAllowed as e:
        refused(f"transport-{action}", entity=entity)
        return _sheet_answer(task_id, action, form, Notice("error", "Not possible on this FHIR server", e.message),
                             status=409)
    reply = carry_out(planned.change, seen=Seen.parse(form.seen.data), done=planned.message, patient=planned.patient,
                      entity=entity)
    return _sheet_answer(task_id, action, form, _taken_by(reply, entity) or reply.notice, status=reply.status)


def _sheet_answer(task_id: str, action: str, form: JobForm, notice: Notice | None, *, status: int,
                  field: str | None = None, message: str | None = None, keep_open: bool = False) -> Response:
    """The sheet (its form again with the message next to the field, or the notice alone) and, out of
    band, the screen's region drawn from the server as it is now."""
    if keep_open:
        html = _sheet(task_id, action, form, notice, field, message)
    else:
        html = render_template("transport/_sheet.html", job=None, action=None, notice=notice, closed=False)
    try:
        if _screen(form) == "board":
            region, _ = _board_region(_board(), oob=True)
        else:
            region, _ = _worklist_region(_worklist(), oob=True)
    except FhirError:
        region = ""
    return make_response(html + region, status)


# ---------------------------------------------------------------- figures and the home panel


@bp.get("/figures")
@roles_required(*FIGURE_READERS, what="read the transport figures")
def figures() -> str:
    try:
        found = load_figures(gateway(), _settings(), utc_now())
    except FhirError as e:
        return render_template("transport/figures.html", figures=None, error=e.message)
    return render_template("transport/figures.html", figures=found, error=None)


@bp.get("/home")
def home_panel() -> str:
    """Escalated jobs and a stopped scheduler, from the kiosk's database only (no FHIR request: the
    kiosk's database holds its own unit's escalations)."""
    return render_template("transport/_home_panel.html", raised=raised_jobs(database()),
                           running=scheduler_running(database()), now=utc_now())
