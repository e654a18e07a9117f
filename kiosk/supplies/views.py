from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from kiosk import audit
from kiosk.auth import Role, current_staff, roles_required
from kiosk.extensions import database, gateway, settings
from kiosk.polling import polled
from kiosk.scheduler import requests
from kiosk.settings_files import settings_of
from kiosk.web import is_htmx

from .config import SUPPLIES_FILE, SuppliesConfig, SupplyLocation
from .counts import Counter, record_counts
from .forms import check_codes, count_form
from .services import JOB, count_screen, open_reorders, supplies_page, zero_alert

bp = Blueprint("supplies", __name__, url_prefix="/supplies")

#: Counting and asking for a check are the unit's work; providers see the page only.
COUNTERS = (Role.UNIT_SECRETARY, Role.CHARGE_NURSE, Role.ADMINISTRATOR)


def config() -> SuppliesConfig:
    return settings_of(SUPPLIES_FILE)


def _location(code: str) -> SupplyLocation:
    location = config().par.location(code)
    if location is None:
        abort(404, description=f"There is no supply location {code} on this unit's par list.")
    return location


@bp.get("/")
def index() -> str:
    page = supplies_page(config(), database(), gateway())
    return render_template("supplies/page.html", page=page, counted=request.args.get("counted"))


@bp.get("/count/<code>")
def count(code: str) -> str:
    location = _location(code)
    return render_template("supplies/count.html", screen=count_screen(config(), database(), location),
                           form=count_form(location))


@bp.post("/count/<code>")
@roles_required(*COUNTERS, what="save a supply count")
def save_count(code: str) -> Response | tuple[str, int]:
    location = _location(code)
    form = count_form(location, request.form)
    valid = form.validate()
    problem = check_codes(form, location)
    if not valid or problem:
        screen = count_screen(config(), database(), location, typed=form.typed(), errors=form.errors_by_item(),
                              problem=problem or _refusal(form.errors_by_item()))
        return render_template("supplies/count.html", screen=screen, form=form), 422
    staff = current_staff()
    saved = record_counts(database(), location, form.quantities(),
                          Counter(station=settings().station.id, staff_id=str(staff.id), name=staff.display_name),
                          datetime.now(UTC))
    audit.record("supply-count", detail=f"{location.code}: {saved} item(s) counted")
    return redirect(url_for("supplies.index", counted=location.code))


def _refusal(errors: dict[str, str]) -> str:
    n = len(errors)
    return (f"Nothing was saved: {n} count{'s' if n != 1 else ''} need{'s' if n == 1 else ''} fixing "
            "(marked below). What you typed is kept.")


@bp.post("/check")
@roles_required(*COUNTERS, what="ask for a supply check")
def run_check() -> str | Response:
    """Ask the scheduler to run its supply check now (the web never runs the job itself)."""
    staff = current_staff()
    asked = requests.ask(database(), JOB, requested_by=staff.display_name, station=settings().station.id)
    audit.record("supply-check", detail=f"asked the scheduler to check now (request #{asked.id})")
    if not is_htmx():
        return redirect(url_for("supplies.index"))
    return render_template("supplies/_check_request.html", asked=asked)


@bp.get("/check/<int:request_id>")
@polled("the supply check")
def check_status(request_id: int) -> str:
    asked = requests.get(database(), request_id)
    if asked is None or asked.job != JOB:
        abort(404, description="There is no such supply check request.")
    if asked.is_open:
        return render_template("supplies/_check_request.html", asked=asked)
    page = supplies_page(config(), database(), gateway())
    return render_template("supplies/_check_answered.html", asked=asked, page=page)


@bp.get("/reorders")
def reorders() -> str:
    return render_template("supplies/_reorders.html", reorders=open_reorders(config(), database(), gateway()))


@bp.get("/alert")
@polled("the supply alert")
def alert() -> str:
    """The home screen's zero-stock alert, refreshed in place."""
    return render_template("supplies/_home_alert.html", supply_alert=zero_alert(config(), database()))
