"""The bed board's pages and fragments. Thin: parse, call the services, render.

- GET  /beds/                    the board (a bed's panel opens in place: /beds/bed/<id>)
- GET  /beds/board               the board fragment, polled; 204 when nothing visible changed
- GET  /beds/public              the corridor view: rooms and initials only
- GET  /beds/display/<token>     a corridor screen's first visit: the token (from settings) becomes a cookie
- GET  /beds/display             the corridor screen, without a sign-in, for a browser holding that cookie
- GET  /beds/bed/<id>            a bed's panel (htmx), or the board with the panel open
- GET  /beds/encounter/<id>      a pending patient's panel
- GET  /beds/list/<name>         a side list in full (the board shows what fits)
- POST /beds/scan                an armband scan (the number is in the body, never in the URL)
- POST /beds/act/<action>        one action; answers with the panel as it is afterwards

The polled fragments are marked @polled (kiosk.polling): a poll that fails for any reason (the FHIR
server, the kiosk's own database, a bug) answers 503 with HX-Reswap: none, so the board stays on
screen, keeps polling, and says it is not up to date.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from itsdangerous import BadSignature, URLSafeSerializer

from kiosk import audit, timeutil
from kiosk.auth import Role, current_staff, has_role, public, roles_required
from kiosk.auth.roles import roles_phrase
from kiosk.config import BedSettings
from kiosk.extensions import gateway, settings
from kiosk.fhir.errors import FhirConflict, FhirError, FhirOutcomeUnknown
from kiosk.http import secure_cookies
from kiosk.polling import not_up_to_date, polled

from .actions import HANDLERS, ActionContext, ActionRequest, Refused, perform
from .board import Board, fingerprint, public_rooms
from .forms import ActionForm, ScanForm
from .panel import ListPanel, Notice, Panel
from .services import load_board, open_panel, resolve_scan, utc_now

bp = Blueprint("beds", __name__, url_prefix="/beds")

#: Who may change beds; everyone signed in may look at the board.
BED_ROLES = (Role.UNIT_SECRETARY, Role.CHARGE_NURSE)
BOARD_TEMPLATE = "beds/_board.html"
PUBLIC_TEMPLATE = "beds/_public.html"


def _bed_settings() -> BedSettings:
    return settings().beds


def _not_allowed() -> str | None:
    """Why the signed-in person may not change beds: their panels say it once and offer no action."""
    return None if has_role(*BED_ROLES) else f"You can look here; only {roles_phrase(BED_ROLES)} changes beds."


def _stamp(moment: datetime) -> str:
    return timeutil.local(moment).strftime("%H:%M:%S")


# ---------------------------------------------------------------- the board


#: Stands for the refresh time while the region is fingerprinted, so one render serves both.
STAMP = "\x00refreshed\x00"


@dataclass(frozen=True)
class Region:
    """The polled part of a page, rendered once: its fingerprint leaves out the refresh time, so an
    unchanged board answers the poll with 204 and is not redrawn."""

    inner: str
    fingerprint: str

    def html(self, board: Board, poll_url: str) -> str:
        inner = self.inner.replace(STAMP, _stamp(board.fetched_at))
        return render_template("beds/_poll.html", inner=inner, fingerprint=self.fingerprint,
                               poll_url=poll_url, refresh_seconds=_bed_settings().refresh_seconds)


def _region(board: Board, template: str, corridor: bool = False) -> Region:
    """`corridor`: the public view on the screen facing the corridor (no way back into the board)."""
    public = template == PUBLIC_TEMPLATE
    inner = render_template(template, refreshed=STAMP, board=board, rooms=public_rooms(board) if public else None,
                            corridor=corridor)
    return Region(inner, fingerprint(inner))


@bp.get("/")
def board() -> str:
    return _page(panel_key=None, open_form=None)


def _page(panel_key: str | None, open_form: str | None) -> Response | str:
    try:
        current = load_board(gateway(), _bed_settings())
    except FhirError as e:
        return render_template("beds/page.html", board=None, error=e.message, panel_html="", board_html="")
    panel_html, status = "", 200
    if panel_key:
        panel_html, status = _panel_fragment(current, panel_key, open_form)
    region = _region(current, BOARD_TEMPLATE).html(current, url_for("beds.board_fragment"))
    return make_response(render_template("beds/page.html", board=current, error=None, panel_html=panel_html,
                                         board_html=region), status)


def _poll(template: str, poll_url: str, corridor: bool = False) -> Response:
    try:
        current = load_board(gateway(), _bed_settings())
    except FhirError as e:
        return not_up_to_date(e.message)
    region = _region(current, template, corridor)
    if request.headers.get("X-Board-Fingerprint") == region.fingerprint:
        response = make_response("", 204)
    else:
        response = make_response(region.html(current, poll_url))
    response.headers["X-Board-Refreshed"] = _stamp(current.fetched_at)
    return response


@bp.get("/board")
@polled("the board")
def board_fragment() -> Response:
    return _poll(BOARD_TEMPLATE, url_for("beds.board_fragment"))


def _public_page(poll_url: str, corridor: bool) -> str:
    """The public view; `corridor` for the screen facing the corridor (no way into the board)."""
    try:
        current = load_board(gateway(), _bed_settings())
    except FhirError as e:
        return render_template("beds/public.html", board=None, error=e.message, board_html="", corridor=corridor)
    region = _region(current, PUBLIC_TEMPLATE, corridor).html(current, poll_url)
    return render_template("beds/public.html", board=current, error=None, board_html=region, corridor=corridor)


@bp.get("/public")
def public_view() -> str:
    return _public_page(url_for("beds.public_fragment"), corridor=False)


@bp.get("/public/board")
@polled("the board")
def public_fragment() -> Response:
    return _poll(PUBLIC_TEMPLATE, url_for("beds.public_fragment"))


def _check_display_token(token: str) -> None:
    """The corridor screen's secret; a wrong or unset token is simply not found."""
    expected = _bed_settings().public_display_token
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        abort(404)


DISPLAY_COOKIE = "kiosk_display"


def _display_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="corridor-display")


def _has_display_cookie() -> bool:
    """The cookie holds a signed digest of the token: changing the token in settings retires it."""
    expected = _bed_settings().public_display_token
    raw = request.cookies.get(DISPLAY_COOKIE)
    if not expected or not raw:
        return False
    try:
        digest = _display_signer().loads(raw)
    except BadSignature:
        return False
    return hmac.compare_digest(str(digest), hashlib.sha256(expected.encode()).hexdigest())


@bp.get("/display/<token>")
@public
def display_setup(token: str) -> Response:
    """Set up a corridor screen once: the secret moves from the address into a cookie, so it is not in
    every poll's access-log line or in the browser's history."""
    _check_display_token(token)
    response = redirect(url_for("beds.display"))
    response.set_cookie(DISPLAY_COOKIE, _display_signer().dumps(hashlib.sha256(token.encode()).hexdigest()),
                        max_age=365 * 24 * 3600, httponly=True, samesite="Strict",
                        secure=secure_cookies(settings().web), path=url_for("beds.display"))
    return response


@bp.get("/display")
@public
def display() -> str:
    if not _has_display_cookie():
        abort(404)
    return _public_page(url_for("beds.display_fragment"), corridor=True)


@bp.get("/display/board")
@public
@polled("the board")
def display_fragment() -> Response:
    if not _has_display_cookie():
        abort(404)
    return _poll(PUBLIC_TEMPLATE, url_for("beds.display_fragment"), corridor=True)


# ---------------------------------------------------------------- panels


def _audit_view(panel: Panel | None) -> None:
    """Opening a patient's panel is a read of their record: it goes in the audit trail."""
    if panel is not None and panel.patient is not None:
        audit.record("view-patient", patient=f"Patient/{panel.patient.patient_id}" if panel.patient.patient_id
                     else None, entity=f"Encounter/{panel.patient.encounter_id}", detail="bed board panel")


def _audit_write(req: ActionRequest, outcome: str, detail: str, patient: str | None = None,
                 entity: str | None = None) -> None:
    entity = entity or (f"Encounter/{req.encounter_id}" if req.encounter_id else f"Location/{req.bed_id}")
    audit.record("fhir-write", entity=entity, patient=patient, detail=f"{req.action}: {detail}"[:200],
                 outcome=outcome)


def _finish(panel: Panel | None) -> None:
    """Links to other workflows that exist in this app."""
    if panel is None or panel.patient is None or not panel.patient.patient_id:
        return
    if "labels.patient" in current_app.view_functions:
        panel.labels_url = url_for("labels.patient", patient_id=panel.patient.patient_id,
                                   encounter_id=panel.patient.encounter_id)


def _missing(current: Board, key: str) -> Notice:
    kind = key.partition(":")[0]
    what = {"bed": "There is no bed with that id", "encounter": "That patient is not",
            "list": "There is no such list"}.get(kind, "That is not")
    if kind == "encounter":
        return Notice("error", "Not on this unit", f"{what} on {current.unit_name} (any more).")
    return Notice("error", "Not on this unit", f"{what} on {current.unit_name}.")


def _panel_fragment(current: Board, key: str, open_form: str | None = None, notice: Notice | None = None,
                    chosen: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                    status: int = 200) -> tuple[str, int]:
    """The panel's HTML for a key, and the status to answer with (404 for a bed or patient that is not
    on this unit: the panel says so, the board stays)."""
    panel = open_panel(gateway(), current, key, open_form, _not_allowed())
    if panel is None:
        message = notice or _missing(current, key)
        return render_template("beds/_panel_message.html", notice=message), 404 if notice is None else status
    if isinstance(panel, ListPanel):
        return render_template("beds/_list_panel.html", panel=panel), status
    panel.notice = notice
    panel.chosen = chosen or {}
    panel.errors = errors or {}
    _finish(panel)
    _audit_view(panel)
    return render_template("beds/_panel.html", panel=panel), status


def _render_panel(current: Board, key: str, open_form: str | None = None, notice: Notice | None = None,
                  chosen: dict[str, str] | None = None, status: int = 200,
                  errors: dict[str, str] | None = None) -> Response:
    html, code = _panel_fragment(current, key, open_form, notice, chosen, errors, status)
    return make_response(html, code)


def _panel_get(key: str) -> Response | str:
    open_form = request.args.get("open")
    if open_form is not None and open_form not in HANDLERS:
        abort(404)
    if not request.headers.get("HX-Request"):
        return _page(panel_key=key, open_form=open_form)
    return _render_panel(load_board(gateway(), _bed_settings()), key, open_form)


@bp.get("/bed/<bed_id>")
def bed(bed_id: str) -> Response | str:
    return _panel_get(f"bed:{bed_id}")


@bp.get("/encounter/<encounter_id>")
def encounter(encounter_id: str) -> Response | str:
    return _panel_get(f"encounter:{encounter_id}")


@bp.get("/list/<name>")
def side_list(name: str) -> Response | str:
    return _panel_get(f"list:{name}")


@bp.post("/scan")
def scan() -> Response:
    form = ScanForm()
    if not form.validate():
        message = next((str(errs[0]) for errs in form.errors.values() if errs), "Scan the armband again.")
        return make_response(render_template("beds/_panel_message.html",
                                             notice=Notice("error", "Scan not read", message)), 422)
    current = load_board(gateway(), _bed_settings())
    result = resolve_scan(gateway(), current, form.scanned())
    if result.panel_key:
        return _render_panel(current, result.panel_key)
    if result.patient or result.encounter:
        # Where a patient of another unit is, is read from their record.
        audit.record("view-patient", patient=result.patient, entity=result.encounter,
                     detail="bed board scan, patient on another unit")
    return make_response(render_template("beds/_panel_message.html",
                                         notice=Notice("error", "Patient not on this board", result.message or "")))


# ---------------------------------------------------------------- actions


@bp.post("/act/<action>")
@roles_required(*BED_ROLES, what="change beds")
def act(action: str) -> Response:
    if action not in HANDLERS:
        abort(404)
    form = ActionForm()
    gw = gateway()
    current = load_board(gw, _bed_settings())
    key = form.panel.data if form.panel.validate(form) else None
    if not form.validate() or key is None:
        notice = Notice("error", "Check the form", form.first_error() or "Something in the form is not right.")
        if key is None:
            return make_response(render_template("beds/_panel_message.html", notice=notice), 422)
        return _render_panel(current, key, action, notice, form.chosen(), 422, form.field_errors())
    req = form.to_request(action)
    practitioner = current_staff().practitioner_ref
    ctx = ActionContext(gw=gw, settings=_bed_settings(), board=current, request=req, now=utc_now(),
                        staff_ref=practitioner if practitioner and "?" not in practitioner else None)
    try:
        done = perform(ctx)
    except Refused as e:
        _audit_write(req, "failure", "refused, nothing written")
        if e.field:  # a choice is missing: say so next to it, keep the form
            return _render_panel(current, key, action, None, form.chosen(), 422, {e.field: e.message})
        kind, title = ("conflict", "Changed at another station") if e.changed_elsewhere else ("error", "Not done")
        return _render_panel(current, key, action, Notice(kind, title, e.message), form.chosen(), 409)
    except FhirConflict as e:
        _audit_write(req, "failure", "changed at another station (412), nothing written")
        # Someone else changed what this station saw: show the state as it is now, keep the choices.
        fresh = load_board(gw, _bed_settings())
        return _render_panel(fresh, key, action, Notice("conflict", "Changed at another station", e.message),
                             form.chosen(), 409)
    except FhirOutcomeUnknown:
        _audit_write(req, "failure", "no answer from the FHIR server: may have been saved")
        return _outcome_unknown(key)
    except FhirError as e:
        _audit_write(req, "failure", f"FHIR server error {e.status or ''}".strip())
        return _render_panel(current, key, action, Notice("error", "The FHIR server did not accept it", e.message),
                             form.chosen(), 502)
    _audit_write(req, "success", "wrote " + ", ".join(done.written), done.patient, done.entity)
    fresh = load_board(gw, _bed_settings())
    next_key = f"bed:{done.show_bed}" if done.show_bed else key
    response = _render_panel(fresh, next_key, None, Notice("ok", "Done", done.message))
    response.headers["HX-Trigger"] = "board-changed"
    return response


MAY_BE_SAVED = "The FHIR server did not confirm this change, so it may or may not have been saved."


def _outcome_unknown(key: str) -> Response:
    """The change was sent but its answer was lost: it may have been saved. Show the state as it is
    now, with no form open and nothing kept to send again: the person looks before doing anything."""
    title = "This may have been saved"
    try:
        fresh = load_board(gateway(), _bed_settings())
    except FhirError as e:
        notice = Notice("warning", title, f"{MAY_BE_SAVED} The current state cannot be shown now: {e.message}")
        return make_response(render_template("beds/_panel_message.html", notice=notice), 503)
    notice = Notice("warning", title, f"{MAY_BE_SAVED} Here is the current state: check it before doing anything "
                    "again.")
    response = _render_panel(fresh, key, None, notice, status=200)
    response.headers["HX-Trigger"] = "board-changed"
    return response
