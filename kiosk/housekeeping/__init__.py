"""Housekeeping jobs: the unit's cleaning jobs (the bed-cleaning Tasks the bed movements create) on a
phone-sized page for housekeeping staff (start, done) and a full-size list for the desk (make stat),
who is cleaning on the bed board's tiles, and the turnaround figures per kind of clean."""

from __future__ import annotations

from flask import Flask

from kiosk.auth import Role
from kiosk.nav import (
    BedMark,
    HomePanel,
    NavItem,
    PanelSection,
    UnitBeds,
    add_bed_marks,
    add_home_panel,
    add_nav,
    add_panel_section,
)

__all__ = ["register"]


def _marks(beds: UnitBeds) -> dict[str, list[BedMark]]:
    from .services import marks_for_beds

    return marks_for_beds(beds)


def register(app: Flask) -> None:
    from .views import bp

    app.register_blueprint(bp)
    add_nav(app, NavItem("housekeeping.jobs", "My jobs", "Cleaning jobs of the unit", "bed", order=5,
                         roles=(Role.HOUSEKEEPER,)))
    add_home_panel(app, HomePanel("housekeeping.home_panel", order=20))
    add_bed_marks(app, _marks)
    add_panel_section(app, PanelSection("housekeeping.bed_section", needs="bed", order=15,
                                        roles=(Role.UNIT_SECRETARY, Role.CHARGE_NURSE, Role.ADMINISTRATOR)))
