"""Scheduled job: an emergency call nobody answered or paged by the stat page's first escalation step is
paged by itself (kiosk/calls/escalation.py). Registered in kiosk/scheduler/registry.py, scheduled in
config/scheduler.toml; config/calls.toml is read afresh each run."""

from __future__ import annotations

from kiosk import paging
from kiosk.config import ConfigError, Settings
from kiosk.scheduler.context import JobContext

from .escalation import escalate_emergencies
from .settings import CALLS_FILE


def _role(settings: Settings) -> str:
    calls = CALLS_FILE.read(settings)
    role = calls.settings.emergency_role
    on_call = paging.on_call_file(settings)
    if role and on_call.role(role) is None:
        raise ConfigError(f"config/calls.toml: emergency_role {role!r} is not a role in {on_call.source} "
                          f"(roles: {', '.join(r.key for r in on_call.roles) or 'none'}).")
    return role


def preflight(settings: Settings) -> None:
    """At scheduler start: a wrong calls file, or an emergency_role that is not on call, stops start-up."""
    _role(settings)


def escalate_emergency_calls(ctx: JobContext) -> str:
    """One line for the log: how many emergencies were paged, had no one to page, or wait to try again."""
    run = escalate_emergencies(ctx.settings, ctx.gateway, ctx.database, _role(ctx.settings), ctx.clock())
    line = run.line()
    if run.paged or run.nobody or run.waiting or run.closed:
        ctx.log.info(line)
    return line
