"""Discharge-ready milestones (config/discharge.toml: ride home arranged, prescriptions ready, teaching
done...), ticked from the bed board's panel with who and when; "Ready to go" when all are ticked. The count
("Home 2/5") is a mark on the occupied tile. The ticks are the kiosk's own operational state, in its
database (docs/decisions.md)."""

from __future__ import annotations

from flask import Flask

from kiosk.checklists import Ticker
from kiosk.nav import BedMark, UnitBeds

from .services import READY, latest_ticks, record_tick
from .settings import DISCHARGE_FILE


def discharge_marks(beds: UnitBeds) -> dict[str, list[BedMark]]:
    """The bed mark source (kiosk.nav.add_bed_marks): no FHIR request, one query for the ticks."""
    from kiosk.extensions import database
    from kiosk.settings_files import settings_of

    from .services import marks_for

    return marks_for(beds, settings_of(DISCHARGE_FILE), database())


def register(app: Flask) -> None:
    from kiosk.nav import PanelSection, add_bed_marks, add_panel_section
    from kiosk.settings_files import register_settings

    from .views import bp

    register_settings(app, DISCHARGE_FILE)
    app.register_blueprint(bp)
    add_bed_marks(app, discharge_marks)
    add_panel_section(app, PanelSection("discharge.section", needs="bed", order=25))


__all__ = ["DISCHARGE_FILE", "READY", "Ticker", "discharge_marks", "latest_ticks", "record_tick", "register"]
