"""The hospital view. Thin: read, render.

- GET /hospital/        every unit's counts (everyone signed in)
- GET /hospital/units   the cards, polled
- GET /hospital/home    the home screen's link panel
"""

from __future__ import annotations

from flask import Blueprint, render_template

from kiosk.extensions import gateway
from kiosk.fhir.errors import FhirError
from kiosk.polling import polled

from .services import HospitalView, hospital_view

bp = Blueprint("hospital", __name__, url_prefix="/hospital")

REFRESH_SECONDS = 30


def _view() -> tuple[HospitalView | None, str | None]:
    try:
        return hospital_view(gateway()), None
    except FhirError as e:
        return None, e.message


@bp.get("/")
def page() -> str:
    view, error = _view()
    return render_template("hospital/page.html", view=view, error=error, refresh_seconds=REFRESH_SECONDS)


@bp.get("/units")
@polled("the hospital view")
def units_fragment() -> str:
    return render_template("hospital/_units.html", view=hospital_view(gateway()))


@bp.get("/home")
def home_panel() -> str:
    return render_template("hospital/_home_panel.html")
