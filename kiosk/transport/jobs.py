"""Scheduled job: escalate transport jobs waiting for a transporter past their target (see
kiosk/transport/escalation.py). Registered in kiosk/scheduler/registry.py, scheduled in
config/scheduler.toml."""

from __future__ import annotations

from datetime import UTC, datetime

from kiosk.fhir.errors import FhirNotAllowed
from kiosk.scheduler.context import JobContext

from .escalation import escalate


def escalate_transport(ctx: JobContext) -> str:
    """One line for the log: how many jobs were raised, are still raised and were cleared."""
    try:
        run = escalate(ctx.gateway, ctx.database, datetime.now(UTC))
    except FhirNotAllowed as e:
        return f"Nothing to escalate: {e.message}"
    if run.raised or run.cleared:
        ctx.log.info(run.line())
    return run.line()
