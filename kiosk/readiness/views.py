"""Room readiness pages. Thin: parse, call the services, render.

- GET  /readiness/                   every bed someone is coming to, with its checklist's state
- GET  /readiness/bed/<id>           one bed's checklist (who ticked what, and when)
- POST /readiness/bed/<id>/tick      tick or untick an item; answers with the checklist as it is now
- GET  /readiness/section/<id>       the bed's readiness, a section of the bed board's panel
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, make_response, render_template
from werkzeug.wrappers import Response

from kiosk import audit
from kiosk.auth import Role, current_staff, has_role, roles_required
from kiosk.auth.roles import roles_phrase
from kiosk.census import shared_census
from kiosk.checklists import Ticker, utc_now
from kiosk.extensions import database, gateway, settings
from kiosk.fhir.census import Census, unit_census
from kiosk.fhir.errors import FhirError
from kiosk.fhir.gateway import FhirGateway
from kiosk.fhir.records import FHIR_ID
from kiosk.settings_files import settings_of
from kiosk.supplies import bins_below_reorder
from kiosk.web import Notice, page_or_fragment

from .forms import TickForm
from .services import BedReadiness, record_tick, unit_readiness
from .settings import READINESS_FILE, ReadinessSettings

bp = Blueprint("readiness", __name__, url_prefix="/readiness")

#: Who may tick a checklist; everyone signed in may look.
TICKERS = (Role.UNIT_SECRETARY, Role.CHARGE_NURSE, Role.NURSE, Role.NURSING_ASSISTANT)


def _settings() -> ReadinessSettings:
    return settings_of(READINESS_FILE)


def _unit(read: Callable[[FhirGateway], Census] = shared_census) -> tuple[str, list[BedReadiness]]:
    """The unit's name and its beds' readiness. The pages and the bed board's panel section read the
    shared census (kiosk.census): no census request while nothing changed on the unit. A tick reads the
    census from the server (`unit_census`): it checks that the patient coming to the bed is still the
    one the checklist showed, and the shared census may be as old as census.trust_seconds."""
    census = read(gateway())
    return census.unit.name, unit_readiness(census, _settings(), database(), bins_below_reorder, utc_now())


def _cannot() -> str | None:
    return None if has_role(*TICKERS) else f"You can look here; only {roles_phrase(TICKERS)} ticks a checklist."


@bp.get("/")
def index() -> str:
    try:
        unit_name, beds = _unit()
        error = None
    except FhirError as e:
        unit_name, beds, error = "", [], e.message
    return render_template("readiness/page.html", unit_name=unit_name, beds=beds, error=error)


def _bed(bed_id: str, read: Callable[[FhirGateway], Census] = shared_census) -> tuple[str, BedReadiness | None]:
    if not FHIR_ID.match(bed_id):
        abort(404)
    unit_name, beds = _unit(read)
    return unit_name, next((b for b in beds if b.bed_id == bed_id), None)


def _checklist(bed_id: str, notice: Notice | None = None, status: int = 200) -> Response:
    try:
        unit_name, bed = _bed(bed_id)
    except FhirError as e:
        unit_name, bed = "", None
        notice = Notice("error", "The checklist is not available", e.message)
    html = page_or_fragment("readiness/bed.html", "readiness/_checklist.html", unit_name=unit_name, bed=bed,
                            notice=notice, cannot=_cannot(), form=TickForm())
    return make_response(html, status)


@bp.get("/bed/<bed_id>")
def bed(bed_id: str) -> Response:
    return _checklist(bed_id)


@bp.post("/bed/<bed_id>/tick")
@roles_required(*TICKERS, what="tick a readiness checklist")
def tick(bed_id: str) -> Response:
    form = TickForm()
    if not form.validate():
        return _checklist(bed_id, Notice("error", "Not saved", form.first_error()), 422)
    try:
        _, current = _bed(bed_id, unit_census)
    except FhirError as e:
        return _checklist(bed_id, Notice("error", "Not saved", f"{e.message} Nothing was saved."), 502)
    item = _settings().item(form.item.data or "")
    if item is None or item.check != "person":
        return _checklist(bed_id, Notice("error", "Not saved", "That is not an item a person ticks."), 422)
    if current is None or current.encounter_id != form.encounter.data:
        audit.record("readiness-check", entity=f"Location/{bed_id}", outcome="failure",
                     detail=f"{item.key}: the patient coming to the bed changed, nothing saved")
        return _checklist(bed_id, Notice("conflict", "Changed at another station",
                                         "The patient coming to this bed changed since the checklist was shown. "
                                         "Nothing was saved; here is the checklist as it is now."), 409)
    staff = current_staff()
    done = form.done.data == "yes"
    record_tick(database(), bed_id, current.encounter_id, item.key, done,
                Ticker(settings().station.id, str(staff.id), staff.display_name), utc_now())
    audit.record("readiness-check", patient=current.patient, entity=f"Location/{bed_id}",
                 detail=f"{item.key} {'checked' if done else 'unticked'} for Encounter/{current.encounter_id}")
    word = "checked" if done else "unticked"
    return _checklist(bed_id, Notice("ok", "Saved", f"{item.label}: {word} by {staff.display_name}."))


@bp.get("/section/<bed_id>")
def section(bed_id: str) -> str:
    try:
        _, found = _bed(bed_id)
        error = None
    except FhirError as e:
        found, error = None, e.message
    return render_template("readiness/_section.html", bed=found, bed_id=bed_id, error=error)
