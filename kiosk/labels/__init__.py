"""Armbands and labels: preview from the bytes that print, verified barcodes, a print queue that loses nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask

from kiosk.nav import NavItem, PatientLink, add_nav, add_patient_link

from .views import bp


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav(app, NavItem("labels.queue", "Labels", "Armbands, chart and specimen labels; the print queue", "tag",
                         order=60))
    add_patient_link(app, PatientLink("labels.patient", "Print armband / labels", order=60))


def printed_at(tokens: list[str]) -> dict[str, datetime]:
    """For print forms other workflows filled in (kiosk.labels.views.specimen, by their one-time token):
    when the job each one made was confirmed printed (UTC). Tokens without a printed job are left out."""
    from kiosk.extensions import database

    from .models import JobStatus, PrintJob

    if not tokens:
        return {}
    with database().session() as session:
        rows = session.query(PrintJob.print_token, PrintJob.updated_at).filter(
            PrintJob.print_token.in_(tokens), PrintJob.status == JobStatus.PRINTED.value).all()
    return {str(token): when.replace(tzinfo=UTC) for token, when in rows if token}
