"""The bed board's pages and fragments. Thin: parse, call the services, render.

- GET  /beds/                    the board (a bed's panel opens in place: /beds/bed/<id>)
- GET  /beds/board               the board fragment, polled; 204 when nothing visible changed
- GET  /beds/public              the corridor view: rooms and initials only
- GET  /beds/display/<token>     the same for a corridor screen, without a sign-in (token from settings)
- GET  /beds/bed/<id>            a bed's panel (htmx), or the board with the panel open
- GET  /beds/encounter/<id>      a pending patient's panel
- POST /beds/scan                an armband scan (the number is in the body, never in the URL)
- POST /beds/act/<action>        one action; answers with the panel as it is afterwards
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, Response, abort, current_app, make_response, render_template, request, url_for

from kiosk import audit, timeutil
from kiosk.auth import Role, current_staff, has_role, public, roles_required
from kiosk.auth.roles import roles_phrase
from kiosk.config import BedSettings
from kiosk.extensions import gateway, settings
from kiosk.fhir.errors import FhirConflict, FhirError

from .actions import HANDLERS, ActionContext, ActionRequest, Refused, perform
from .board import Board, fingerprint, public_rooms
from .forms import ActionForm, ScanForm
from .panel import Notice, Panel
from .services import load_board, open_panel, resolve_scan, utc_now

bp = Blueprint("beds", __name__, url_prefix="/beds")

#: Who may change beds; everyone signed in may look at the board.
BED_ROLES = (Role.UNIT_SECRETARY, Role.CHARGE_NURSE)
BOARD_TEMPLATE = "beds/_board.html"
PUBLIC_TEMPLATE = "beds/_public.html"


def _bed_settings() -> BedSettings:
    return settings().beds


def _not_allowed() -> str | None:
    """Why the signed-in person may not change beds, shown on each action instead of failing on click."""
    return None if has_role(*BED_ROLES) else f"Only {roles_phrase(BED_ROLES)} may change beds."


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


def _region(board: Board, template: str) -> Region:
    public = template == PUBLIC_TEMPLATE
    inner = render_template(template, refreshed=STAMP, board=board, rooms=public_rooms(board) if public else None)
    return Region(inner, fingerprint(inner))


@bp.get("/")
def board() -> str:
    return _page(panel_key=None, open_form=None)


def _page(panel_key: str | None, open_form: str | None) -> str:
    try:
        current = load_board(gateway(), _bed_settings())
    except FhirError as e:
        return render_template("beds/page.html", board=None, error=e.message, panel=None, board_html="")
    panel = None
    if panel_key:
        panel = open_panel(gateway(), current, panel_key, open_form, _not_allowed())
        _finish(panel)
        _audit_view(panel)
    region = _region(current, BOARD_TEMPLATE).html(current, url_for("beds.board_fragment"))
    return render_template("beds/page.html", board=current, error=None, panel=panel, board_html=region)


def _poll(template: str, poll_url: str) -> Response:
    try:
        current = load_board(gateway(), _bed_settings())
    except FhirError as e:
        # Keep the board on screen: nothing is swapped, the page says it is not up to date.
        response = make_response("", 503)
        response.headers["HX-Reswap"] = "none"
        response.headers["X-Board-Problem"] = e.message.encode("ascii", "replace").decode("ascii")[:300]
        return response
    region = _region(current, template)
    if request.headers.get("X-Board-Fingerprint") == region.fingerprint:
        response = make_response("", 204)
    else:
        response = make_response(region.html(current, poll_url))
    response.headers["X-Board-Refreshed"] = _stamp(current.fetched_at)
    return response


@bp.get("/board")
def board_fragment() -> Response:
    return _poll(BOARD_TEMPLATE, url_for("beds.board_fragment"))


def _public_page(poll_url: str) -> str:
    try:
        current = load_board(gateway(), _bed_settings())
    except FhirError as e:
        return render_template("beds/public.html", board=None, error=e.message, board_html="")
    region = _region(current, PUBLIC_TEMPLATE).html(current, poll_url)
    return render_template("beds/public.html", board=current, error=None, board_html=region)


@bp.get("/public")
def public_view() -> str:
    return _public_page(url_for("beds.public_fragment"))


@bp.get("/public/board")
def public_fragment() -> Response:
    return _poll(PUBLIC_TEMPLATE, url_for("beds.public_fragment"))


def _check_display_token(token: str) -> None:
    """The corridor screen's secret; a wrong or unset token is simply not found."""
    expected = _bed_settings().public_display_token
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        abort(404)


@bp.get("/display/<token>")
@public
def display(token: str) -> str:
    """The corridor screen: the public view without a sign-in and without the idle lock."""
    _check_display_token(token)
    return _public_page(url_for("beds.display_fragment", token=token))


@bp.get("/display/<token>/board")
@public
def display_fragment(token: str) -> Response:
    _check_display_token(token)
    return _poll(PUBLIC_TEMPLATE, url_for("beds.display_fragment", token=token))


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


def _render_panel(current: Board, key: str, open_form: str | None = None, notice: Notice | None = None,
                  chosen: dict[str, str] | None = None, status: int = 200) -> Response:
    panel = open_panel(gateway(), current, key, open_form, _not_allowed())
    if panel is None:
        notice = notice or Notice("error", "Not on this unit",
                                  f"That bed or patient is not on {current.unit_name} any more.")
        return make_response(render_template("beds/_panel_message.html", notice=notice), status)
    panel.notice = notice
    panel.chosen = chosen or {}
    _finish(panel)
    _audit_view(panel)
    return make_response(render_template("beds/_panel.html", panel=panel), status)


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


@bp.post("/scan")
def scan() -> Response:
    form = ScanForm()
    if not form.validate():
        message = next((str(errs[0]) for errs in form.errors.values() if errs), "Scan the armband again.")
        return make_response(render_template("beds/_panel_message.html",
                                             notice=Notice("error", "Scan not read", message)), 422)
    current = load_board(gateway(), _bed_settings())
    result = resolve_scan(gateway(), current, form.code.data or "")
    if result.panel_key:
        return _render_panel(current, result.panel_key)
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
        return _render_panel(current, key, action, notice, form.chosen(), 422)
    req = form.to_request(action)
    practitioner = current_staff().practitioner_ref
    ctx = ActionContext(gw=gw, settings=_bed_settings(), board=current, request=req, now=utc_now(),
                        staff_ref=practitioner if practitioner and "?" not in practitioner else None)
    try:
        done = perform(ctx)
    except Refused as e:
        _audit_write(req, "failure", "refused, nothing written")
        kind, title = ("conflict", "Changed at another station") if e.changed_elsewhere else ("error", "Not done")
        return _render_panel(current, key, action, Notice(kind, title, e.message), form.chosen(), 409)
    except FhirConflict as e:
        _audit_write(req, "failure", "changed at another station (412), nothing written")
        # Someone else changed what this station saw: show the state as it is now, keep the choices.
        fresh = load_board(gw, _bed_settings())
        return _render_panel(fresh, key, action, Notice("conflict", "Changed at another station", e.message),
                             form.chosen(), 409)
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
