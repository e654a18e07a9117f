"""Discharge-ready milestones on the bed board's panel. Thin: parse, call the services, render.

- GET  /discharge/section/<bed_id>   the milestones of the bed's patient, a section of the panel
- POST /discharge/section/<bed_id>   tick or untick a milestone; answers with the section as it is now
"""

from __future__ import annotations

from flask import Blueprint, abort, make_response, render_template
from werkzeug.wrappers import Response

from kiosk import audit
from kiosk.auth import Role, current_staff, has_role, roles_required
from kiosk.auth.roles import roles_phrase
from kiosk.census import shared_census
from kiosk.checklists import Ticker, utc_now
from kiosk.extensions import database, gateway, settings
from kiosk.fhir.errors import FhirError
from kiosk.fhir.records import FHIR_ID, EncounterRecord
from kiosk.settings_files import settings_of
from kiosk.web import Notice

from .forms import MilestoneForm
from .services import latest_ticks, occupant, record_tick, stay_milestones
from .settings import DISCHARGE_FILE

bp = Blueprint("discharge", __name__, url_prefix="/discharge")

#: Who may tick a milestone; everyone signed in may look.
TICKERS = (Role.UNIT_SECRETARY, Role.CHARGE_NURSE, Role.NURSE)


def _occupant(bed_id: str) -> tuple[str, EncounterRecord | None]:
    """The bed in words ('bed 4W-401', for the audit trail) and the patient in it now, from the shared
    census (no request when the unit did not change)."""
    if not FHIR_ID.match(bed_id):
        abort(404)
    census = shared_census(gateway())
    bed = next((b for b in census.beds if b.id == bed_id), None)
    return (f"bed {bed.name}" if bed else "bed"), occupant(census, bed_id)


def _render(bed_id: str, notice: Notice | None = None, status: int = 200) -> Response:
    error = None
    stay = None
    try:
        _, patient = _occupant(bed_id)
    except FhirError as e:
        patient, error = None, e.message
    if patient is not None:
        ticks = latest_ticks(database(), [patient.id])
        stay = stay_milestones(settings_of(DISCHARGE_FILE), patient.id, ticks)
    cannot = None if has_role(*TICKERS) else f"Only {roles_phrase(TICKERS)} ticks a milestone."
    html = render_template("discharge/_section.html", bed_id=bed_id, stay=stay, error=error, notice=notice,
                           cannot=cannot)
    return make_response(html, status)


@bp.get("/section/<bed_id>")
def section(bed_id: str) -> Response:
    return _render(bed_id)


@bp.post("/section/<bed_id>")
@roles_required(*TICKERS, what="tick a discharge milestone")
def tick(bed_id: str) -> Response:
    form = MilestoneForm()
    if not form.validate():
        return _render(bed_id, Notice("error", "Not saved", form.first_error()), 422)
    milestone = settings_of(DISCHARGE_FILE).milestone(form.milestone.data or "")
    if milestone is None:
        return _render(bed_id, Notice("error", "Not saved", "That is not a milestone of the list."), 422)
    try:
        label, current = _occupant(bed_id)
    except FhirError as e:
        return _render(bed_id, Notice("error", "Not saved", f"{e.message} Nothing was saved."), 502)
    if current is None or current.id != form.encounter.data:
        audit.record("discharge-milestone", entity=f"Location/{bed_id}", entity_label=label, outcome="failure",
                     detail=f"{milestone.key}: the patient in the bed changed, nothing saved")
        return _render(bed_id, Notice("conflict", "Changed at another station",
                                      "The patient in this bed changed since the list was shown. Nothing was "
                                      "saved; here is the list as it is now."), 409)
    staff = current_staff()
    done = form.done.data == "yes"
    record_tick(database(), current.id, bed_id, milestone.key, done,
                Ticker(settings().station.id, str(staff.id), staff.display_name), utc_now())
    word = "ticked" if done else "unticked"
    audit.record("discharge-milestone", patient=current.patient, entity=f"Location/{bed_id}", entity_label=label,
                 detail=f"{milestone.key} {word} for Encounter/{current.id}")
    return _render(bed_id, Notice("ok", "Saved", f"{milestone.label}: {word} by {staff.display_name}."))
