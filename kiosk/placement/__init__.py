"""Bed placement: bed requests for the unit (from the ED, recovery, another unit, a direct admission)
with the patient's needs, the charge nurse's screen that suggests the beds that fit and assigns one (the
bed board's reservation and the request's Task accepted, in one transaction) or declines with a reason,
and the sending side's page of a request's status. ServiceRequest + Task on the FHIR server
(kiosk/placement/fhir.py); nothing in the kiosk's database."""

from __future__ import annotations

from flask import Flask

from kiosk.nav import HomePanel, add_home_panel

from .fhir import Systems, open_requests
from .seeding import Admission, admission_transaction

__all__ = ["Admission", "Systems", "admission_transaction", "open_requests", "register"]


def register(app: Flask) -> None:
    from .views import bp

    app.register_blueprint(bp)
    add_home_panel(app, HomePanel("placement.home_panel", order=12))
