from __future__ import annotations

from flask import Blueprint, current_app, render_template, url_for

from kiosk.extensions import gateway
from kiosk.polling import polled

from .services import UnitSummary, unit_summary

bp = Blueprint("home", __name__)


def _summary() -> UnitSummary:
    """The unit's counts; each leads to the bed board where the kiosk has one."""
    board = url_for("beds.board") if "beds.board" in current_app.view_functions else None
    return unit_summary(gateway(), board)


@bp.get("/")
def index() -> str:
    return render_template("home/page.html", summary=_summary())


@bp.get("/home/summary")
@polled("the unit's counts")
def summary() -> str:
    """The counts alone, polled by the home page (htmx)."""
    return render_template("home/_summary.html", summary=_summary())
