"""Housekeeping's pages. Thin: parse, call the services, render.

- GET  /housekeeping/                       the desk's list of the unit's cleaning jobs (make stat)
- GET  /housekeeping/jobs                   housekeeping staff's phone-sized page (start, done)
- GET  /housekeeping/list?screen=phone|desk their polled list
- POST /housekeeping/beds/<bed>/<action>    start, done or stat; answers the list (the page without htmx)
- GET  /housekeeping/figures                turnaround per kind of clean
- GET  /housekeeping/home                   the home screen's panel
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, make_response, render_template, request

from kiosk import timeutil
from kiosk.auth import Role, current_staff, roles_required
from kiosk.census import shared_census
from kiosk.extensions import gateway
from kiosk.fhir.change import Seen
from kiosk.fhir.errors import FhirError, FhirNotAllowed
from kiosk.fhir.records import FHIR_ID
from kiosk.web import Notice, is_htmx
from kiosk.web.changes import carry_out, refused

from .forms import JobForm
from .services import (
    Plan,
    Refused,
    Staff,
    bed_job,
    load_figures,
    load_jobs,
    open_counts,
    plan_done,
    plan_start,
    plan_stat,
    start_of_day,
    unavailable,
    utc_now,
)

bp = Blueprint("housekeeping", __name__, url_prefix="/housekeeping")

CLEANERS = (Role.HOUSEKEEPER,)
DESK = (Role.UNIT_SECRETARY, Role.CHARGE_NURSE)
READERS = (*CLEANERS, *DESK, Role.ADMINISTRATOR)
FIGURE_READERS = (Role.CHARGE_NURSE, Role.ADMINISTRATOR)
#: Who may do each action.
ACTIONS: dict[str, tuple[Role, ...]] = {"start": CLEANERS, "done": CLEANERS, "stat": DESK}


@bp.after_request
def _keep_the_list_on_a_failed_poll(response: Response) -> Response:
    """A poll that fails leaves the list as it is (it keeps polling) instead of swapping an error page in."""
    if request.endpoint == "housekeeping.job_list" and response.status_code >= 400:
        response = make_response("", 503)
        response.headers["HX-Reswap"] = "none"
    return response


def _screen(value: str | None) -> str:
    return "phone" if value == "phone" else "desk"


def _list_context(screen: str, notice: Notice | None = None) -> dict[str, object]:
    try:
        jobs = load_jobs(gateway(), utc_now(), shared_census)
        off = unavailable(gateway())
    except FhirError as e:
        return {"jobs": None, "error": e.message, "screen": screen, "notice": notice}
    return {"jobs": jobs, "error": None, "screen": screen, "notice": notice, "role": current_staff().role,
            "unavailable": off}


def _page(screen: str, notice: Notice | None = None, status: int = 200) -> Response:
    template = "housekeeping/jobs.html" if screen == "phone" else "housekeeping/page.html"
    if is_htmx():
        template = "housekeeping/_list.html"
    return make_response(render_template(template, **_list_context(screen, notice)), status)


@bp.get("/")
@roles_required(*READERS, what="see the housekeeping jobs")
def desk() -> Response:
    return _page("desk")


@bp.get("/jobs")
@roles_required(*READERS, what="see the housekeeping jobs")
def jobs() -> Response:
    return _page("phone")


@bp.get("/list")
@roles_required(*READERS, what="see the housekeeping jobs")
def job_list() -> Response:
    return make_response(render_template("housekeeping/_list.html",
                                         **_list_context(_screen(request.args.get("screen")))))


@bp.post("/beds/<bed_id>/<action>")
@roles_required(*READERS, what="change cleaning jobs")
def act(bed_id: str, action: str) -> Response:
    if action not in ACTIONS or not FHIR_ID.match(bed_id):
        abort(404)
    form = JobForm()
    screen = _screen(form.screen.data)
    staff = current_staff()
    entity = f"Location/{bed_id}"
    name = f"cleaning-{action}"
    if staff.role not in ACTIONS[action]:
        refused(name, entity=entity, why=f"not allowed for a {staff.role.label}")
        return _page(screen, Notice("error", "Not allowed", f"A {staff.role.label} cannot do this."), 403)
    if not form.validate():
        return _page(screen, Notice("error", "Not done", form.first_error() or "Open the page again."), 422)
    try:
        planned = _plan(action, bed_id, form, Staff(staff.display_name, staff.practitioner_ref))
    except Refused as e:
        refused(name, entity=entity)
        kind, title = ("conflict", "Changed at another station") if e.changed_elsewhere else ("error", "Not done")
        return _page(screen, Notice(kind, title, e.message), 409)
    except FhirNotAllowed as e:
        refused(name, entity=entity, why="not allowed by the FHIR server, nothing sent")
        return _page(screen, Notice("error", "Not possible on this FHIR server", e.message), 409)
    except FhirError as e:
        refused(name, entity=entity, why="could not read the bed, nothing sent")
        return _page(screen, Notice("error", "Not done", e.message), 502)
    reply = carry_out(planned.change, seen=Seen.parse(form.seen.data), done=planned.message, entity=planned.entity)
    return _page(screen, reply.notice, reply.status)


def _plan(action: str, bed_id: str, form: JobForm, staff: Staff) -> Plan:
    gw, now = gateway(), utc_now()
    if action == "start":
        return plan_start(gw, bed_id, staff, form.token.data, now)
    if action == "done":
        return plan_done(gw, bed_id, staff, now)
    task = form.task.data or ""
    if not task:
        raise Refused("This bed has no cleaning job to make stat. Nothing was changed.")
    return plan_stat(gw, bed_id, task, now)


@bp.get("/figures")
@roles_required(*FIGURE_READERS, what="read the housekeeping figures")
def figures() -> str:
    now = utc_now()
    try:
        gw = gateway()
        unit = gw.read_location(gw.unit_location_id())
        found = load_figures(gw, unit.name, now, start_of_day(now, timeutil.local(now)))
    except FhirError as e:
        return render_template("housekeeping/figures.html", figures=None, error=e.message, now=now)
    return render_template("housekeeping/figures.html", figures=found, error=None, now=now)


@bp.get("/section/<bed_id>")
def bed_section(bed_id: str) -> str:
    """The bed board panel's section (kiosk.nav.PanelSection): a dirty bed's cleaning job."""
    if not FHIR_ID.match(bed_id):
        abort(404)
    try:
        job, error = bed_job(gateway(), bed_id, utc_now()), None
    except FhirError as e:
        job, error = None, e.message
    return render_template("housekeeping/_section.html", job=job, error=error)


@bp.get("/home")
def home_panel() -> str:
    if current_staff().role not in READERS:
        return ""
    try:
        counts = open_counts(gateway())
    except FhirError:
        counts = None
    return render_template("housekeeping/_home_panel.html", counts=counts)
