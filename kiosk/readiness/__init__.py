"""Room readiness: a checklist per bed before an admission or transfer in (config/readiness.toml), from the
housekeeping state on the FHIR server, the supplies counts and the ticks of the unit's staff, with who
ticked what and when. Its state ("Ready", "2 of 5: O2, suction") is a mark on the bed board's tiles and
the whiteboard's beds, and a section of the bed board's panel."""

from __future__ import annotations

from flask import Flask

from kiosk.checklists import Ticker
from kiosk.nav import BedMark, UnitBeds

from .services import latest_ticks, record_tick
from .settings import READINESS_FILE


def readiness_marks(beds: UnitBeds) -> dict[str, list[BedMark]]:
    """The bed mark source (kiosk.nav.add_bed_marks): no FHIR request (the census comes with `beds`), one
    query for the ticks and one per supply location for the bins."""
    from kiosk.checklists import utc_now
    from kiosk.extensions import database
    from kiosk.settings_files import settings_of
    from kiosk.supplies import bins_below_reorder

    from .services import marks_for

    return marks_for(beds, settings_of(READINESS_FILE), database(), bins_below_reorder, utc_now())


def register(app: Flask) -> None:
    from kiosk.nav import NavItem, PanelSection, add_bed_marks, add_nav, add_panel_section
    from kiosk.settings_files import register_settings

    from .views import bp

    register_settings(app, READINESS_FILE)
    app.register_blueprint(bp)
    add_nav(app, NavItem("readiness.index", "Readiness", "Rooms ready for the patients coming in", "bed", order=55))
    add_bed_marks(app, readiness_marks)
    add_panel_section(app, PanelSection("readiness.section", needs="bed", order=20))


__all__ = ["READINESS_FILE", "Ticker", "latest_ticks", "readiness_marks", "record_tick", "register"]
