from __future__ import annotations

from flask import Blueprint, render_template

from kiosk.extensions import gateway

from .services import unit_summary

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> str:
    return render_template("home/page.html", summary=unit_summary(gateway()))


@bp.get("/home/summary")
def summary() -> str:
    """The counts alone, polled by the home page (htmx)."""
    return render_template("home/_summary.html", summary=unit_summary(gateway()))
