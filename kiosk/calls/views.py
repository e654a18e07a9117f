"""The call-light screens. Thin: parse, call the services, render.

- GET  /calls/                      the open calls (emergencies first), two-tap entry, answered today
- GET  /calls/open                  the open calls and answered today, polled
- POST /calls/raise                 a call entered at the kiosk: a bed, then a reason
- GET  /calls/<id>/page             choose the nurse to page (when the bed has no nurse assigned)
- POST /calls/<id>/page             page that nurse
- POST /calls/<id>/answered         the secretary records the answer
- GET  /calls/figures?shift=<key>   calls and minutes to answer per shift, by reason, with a chart
- POST /calls/webhook               the nurse-call system: a call, or its clearing at the bedside (signed)
- GET  /calls/home                  the home screen's panel
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Blueprint, Response, abort, current_app, make_response, redirect, render_template, request, url_for

from kiosk import audit, paging, timeutil
from kiosk.auth import Role, current_staff, public, roles_required
from kiosk.census import shared_census
from kiosk.extensions import csrf, database, gateway, settings
from kiosk.fhir.errors import FhirError
from kiosk.nav import BedMark, UnitBeds, bed_assignments
from kiosk.settings_files import settings_of
from kiosk.web import Notice, page_or_fragment
from kiosk.web.signed import BadSignature, verify

from .fhir import bed_by_id, bed_by_identifier, occupant
from .figures import chart, recent_shifts, shift_at, shift_by_key, shift_figures
from .forms import AnswerForm, NurseForm, RaiseForm
from .models import CallLight, Reason, utcnow
from .services import (
    CallView,
    NewCall,
    answer,
    answered_since,
    call_view,
    calls_in,
    find_external,
    get,
    marks_for,
    open_calls,
    open_count,
    page_line,
    raise_call,
    record_page,
)
from .settings import CALLS_FILE, CallsConfig

bp = Blueprint("calls", __name__, url_prefix="/calls")

#: A bed as the nurse-call system names it: the bed's identifier value ('4W-405A').
BED_IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")
#: Who logs, pages and answers calls; everyone signed in may look.
KEEPERS = (Role.UNIT_SECRETARY, Role.CHARGE_NURSE)


def config() -> CallsConfig:
    return settings_of(CALLS_FILE)


def bed_marks(beds: UnitBeds) -> dict[str, list[BedMark]]:
    """The bed board's bells: a mark on each bed with a call not answered yet."""
    return marks_for(database(), list(beds.occupants))


def _views(calls: list[CallLight]) -> list[CallView]:
    now = utcnow()
    states = paging.page_states([c.page_id for c in calls if c.page_id])
    assigned = bed_assignments(current_app, sorted({c.bed_ref for c in calls if c.answered_at is None}))
    views = []
    for call in calls:
        line = page_line(call, states.get(call.page_id or 0))
        itself = paging.first_escalation_at(call.raised_at, "stat") if call.emergency else None
        views.append(call_view(call, config().settings, now, line, assigned.get(call.bed_ref), itself))
    return views


def start_of_today() -> datetime:
    """Midnight of the station's day, as the database keeps times (naive UTC)."""
    midnight = timeutil.now().replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class BedChoice:
    id: str
    name: str
    occupied: bool

    @property
    def label(self) -> str:
        """'405A' for bed 4W-405A: the grid has room for the number only (the unit is this one)."""
        return self.name.split("-", 1)[1] if "-" in self.name else self.name


def _beds() -> tuple[list[BedChoice], str | None]:
    """The unit's beds for the two-tap entry, from the shared census (kiosk.census: no census request while
    nothing changed on the unit); the log works without them. A call entered at the kiosk reads its bed
    from the server (`raise_at_kiosk`), so a bed shown from a census a few seconds old is never a risk."""
    try:
        census = shared_census(gateway())
    except FhirError as e:
        return [], e.message
    occupied = {loc.location for e in census.encounters for loc in e.locations_with("active")}
    return [BedChoice(b.id, b.name, b.reference in occupied) for b in census.beds], None


def _lists() -> dict[str, object]:
    return {"open_calls": _views(open_calls(database())),
            "answered": _views(answered_since(database(), start_of_today())),
            "refresh_seconds": config().settings.refresh_seconds}


def _page(notices: list[Notice] | None = None, highlight: int | None = None, status: int = 200) -> Response:
    beds, beds_problem = _beds()
    html = page_or_fragment("calls/page.html", "calls/_open.html", beds=beds, beds_problem=beds_problem,
                            reasons=list(Reason), form=RaiseForm(formdata=None, token=uuid.uuid4().hex),
                            notices=notices or [], highlight=highlight, **_lists())
    return make_response(html, status)


@bp.get("/")
def index() -> Response:
    return _page(highlight=request.args.get("call", type=int))


@bp.get("/open")
def open_fragment() -> str:
    return render_template("calls/_open.html", highlight=None, **_lists())


@bp.get("/home")
def home_panel() -> str:
    return render_template("calls/_home_panel.html", waiting=open_count(database()))


# ---------------------------------------------------------------- the secretary


@bp.post("/raise")
@roles_required(*KEEPERS, what="log a call light")
def raise_at_kiosk() -> Response:
    form = RaiseForm()
    if not form.validate():
        message = next((str(e[0]) for e in form.errors.values() if e), "Tap a bed, then a reason.")
        return _page([Notice("error", "Not logged", message)], status=422)
    bed = bed_by_id(gateway(), form.bed.data)
    if bed is None:
        return _page([Notice("error", "Not logged", "That is not a bed of this unit.")], status=422)
    staff = current_staff()
    call_id, new = raise_call(database(), NewCall("kiosk", form.token.data, settings().station.id, bed.ref, bed.name,
                                                  Reason(form.reason.data), utcnow(), staff.display_name))
    if new:
        audit.record("call-raised", entity=f"CallLight/{call_id}",
                     detail=f"call {call_id} from {bed.ref} ({form.reason.data}) entered at the kiosk")
    return redirect(url_for("calls.index", call=call_id))


def _call(call_id: int) -> CallLight:
    call = get(database(), call_id)
    if call is None:
        abort(404, description="There is no such call.")
    return call


@bp.get("/<int:call_id>/page")
@roles_required(*KEEPERS, what="page a nurse")
def choose_nurse(call_id: int) -> str:
    call = _call(call_id)
    nurses, why_none = paging.unit_nurses()
    return render_template("calls/nurses.html", call=_views([call])[0], nurses=nurses, why_none=why_none,
                           form=NurseForm(formdata=None))


@bp.post("/<int:call_id>/page")
@roles_required(*KEEPERS, what="page a nurse")
def page_nurse(call_id: int) -> Response:
    call = _call(call_id)
    form = NurseForm()
    if not form.validate():
        return _page([Notice("error", "Not paged", "Choose a nurse to page.")], highlight=call_id, status=422)
    if call.answered_at is not None:
        return _page([Notice("info", "Answered already", f"The call from {call.bed_name} was answered; nobody was "
                                                         "paged.")], highlight=call_id, status=409)
    try:
        patient, encounter = occupant(gateway(), call.bed_ref)
    except FhirError:  # the page matters more than its record: it goes without the patient's reference
        patient, encounter = None, None
    outcome = paging.page_nurse(form.nurse.data, bed_name=call.bed_name, reason=call.call_reason.label,
                                emergency=call.emergency, patient_ref=patient, encounter_ref=encounter)
    if outcome.page_id is not None:
        record_page(database(), call_id, outcome.page_id, form.nurse.data, utcnow())
    audit.record("call-paged", entity=f"CallLight/{call_id}", outcome="success" if outcome.sent else "failure",
                 detail=f"call {call_id}: page {outcome.page_id} to {form.nurse.data}")
    notice = Notice("ok", "Nurse paged", outcome.message) if outcome.sent else \
        Notice("warning" if outcome.page_id else "error", "Not paged yet" if outcome.page_id else "Not paged",
               outcome.message)
    return _page([notice], highlight=call_id)


@bp.post("/<int:call_id>/answered")
@roles_required(*KEEPERS, what="record an answered call")
def answered(call_id: int) -> Response:
    call = _call(call_id)
    if not AnswerForm().validate():
        return _page([Notice("error", "Not recorded", "The form has expired; try again.")], status=422)
    staff = current_staff()
    if not answer(database(), call_id, "kiosk", staff.display_name, utcnow()):
        return _page([Notice("info", "Answered already", f"The call from {call.bed_name} was answered already.")],
                     highlight=call_id, status=409)
    audit.record("call-answered", entity=f"CallLight/{call_id}", detail=f"call {call_id} answered, recorded at the "
                                                                        "kiosk")
    return _page([Notice("ok", "Answered", f"The call from {call.bed_name} is answered.")], highlight=call_id)


# ---------------------------------------------------------------- figures


@bp.get("/figures")
def figures() -> str:
    calls_settings = config().settings
    now = utcnow()
    key = request.args.get("shift")
    shift = shift_by_key(key, calls_settings) if key else shift_at(now, calls_settings)
    if shift is None:
        abort(404, description="There is no such shift.")
    found = shift_figures(shift, calls_in(database(), shift))
    audit.record("view-call-figures", detail=f"call-light figures, {shift.key}")
    return render_template("calls/figures.html", figures=found, chart=chart(found),
                           shifts=recent_shifts(now, calls_settings, 8))


# ---------------------------------------------------------------- the nurse-call system


def _json(data: dict[str, object], status: int) -> Response:
    response = make_response(json.dumps(data), status)
    response.headers["Content-Type"] = "application/json"
    return response


def _refuse(status: int, reason: str) -> Response:
    audit.record("call-refused", outcome="failure", detail=f"nurse-call webhook refused ({status}): {reason}"[:300])
    return _json({"result": "refused", "reason": reason}, status)


@bp.post("/webhook")
@public
@csrf.exempt
def webhook() -> Response:
    """{"event": "call", "id": ..., "bed": "<bed identifier>", "reason": "pain"} or
    {"event": "cleared", "id": ..., "by": "<who, optional>"}, signed with KIOSK_CALLS_WEBHOOK_SECRET."""
    cfg = config()
    body = request.get_data(cache=True)
    if not cfg.webhook_secret:
        return _refuse(503, "This kiosk takes no calls from a nurse-call system (KIOSK_CALLS_WEBHOOK_SECRET is "
                            "not set).")
    try:
        verify(cfg.webhook_secret, request.headers, body, max_skew_seconds=cfg.settings.max_skew_seconds)
    except BadSignature as e:
        return _refuse(401, e.message)
    try:
        data = json.loads(body)
        event, call_key = str(data["event"]), str(data["id"])[:64]
    except (ValueError, KeyError, TypeError):
        return _refuse(400, "The body must be JSON with event and id.")
    if event == "cleared":
        call_id = find_external(database(), "nurse-call", call_key)
        if call_id is None:
            return _refuse(404, "No such call.")
        by = data.get("by") if isinstance(data.get("by"), str) else None
        if not answer(database(), call_id, "bedside", (by or "Nurse at the bedside")[:120], utcnow()):
            return _json({"result": "already answered", "call": call_id}, 200)
        audit.record("call-answered", entity=f"CallLight/{call_id}", detail=f"call {call_id} cleared at the bedside")
        return _json({"result": "answered", "call": call_id}, 200)
    if event != "call":
        return _refuse(400, f"Unknown event {event[:20]!r} (call or cleared).")
    reason_text, bed_text = str(data.get("reason", "")), str(data.get("bed", ""))
    if reason_text not in {r.value for r in Reason}:
        return _refuse(422, f"Unknown reason {reason_text[:20]!r}.")
    if not BED_IDENTIFIER.match(bed_text):
        return _refuse(422, "The bed is not an identifier.")
    try:
        bed = bed_by_identifier(gateway(), bed_text)
    except FhirError:
        return _refuse(503, "The FHIR server could not be asked which bed that is; send the call again.")
    if bed is None:
        return _refuse(422, f"No bed {bed_text[:20]} is known.")
    call_id, new = raise_call(database(), NewCall("nurse-call", call_key, settings().station.id, bed.ref, bed.name,
                                                  Reason(reason_text), utcnow()))
    if not new:
        return _json({"result": "known", "call": call_id}, 200)
    audit.record("call-raised", entity=f"CallLight/{call_id}",
                 detail=f"call {call_id} from {bed.ref} ({reason_text}) by the nurse-call system")
    return _json({"result": "raised", "call": call_id}, 201)
