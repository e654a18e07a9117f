"""The bed board: the unit's beds live from the FHIR server, with admit, transfer, discharge,
housekeeping, isolation and blocking, a corridor view, and armband scanning."""

from flask import Flask

from kiosk.nav import HomePanel, NavItem, add_home_panel, add_nav
from kiosk.settings_files import register_settings

from .occupancy import UnitCounts, unit_counts
from .settings import BEDS_FILE
from .views import bp

#: The bed board's counts, for other workflows' views of a unit (the hospital view).
__all__ = ["UnitCounts", "register", "unit_counts"]


def register(app: Flask) -> None:
    register_settings(app, BEDS_FILE)
    app.register_blueprint(bp)
    add_nav(app, NavItem(endpoint="beds.board", label="Bed board", icon="bed", order=10,
                         description="Beds, admissions, transfers, discharges and housekeeping"))
    add_home_panel(app, HomePanel("beds.home_counts", order=10))
