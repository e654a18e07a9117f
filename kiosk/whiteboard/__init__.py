"""The unit whiteboard: each patient's care team, the shift's nurse and aide assignments (CareTeam on
the FHIR server, one transaction per save), and the station's large screen that shows them with the
charge nurse, the counts, who goes home and who is coming in."""

from __future__ import annotations

from flask import Flask

from .assign import AssignScreen
from .services import Chooser, assign_shift, bed_nurses, care_team_panel, load_assign_screen, load_whiteboard
from .settings import WHITEBOARD_FILE, WhiteboardSettings
from .teams import CHARGE_NURSE, NURSE, NURSING_ASSISTANT, SNOMED


def register(app: Flask) -> None:
    from kiosk.census import census_store
    from kiosk.extensions import gateway
    from kiosk.nav import NavItem, PanelSection, add_bed_assignments, add_nav, add_panel_section
    from kiosk.settings_files import register_settings, settings_of

    from .services import AssignmentsOfTheShift
    from .views import bp

    register_settings(app, WHITEBOARD_FILE)
    app.register_blueprint(bp)
    add_nav(app, NavItem("whiteboard.index", "Whiteboard", "Care teams, the shift's assignments, the station screen",
                         "clipboard", order=20))
    add_panel_section(app, PanelSection("whiteboard.care_team", needs="patient", order=10))
    # The call lights page "the nurse of this bed": this shift's assignments say who that is (on the
    # shared census: who is in which bed costs no census request while the unit did not change).
    assignments = AssignmentsOfTheShift(lambda: bed_nurses(gateway(), settings_of(WHITEBOARD_FILE),
                                                           store=census_store()))
    app.extensions["whiteboard.assignments"] = assignments
    add_bed_assignments(app, assignments)


__all__ = ["CHARGE_NURSE", "NURSE", "NURSING_ASSISTANT", "SNOMED", "WHITEBOARD_FILE", "AssignScreen", "Chooser",
           "WhiteboardSettings", "assign_shift", "bed_nurses", "care_team_panel", "load_assign_screen",
           "load_whiteboard", "register"]
