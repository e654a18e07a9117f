"""The bed board's pages and fragments. Thin: parse, call the services, render.

- GET  /beds/                    the board (a bed's panel opens in place: /beds/bed/<id>)
- GET  /beds/board               the board fragment, polled; 204 when nothing visible changed
- GET  /beds/public              the corridor view: rooms and initials only
- GET  /beds/display/<token>     a corridor screen's first visit: the token (from settings) becomes a cookie
- GET  /beds/display             the corridor screen, without a sign-in, for a browser holding that cookie
- GET  /beds/bed/<id>            a bed's panel (htmx), or the board with the panel open
- GET  /beds/encounter/<id>      a pending patient's panel
- GET  /beds/list/<name>         a side list in full (the board shows what fits)
- POST /beds/scan                an armband scan, or a name or date of birth typed (in the body, never in
                                 the URL)
- POST /beds/act/<action>        one action; answers with the panel as it is afterwards
- GET  /beds/transfer-link/<patient>/<encounter>/<n>?target=<bed id>
                                 the n-th link other workflows registered for a transfer's new bed, to
                                 the bed chosen in the transfer form (a transport there)
- GET  /beds/census-sheet.pdf    the unit's census sheet for the paper downtime procedure (audited)

When the FHIR server cannot be reached, the board is drawn from the census kept in the kiosk's database
(kiosk.beds.downtime): marked with its time, read-only (every panel says why), with the census sheet
one tap away. The next poll after the server answers again draws the live board.

The polled fragments are marked @polled (kiosk.polling): a poll that fails for any reason (the FHIR
server, the kiosk's own database, a bug) answers 503 with HX-Reswap: none, so the board stays on
screen, keeps polling, and says it is not up to date.
"""

from __future__ import annotations

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

from kiosk import audit, timeutil
from kiosk.auth import Role, current_staff, current_staff_or_none, has_role, public, roles_required
from kiosk.auth.roles import roles_phrase
from kiosk.census import census_store
from kiosk.extensions import gateway, services, settings
from kiosk.fhir.errors import FhirConflict, FhirError, FhirNotAllowed, FhirUnavailable
from kiosk.fhir.patients import NameQuery
from kiosk.fhir.records import FHIR_ID
from kiosk.nav import bed_mark_sources, move_offers, patient_links
from kiosk.polling import not_up_to_date, polled
from kiosk.push import LiveScreen, live_screen, requested_stream
from kiosk.settings_files import settings_of
from kiosk.slots import FhirBusy
from kiosk.web import Notice, is_htmx
from kiosk.web.changes import Reply, carry_out, refused
from kiosk.web.display import DisplayAccess

from .actions import BED_ACTIONS, ActionContext, Refused, plan
from .board import Board, fingerprint, public_rooms
from .downtime import READ_ONLY, census_sheet, downtime_board, sheet_rows
from .forms import ActionForm, ScanForm
from .panel import ListPanel, Panel
from .services import find_by_name, load_board, offer_moves, open_panel, resolve_scan, utc_now
from .settings import BEDS_FILE, BedSettings
from .summary import unit_summary

bp = Blueprint("beds", __name__, url_prefix="/beds")

#: Who may change beds; everyone signed in may look at the board.
BED_ROLES = (Role.UNIT_SECRETARY, Role.CHARGE_NURSE)
BOARD_TEMPLATE = "beds/_board.html"
PUBLIC_TEMPLATE = "beds/_public.html"


def _bed_settings() -> BedSettings:
    return settings_of(BEDS_FILE)


def _board(marks: bool = True) -> Board:
    """The board from the shared census (kiosk.census), with the marks other workflows put on its tiles
    (not on the public view: it shows rooms and initials only). When the FHIR server cannot be reached:
    the census kept in the database, marked (`board.downtime`), without marks; if none is kept (or it is
    older than census.downtime_keep_hours), the server's error, saying so."""
    try:
        return load_board(gateway(), _bed_settings(), marks=bed_mark_sources(current_app) if marks else (),
                          store=census_store())
    except FhirUnavailable as e:
        if isinstance(e, FhirBusy) and census_store().unreachable_since() is None:
            raise  # slow, not down: the live board comes back with the next poll
        # No FHIR slot is taken and no request is sent for the kept census.
        kept = downtime_board(services().gateway(), _bed_settings(), census_store(), utc_now())
        if kept is None:
            hours = settings().census.downtime_keep_hours
            raise FhirUnavailable(f"{e.message} No census of this unit from the last {hours:g} hours is kept "
                                  "on this kiosk, so there is no board to show: use the paper downtime "
                                  "procedure.", status=e.status, sent=e.sent) from e
        return kept


def _not_allowed(board: Board | None = None) -> str | None:
    """Why the signed-in person may not change beds (their role, or a server that cannot be reached):
    their panels say it once and offer no action."""
    if board is not None and board.downtime is not None:
        return READ_ONLY
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
        return render_template("beds/_poll.html", inner=inner, fingerprint=self.fingerprint, poll_url=poll_url)


def _region(board: Board, template: str, corridor: bool = False) -> Region:
    """`corridor`: the public view on the screen facing the corridor (no way back into the board). A
    board of a version already drawn (same census, hour and marks) is not drawn again: the rendering is
    kept per unit, view and version, so a poll that finds nothing changed answers in milliseconds."""

    def draw() -> Region:
        public = template == PUBLIC_TEMPLATE
        inner = render_template(template, refreshed=STAMP, board=board,
                                rooms=public_rooms(board) if public else None, corridor=corridor)
        return Region(inner, fingerprint(inner))

    if board.version is None:
        return draw()
    # The public view offers a way back to the board to a signed-in person only.
    signed_in = current_staff_or_none() is not None
    return census_store().remember(("region", board.unit_id, template, corridor, signed_in, board.version), draw)


@bp.get("/")
def board() -> str:
    return _page(panel_key=None, open_form=None)


def _page(panel_key: str | None, open_form: str | None, chosen: dict[str, str] | None = None) -> Response | str:
    try:
        current = _board()
    except FhirError as e:
        return render_template("beds/page.html", board=None, error=e.message, panel_html="", board_html="")
    panel_html, status = "", 200
    if panel_key:
        panel_html, status = _panel_fragment(current, panel_key, open_form, chosen=chosen)
    region = _region(current, BOARD_TEMPLATE).html(current, url_for("beds.board_fragment"))
    return make_response(render_template("beds/page.html", board=current, error=None, panel_html=panel_html,
                                         board_html=region, live=_live(current, "beds.board_events")), status)


def _live(board: Board, events_endpoint: str) -> LiveScreen:
    """The board's stream starts from the census version drawn: a change since then is sent at once."""
    return live_screen(url_for(events_endpoint, unit=board.unit_id, version=board.census_version),
                       _bed_settings().refresh_seconds)


@bp.get("/events")
@polled("live updates", passes=(404, 503), stream=True)
def board_events() -> Response:
    """The board's and the public view's event stream (kiosk.push): `census` when the unit's census moved."""
    return requested_stream()


def _poll(template: str, poll_url: str, corridor: bool = False) -> Response:
    try:
        current = _board(marks=template != PUBLIC_TEMPLATE)
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
        current = _board(marks=False)
    except FhirError as e:
        return render_template("beds/public.html", board=None, error=e.message, board_html="", corridor=corridor)
    region = _region(current, PUBLIC_TEMPLATE, corridor).html(current, poll_url)
    live = _live(current, "beds.display_events" if corridor else "beds.board_events")
    return render_template("beds/public.html", board=current, error=None, board_html=region, corridor=corridor,
                           live=live)


@bp.get("/public")
def public_view() -> str:
    return _public_page(url_for("beds.public_fragment"), corridor=False)


@bp.get("/public/board")
@polled("the board")
def public_fragment() -> Response:
    return _poll(PUBLIC_TEMPLATE, url_for("beds.public_fragment"))


#: The corridor screen's cookie (kiosk.web.display: the token from settings, kept in a signed cookie).
CORRIDOR = DisplayAccess(cookie="kiosk_display", salt="corridor-display")


@bp.get("/display/<token>")
@public
def display_setup(token: str) -> Response:
    """Set up a corridor screen once: the secret moves from the address into a cookie, so it is not in
    every poll's access-log line or in the browser's history."""
    return CORRIDOR.set_up(token, _bed_settings().public_display_token, url_for("beds.display"))


@bp.get("/display")
@public
def display() -> str:
    CORRIDOR.require(_bed_settings().public_display_token)
    return _public_page(url_for("beds.display_fragment"), corridor=True)


@bp.get("/display/board")
@public
@polled("the board")
def display_fragment() -> Response:
    CORRIDOR.require(_bed_settings().public_display_token)
    return _poll(PUBLIC_TEMPLATE, url_for("beds.display_fragment"), corridor=True)


@bp.get("/display/events")
@public
@polled("live updates", passes=(404, 503), stream=True)
def display_events() -> Response:
    CORRIDOR.require(_bed_settings().public_display_token)
    return requested_stream()


@bp.get("/home-counts")
def home_counts() -> str:
    """The unit's counts on the home screen (a home panel); each leads to the board."""
    return render_template("beds/_home_counts.html", summary=unit_summary(gateway(), url_for("beds.board"),
                                                                          read=census_store().census))


# ---------------------------------------------------------------- panels


def _way_back(key: str) -> tuple[str | None, str | None]:
    """The address of the panel a key names and the words of the button back to it ("Back to the bed")."""
    kind, _, name = key.partition(":")
    if kind == "bed":
        return url_for("beds.bed", bed_id=name), "Back to the bed"
    if kind == "encounter":
        return url_for("beds.encounter", encounter_id=name), "Back to the patient"
    if kind == "list":
        return url_for("beds.side_list", name=name), "Back to the list"
    return None, None


def _audit_view(panel: Panel | None) -> None:
    """Opening a patient's panel is a read of their record: it goes in the audit trail."""
    if panel is not None and panel.patient is not None:
        audit.record("view-patient", patient=f"Patient/{panel.patient.patient_id}" if panel.patient.patient_id
                     else None, entity=f"Encounter/{panel.patient.encounter_id}", detail="bed board panel")


def _finish(panel: Panel | None, board: Board) -> None:
    """What other workflows registered for a patient's panel: its links (those for the open form's moment
    too: a transfer's new bed, a discharge) and the moves into a new bed they offer in one tap."""
    if panel is None or panel.patient is None or not panel.patient.patient_id:
        return
    staff = current_staff_or_none()
    role = staff.role if staff else None
    patient_id, encounter_id = panel.patient.patient_id, panel.patient.encounter_id
    panel.links = patient_links(patient_id, encounter_id, role)
    if panel.open == "transfer":
        panel.transfer_link_labels = [link.label for link in patient_links(patient_id, encounter_id, role,
                                                                           "transfer")]
    elif panel.open is None and panel.tile is not None and panel.tile.transfer_to_ref:
        panel.transfer_links = patient_links(patient_id, encounter_id, role, "transfer",
                                             destination=panel.tile.transfer_to_ref)
    if panel.open == "discharge":
        panel.discharge_links = patient_links(patient_id, encounter_id, role, "discharge")
    transfer = panel.action("transfer")
    if panel.open is None and panel.tile is not None and transfer is not None and transfer.refused is None:
        offers = move_offers(current_app, f"Encounter/{encounter_id}")
        if offers:
            offer_moves(gateway(), board, panel, offers)


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
    # A kept census's panels ask the server nothing: no FHIR slot is taken for them.
    gw = services().gateway() if current.downtime is not None else gateway()
    panel = open_panel(gw, current, key, open_form, _not_allowed(current))
    if panel is None:
        message = notice or _missing(current, key)
        return render_template("beds/_panel_message.html", notice=message), 404 if notice is None else status
    if isinstance(panel, ListPanel):
        return render_template("beds/_list_panel.html", panel=panel, tiles=current.tiles), status
    panel.notice = notice
    panel.chosen = chosen or {}
    panel.errors = errors or {}
    if current.downtime is None:  # other workflows' links lead to pages that need the server
        _finish(panel, current)
    _audit_view(panel)
    if current.downtime is not None:
        # Other workflows' sections read the FHIR server: while it cannot be reached, none is loaded.
        return render_template("beds/_panel.html", panel=panel, panel_sections=_no_sections), status
    return render_template("beds/_panel.html", panel=panel), status


def _no_sections(bed_id: str | None, encounter_id: str | None, role: str | None) -> list[str]:
    return []


def _render_panel(current: Board, key: str, open_form: str | None = None, notice: Notice | None = None,
                  chosen: dict[str, str] | None = None, status: int = 200,
                  errors: dict[str, str] | None = None) -> Response:
    html, code = _panel_fragment(current, key, open_form, notice, chosen, errors, status)
    return make_response(html, code)


def _panel_get(key: str) -> Response | str:
    """A panel, with an action's form open (`?open=transfer`) and its bed chosen (`&target=<bed id>`):
    other workflows link here to offer a move in one tap (a transport delivered to a new bed)."""
    open_form = request.args.get("open")
    if open_form is not None and open_form not in BED_ACTIONS:
        abort(404)
    target = request.args.get("target", "")
    chosen = {"target": target} if open_form and FHIR_ID.match(target) else {}
    if not is_htmx():
        return _page(panel_key=key, open_form=open_form, chosen=chosen)
    return _render_panel(_board(), key, open_form, chosen=chosen)


@bp.get("/transfer-link/<patient_id>/<encounter_id>/<int:n>")
@roles_required(*BED_ROLES, what="move patients between beds")
def transfer_link(patient_id: str, encounter_id: str, n: int) -> Response:
    """The transfer form's "Request transport to this bed" (a link another workflow registered for a
    transfer's new bed, kiosk.nav 'transfer'), followed with the bed chosen in the form. No bed chosen:
    the form again, saying so."""
    if not (FHIR_ID.match(patient_id) and FHIR_ID.match(encounter_id)):
        abort(404)
    target = request.args.get("target", "")
    staff = current_staff_or_none()
    if not FHIR_ID.match(target):
        key = request.args.get("panel", "")
        if not key.startswith(("bed:", "encounter:")) or not FHIR_ID.match(key.partition(":")[2]):
            key = f"encounter:{encounter_id}"
        return _render_panel(_board(), key, "transfer", status=422,
                             errors={"target": "Choose the new bed first: the transport takes the patient there."})
    links = patient_links(patient_id, encounter_id, staff.role if staff else None, "transfer",
                          destination=f"Location/{target}")
    if not 0 <= n < len(links):
        abort(404)
    if is_htmx():
        return make_response("", 200, {"HX-Redirect": links[n].url})
    return redirect(links[n].url)


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
    current = _board()
    query = form.name_query()
    if query is not None:
        return _found_by_name(current, query)
    result = resolve_scan(gateway(), current, form.scanned())
    if result.panel_key:
        return _render_panel(current, result.panel_key)
    if result.patient or result.encounter:
        # Where a patient of another unit is, is read from their record.
        audit.record("view-patient", patient=result.patient, entity=result.encounter,
                     detail="bed board scan, patient on another unit")
    return make_response(render_template("beds/_panel_message.html",
                                         notice=Notice("error", "Patient not on this board", result.message or "")))


def _found_by_name(current: Board, query: NameQuery) -> Response:
    """The patients of that name or date of birth: those on this unit open their panel, those on other
    units say where they are. Listing them is a read of their records: each goes in the audit trail."""
    try:
        found = find_by_name(gateway(), current, query)
    except FhirNotAllowed as e:
        return make_response(render_template("beds/_panel_message.html",
                                              notice=Notice("error", "Cannot find by name here", e.message)))
    for person in [*found.here, *found.elsewhere]:
        audit.record("view-patient", patient=person.patient, entity=person.encounter,
                     detail="bed board find by name" + ("" if person.panel_key else ", patient on another unit"))
    if not found.here and not found.elsewhere:
        notice = Notice("error", "No patient found",
                        f"No patient with an open encounter is {query.shown}. Check the spelling, or scan the "
                        "armband.")
        return make_response(render_template("beds/_panel_message.html", notice=notice))
    return make_response(render_template("beds/_found.html", found=found, query=query, unit_name=current.unit_name))


# ---------------------------------------------------------------- actions


@bp.post("/act/<action>")
@roles_required(*BED_ROLES, what="change beds")
def act(action: str) -> Response:
    if action not in BED_ACTIONS:
        abort(404)
    form = ActionForm()
    gw = gateway()
    current = _board()
    if current.downtime is not None:  # nothing is sent: the panel says why
        return make_response(render_template("beds/_panel_message.html", notice=Notice(
            "error", "Not done: the FHIR server cannot be reached", READ_ONLY)), 503)
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
    entity = f"Encounter/{req.encounter_id}" if req.encounter_id else f"Location/{req.bed_id}"
    label = _entity_label(current, req.bed_id, stay=bool(req.encounter_id))
    try:
        planned = plan(ctx)
    except Refused as e:
        if e.field:  # a choice is missing: say so next to it, keep the form (not a change: nothing audited)
            return _render_panel(current, key, action, None, form.chosen(), 422, {e.field: e.message})
        refused(action, entity=entity, entity_label=label)
        kind, title = ("conflict", "Changed at another station") if e.changed_elsewhere else ("error", "Not done")
        response = _render_panel(current, key, action, Notice(kind, title, e.message), form.chosen(), 409)
        if e.changed_elsewhere:  # the tiles behind the panel still show what this station saw: redraw them
            response.headers["HX-Trigger"] = "board-changed"
        return response
    except FhirConflict as e:
        # Someone else changed what this station saw (found before sending): show the state as it is
        # now, keep the choices.
        refused(action, entity=entity, why="changed at another station (412), nothing written", entity_label=label)
        return _answer(key, action, form, Reply(None, Notice("conflict", "Changed at another station", e.message),
                                                409, keep_form=True, changed=True), current)
    planned_label = _entity_label(current, req.bed_id, stay=planned.entity.startswith("Encounter/"))
    reply = carry_out(planned.change, seen=req.seen, done=planned.message, patient=planned.patient,
                      entity=planned.entity, entity_label=planned_label)
    next_key = f"bed:{planned.show_bed}" if reply.done and planned.show_bed else key
    return _answer(next_key, action, form, reply, current)


def _entity_label(board: Board, bed_id: str | None, *, stay: bool) -> str | None:
    """What the audit trail calls what an action is about: 'bed 4W-401', or (`stay`: the action is about
    the encounter) 'hospital stay in bed 4W-401'; never the patient (the trail shows them from its
    patient reference)."""
    tile = board.tile(bed_id) if bed_id else None
    if tile is None:
        return "hospital stay" if stay else None
    return f"hospital stay in bed {tile.name}" if stay else f"bed {tile.name}"


def _answer(key: str, action: str, form: ActionForm, reply: Reply, current: Board) -> Response:
    """The panel after an action: drawn from the board as the server holds it now when anything may
    have changed there, with the form open again (and the person's choices) only when nothing of it
    reached the server. If the board cannot be read again, the notice still says how the action ended."""
    board = current
    notice = reply.notice
    if reply.changed:
        try:
            board = _board()
            if board.downtime is not None:  # the kept census predates this very change: never show it as now
                raise FhirUnavailable("The FHIR server cannot be reached.")
        except FhirError as e:
            notice = Notice(notice.kind, notice.title, f"{notice.text} The board could not be read again just "
                            f"now, so what you see may be out of date: {e.message}")
            back_url, back_label = _way_back(key)
            html = render_template("beds/_panel_message.html", notice=notice, back_url=back_url,
                                   back_label=back_label)
            return reply.response(html, trigger="board-changed")
    if reply.keep_form:
        html, _ = _panel_fragment(board, key, action, notice, form.chosen(), status=reply.status)
    else:
        html, _ = _panel_fragment(board, key, None, notice, status=reply.status)
    return reply.response(html, trigger="board-changed")


# ---------------------------------------------------------------- downtime


@bp.get("/census-sheet.pdf")
def census_sheet_pdf() -> Response:
    """The unit's census sheet (PDF) for the paper downtime procedure: from the live census, or the
    kept one while the server cannot be reached. Every print is in the audit trail."""
    try:
        current = _board(marks=False)
    except FhirError as e:
        return make_response(render_template("beds/page.html", board=None, error=e.message, panel_html="",
                                             board_html=""), 503)
    staff = current_staff()
    pdf = census_sheet(current, utc_now(), staff.display_name)
    patients = sum(1 for row in sheet_rows(current) if row.mrn) + len(current.pending_admissions)
    how = "from the kept census, FHIR server unreachable" if current.downtime else "from the live census"
    audit.record("print", entity=f"Location/{current.unit_id}", entity_label=f"census sheet of {current.unit_name}",
                 detail=f"downtime census sheet, {patients} patients, {how}")
    response = make_response(pdf)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = 'inline; filename="census-sheet.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response
