"""Armbands and labels: preview from the bytes that print, verified barcodes, a print queue that loses nothing."""

from __future__ import annotations

from datetime import UTC, datetime

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


def printed_at(tokens: list[str]) -> dict[str, tuple[str, datetime]]:
    """For print forms other workflows filled in (kiosk.labels.views.specimen, by their one-time token):
    the job each one made, as (its status in words, when it last changed, UTC), for jobs the printer has
    (sent or printed). Tokens without such a job are left out."""
    from kiosk.extensions import database

    from .models import JobStatus, PrintJob

    if not tokens:
        return {}
    shown = (JobStatus.SENT.value, JobStatus.PRINTED.value)
    with database().session() as session:
        rows = session.query(PrintJob.print_token, PrintJob.status, PrintJob.updated_at).filter(
            PrintJob.print_token.in_(tokens), PrintJob.status.in_(shown)).all()
    return {str(token): (JobStatus(status).label, when.replace(tzinfo=UTC)) for token, status, when in rows if token}
