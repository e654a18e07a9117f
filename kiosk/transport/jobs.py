"""Scheduled job: escalate transport jobs waiting for a transporter past their target, and page the
transport dispatcher once for each (see kiosk/transport/escalation.py). Registered in
kiosk/scheduler/registry.py, scheduled in config/scheduler.toml; config/transport.toml is read afresh
each run."""

from __future__ import annotations

from kiosk.fhir.errors import FhirNotAllowed
from kiosk.scheduler.context import JobContext

from .escalation import escalate, page_dispatcher
from .settings import TRANSPORT_FILE


def escalate_transport(ctx: JobContext) -> str:
    """One line for the log: how many jobs were raised, are still raised and were cleared, and what
    came of paging the dispatcher."""
    now = ctx.clock()
    try:
        run = escalate(ctx.gateway, ctx.database, now)
    except FhirNotAllowed as e:
        return f"Nothing to escalate: {e.message}"
    dispatch = page_dispatcher(ctx.settings, ctx.gateway, ctx.database, run,
                               TRANSPORT_FILE.read(ctx.settings).dispatcher_role, now)
    line = f"{run.line()} {dispatch.line()}"
    if run.raised or run.cleared or dispatch.paged or dispatch.not_paged or dispatch.closed:
        ctx.log.info(line)
    return line
