"""`kiosk audit send`: send waiting audit rows to the FHIR server as AuditEvents."""

from __future__ import annotations

import click

from kiosk.cli_context import KioskContext, pass_kiosk


@click.group()
def audit() -> None:
    """The audit trail."""


@audit.command("send")
@pass_kiosk
def send(kiosk: KioskContext) -> None:
    """Send pending audit rows as AuditEvents where the server allows it."""
    from kiosk.db import Database
    from kiosk.fhir.gateway import FhirGateway

    from .fhir import send_pending

    database = Database(kiosk.settings.database_url)
    gw = FhirGateway.from_settings(kiosk.settings)
    try:
        report = send_pending(database.session, gw, kiosk.settings.station.name)
    finally:
        gw.close()
    click.echo(report.summary())


@audit.command("verify")
@pass_kiosk
def verify_chain(kiosk: KioskContext) -> None:
    """Check the audit trail's hash chain and triggers; exit 1 naming the first broken row."""
    from kiosk.db import Database

    from .chain import verify

    database = Database(kiosk.settings.database_url)
    try:
        with database.session() as db:
            report = verify(db)
    finally:
        database.dispose()
    click.echo(report.summary())
    for problem in report.problems[1:]:
        click.echo(f"  also: {problem}")
    if not report.ok:
        raise SystemExit(1)
