"""Scheduler jobs: send waiting audit rows to the FHIR server as AuditEvents; check the hash chain."""

from __future__ import annotations

from typing import Any

from kiosk.scheduler.context import JobFailed

from .chain import verify
from .fhir import send_pending


def send_audit_events(ctx: Any) -> str:
    """`ctx` is the scheduler's JobContext (settings, database, gateway, log)."""
    return send_pending(ctx.database.session, ctx.gateway, ctx.settings.station.name).summary()


def verify_audit_chain(ctx: Any) -> str:
    """A broken chain fails the run: its summary (no patient data) is what administrators are shown."""
    with ctx.database.session() as db:
        report = verify(db)
    if not report.ok:
        ctx.log.error("%s", report.summary())
        more = f" (and {len(report.problems) - 1} more problem(s))" if len(report.problems) > 1 else ""
        raise JobFailed(report.problems[0] + more)
    return report.summary()
