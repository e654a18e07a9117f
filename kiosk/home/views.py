"""The home screen: the panels workflows registered (kiosk.nav.HomePanel: the unit's counts, alerts),
and a tile for each workflow. Home imports no workflow: it renders what they registered."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from markupsafe import Markup

from kiosk.nav import home_panels
from kiosk.polling import polled

bp = Blueprint("home", __name__)


def _panels() -> list[Markup]:
    """Each registered panel, answered by its own view within this request."""
    return [Markup(current_app.view_functions[panel.endpoint]()) for panel in home_panels(current_app)]


@bp.get("/")
def index() -> str:
    return render_template("home/page.html", panels=_panels())


@bp.get("/home/summary")
@polled("the unit's counts")
def summary() -> str:
    """The panels alone, polled by the home page (htmx)."""
    return render_template("home/_panels.html", panels=_panels())
