"""Armbands and labels: preview from the bytes that print, verified barcodes, a print queue that loses nothing."""

from flask import Flask

from kiosk.nav import NavItem, PatientLink, add_nav, add_patient_link

from .printing import check_at_start
from .views import bp


def register(app: Flask) -> None:
    check_at_start(app)
    app.register_blueprint(bp)
    add_nav(app, NavItem("labels.queue", "Labels", "Armbands, chart and specimen labels; the print queue", "tag",
                         order=60))
    add_patient_link(app, PatientLink("labels.patient", "Print armband / labels", order=60))
