"""The supply check as a scheduled job (see kiosk/scheduler/registry.py)."""

from __future__ import annotations

from kiosk.config import Settings
from kiosk.scheduler.context import JobContext, JobFailed

from .check import run_check
from .config import load_supplies
from .models import CheckOutcome


def preflight(settings: Settings) -> None:
    """At scheduler start: a wrong par-levels or supplies file stops start-up with its line."""
    load_supplies(settings)


def run_supply_check(ctx: JobContext) -> str:
    """Reorder what is at or below its reorder point; the files are read afresh each run, so an
    edited par list takes effect at the next check."""
    report = run_check(load_supplies(ctx.settings), database=ctx.database, gateway=ctx.gateway,
                       station=ctx.settings.station.id, trigger=ctx.trigger, requested_by=ctx.requested_by)
    if report.outcome in (CheckOutcome.FAILED, CheckOutcome.UNKNOWN):
        raise JobFailed(report.summary)
    return report.summary
