"""The whiteboard's pages. Thin: parse, call the services, render.

- GET  /whiteboard/                  the whiteboard, for signed-in staff (with the way to the assignments)
- GET  /whiteboard/board             its polled fragment; 204 when nothing visible changed
- GET  /whiteboard/display/<token>   the station screen's first visit: the token becomes a cookie
- GET  /whiteboard/display           the station screen (1920x1080), no sign-in, no idle lock
- GET  /whiteboard/display/board     its polled fragment
- GET  /whiteboard/assign            the shift's assignments (?shift=next for the coming shift)
- POST /whiteboard/assign            save them: one transaction of care teams
- GET  /whiteboard/care-team/<id>    a patient's care team, a section of the bed board's panel

A poll that fails for any reason answers 503 with HX-Reswap: none: the screen keeps what it shows and
says since when it is not up to date.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, abort, current_app, make_response, render_template, request, url_for
from werkzeug.wrappers import Response

from kiosk import audit, timeutil
from kiosk.auth import Role, has_role, public, roles_required
from kiosk.auth.roles import roles_phrase
from kiosk.census import census_store
from kiosk.extensions import database, gateway
from kiosk.fhir.errors import FhirError
from kiosk.fhir.records import FHIR_ID
from kiosk.nav import bed_mark_sources
from kiosk.polling import not_up_to_date, polled
from kiosk.push import LiveScreen, requested_stream
from kiosk.settings_files import settings_of
from kiosk.web import Notice, page_or_fragment
from kiosk.web.changes import carry_out, refused
from kiosk.web.display import DisplayAccess

from .assign import AssignScreen, Refused, created_elsewhere
from .board import Whiteboard
from .forms import AssignForm
from .services import care_team_panel, load_assign_screen, load_whiteboard, plan_save
from .settings import WHITEBOARD_FILE, WhiteboardSettings

bp = Blueprint("whiteboard", __name__, url_prefix="/whiteboard")

#: Who may save a shift's assignments; everyone signed in may look.
ASSIGNERS = (Role.CHARGE_NURSE, Role.UNIT_SECRETARY)
SCREEN = DisplayAccess(cookie="kiosk_whiteboard", salt="whiteboard-display")
#: Stands for the refresh time while the board is fingerprinted, so one render serves both.
STAMP = "\x00refreshed\x00"


def _settings() -> WhiteboardSettings:
    return settings_of(WHITEBOARD_FILE)


def _load() -> Whiteboard:
    return load_whiteboard(gateway(), _settings(), bed_mark_sources(current_app), store=census_store())


def _region(board: Whiteboard, poll_url: str, display: bool) -> tuple[str, str]:
    """The polled region's HTML and its fingerprint (which leaves out the refresh time)."""
    inner = render_template("whiteboard/_board.html", board=board, refreshed=STAMP, display=display)
    fingerprint = hashlib.sha256(inner.encode("utf-8")).hexdigest()[:32]
    stamp = timeutil.local(board.fetched_at).strftime("%H:%M")
    html = render_template("whiteboard/_poll.html", inner=inner.replace(STAMP, stamp), fingerprint=fingerprint,
                           poll_url=poll_url)
    return html, fingerprint


def _page(template: str, poll_url: str, display: bool) -> str:
    #: The room readiness checklists, where that workflow is installed (linked by address, never imported).
    readiness = url_for("readiness.index") if "readiness.index" in current_app.view_functions else None
    try:
        board = _load()
    except FhirError as e:
        return render_template(template, board=None, error=e.message, board_html="", readiness_url=readiness)
    html, _ = _region(board, poll_url, display)
    # Care teams are not in the census: a live whiteboard still checks on its interval, and the census's
    # changes (admissions, moves, discharges) come at once.
    refresh = _settings().refresh_seconds
    live = LiveScreen(url_for("whiteboard.display_events" if display else "whiteboard.board_events",
                              unit=board.unit_id, version=board.version), refresh, refresh)
    return render_template(template, board=board, error=None, board_html=html, readiness_url=readiness, live=live)


def _poll(poll_url: str, display: bool) -> Response:
    try:
        board = _load()
    except FhirError as e:
        return not_up_to_date(e.message)
    html, fingerprint = _region(board, poll_url, display)
    if request.headers.get("X-Board-Fingerprint") == fingerprint:
        response = make_response("", 204)
    else:
        response = make_response(html)
    response.headers["X-Board-Refreshed"] = timeutil.local(board.fetched_at).strftime("%H:%M")
    return response


@bp.get("/")
def index() -> str:
    return _page("whiteboard/page.html", url_for("whiteboard.board_fragment"), display=False)


@bp.get("/board")
@polled("the whiteboard")
def board_fragment() -> Response:
    return _poll(url_for("whiteboard.board_fragment"), display=False)


@bp.get("/events")
@polled("live updates", passes=(404, 503), stream=True)
def board_events() -> Response:
    """The whiteboard's event stream (kiosk.push): `census` when the unit's census moved."""
    return requested_stream()


@bp.get("/display/events")
@public
@polled("live updates", passes=(404, 503), stream=True)
def display_events() -> Response:
    SCREEN.require(_settings().display_token)
    return requested_stream()


@bp.get("/display/<token>")
@public
def display_setup(token: str) -> Response:
    return SCREEN.set_up(token, _settings().display_token, url_for("whiteboard.display"))


@bp.get("/display")
@public
def display() -> str:
    SCREEN.require(_settings().display_token)
    return _page("whiteboard/display.html", url_for("whiteboard.display_fragment"), display=True)


@bp.get("/display/board")
@public
@polled("the whiteboard", passes=(404,))
def display_fragment() -> Response:
    SCREEN.require(_settings().display_token)
    return _poll(url_for("whiteboard.display_fragment"), display=True)


# ---------------------------------------------------------------- assignments


def _which() -> str:
    return "next" if request.args.get("shift") == "next" else "current"


def _not_allowed() -> str | None:
    return None if has_role(*ASSIGNERS) else f"You can look here; only {roles_phrase(ASSIGNERS)} assigns a shift."


def _screen(which: str, notice: Notice | None = None, chosen: dict[str, str] | None = None,
            status: int = 200) -> Response:
    try:
        screen: AssignScreen | None = load_assign_screen(gateway(), database(), _settings(), which,
                                                                 store=census_store())
    except FhirError as e:
        screen = None
        notice = Notice(notice.kind, notice.title, f"{notice.text} The assignments could not be read again just "
                        f"now: {e.message}") if notice else Notice("error", "The assignments are not available",
                                                                   e.message)
    if screen is not None:
        screen.notice = notice
        screen.chosen = chosen or {}
        screen.cannot = screen.cannot or _not_allowed()
    html = page_or_fragment("whiteboard/assign.html", "whiteboard/_assign.html", screen=screen, message=notice)
    return make_response(html, status)


@bp.get("/assign")
def assign() -> Response:
    return _screen(_which())


@bp.post("/assign")
@roles_required(*ASSIGNERS, what="assign a shift")
def save() -> Response:
    form = AssignForm()
    which = form.which.data if form.which.data in ("current", "next") else "current"
    kept = form.kept(request.form)
    if not form.validate():
        return _screen(which, Notice("error", "Not saved", form.first_error() or "The form is not right."), kept, 422)
    try:
        wanted = form.to_request(request.form)
    except ValueError as e:
        return _screen(which, Notice("error", "Not saved", str(e)), kept, 422)
    unit = f"Location/{gateway().unit_location_id()}"
    try:
        planned, access = plan_save(gateway(), database(), _settings(), which, wanted)
    except Refused as e:
        why = "changed at another station" if e.changed_elsewhere else "refused"
        refused("assign-shift", entity=unit, why=f"{why} before sending, nothing written")
        kind, title = ("conflict", "Changed at another station") if e.changed_elsewhere else ("error", "Not saved")
        return _screen(which, Notice(kind, title, e.message), kept, 409)
    except FhirError as e:
        refused("assign-shift", entity=unit, why="the FHIR server could not be read, nothing written")
        return _screen(which, Notice("error", "Not saved", f"{e.message} Nothing was saved."), kept, 502)
    reply = carry_out(planned.change, seen=wanted.seen, done=planned.message, entity=unit,
                      capabilities=access.caps)
    if reply.changed:
        current_app.extensions["whiteboard.assignments"].forget()  # the call lights page the new nurse at once
    notice = reply.notice
    results = getattr(reply.outcome, "results", ()) if reply.done else ()
    taken = created_elsewhere(results, planned.change)
    if taken:
        notice = Notice("conflict", "Changed at another station",
                        f"{taken} of the care teams had been written at another station a moment earlier; theirs "
                        "was kept for those beds. Here is the current state: check it and save again if needed.")
        audit.record("fhir-write", entity=unit, outcome="failure",
                     detail=f"assign-shift: {taken} care team(s) created at another station first")
    response = _screen(which, notice, kept if reply.keep_form else {}, reply.status)
    if reply.changed:
        response.headers["HX-Trigger"] = "whiteboard-changed"
    return response


# ---------------------------------------------------------------- the bed board's panel


@bp.get("/care-team/<encounter_id>")
def care_team(encounter_id: str) -> str:
    if not FHIR_ID.match(encounter_id):
        abort(404)
    try:
        panel = care_team_panel(gateway(), _settings(), encounter_id)
        error = None
    except FhirError as e:
        panel, error = None, e.message
    can_assign = has_role(*ASSIGNERS)
    return render_template("whiteboard/_care_team.html", panel=panel, error=error, can_assign=can_assign)
