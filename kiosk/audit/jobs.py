"""Scheduler job: send waiting audit rows to the FHIR server as AuditEvents."""

from __future__ import annotations

from typing import Any

from .services import send_pending


def send_audit_events(ctx: Any) -> str:
    """`ctx` is the scheduler's JobContext (settings, database, gateway, log)."""
    return send_pending(ctx.database.session, ctx.gateway, ctx.settings.station.name).summary()
