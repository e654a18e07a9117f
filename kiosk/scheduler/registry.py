"""The jobs the scheduler knows. Adding one is one line here plus its schedule in config/scheduler.toml.

A job is a plain function `def job(ctx: JobContext) -> str` in its feature's `jobs.py`, returning a
one-line summary for the log (counts and ids, never patient data). It is named here by a dotted path
so that the web app, which only needs the names (to ask for a run), imports no job code.

`preflight`, when given, is called once with the kiosk's Settings when the scheduler starts, so that
a job's bad configuration stops start-up with its message instead of failing at the first run.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kiosk.config import ConfigError

if TYPE_CHECKING:
    from .context import JobContext


@dataclass(frozen=True)
class Job:
    name: str
    target: str
    description: str
    preflight: str | None = None


JOBS: tuple[Job, ...] = (
    Job("supply-check", "kiosk.supplies.jobs:run_supply_check",
        "Reorders supplies at or below their reorder point", preflight="kiosk.supplies.jobs:preflight"),
    Job("audit-events", "kiosk.audit.jobs:send_audit_events", "Sends waiting audit rows to the FHIR server"),
    Job("audit-verify", "kiosk.audit.jobs:verify_audit_chain", "Checks that no audit row was changed or removed"),
    Job("print-retry", "kiosk.labels.jobs:retry_print_queue", "Resends print jobs whose printer could not be reached"),
    Job("paging", "kiosk.paging.jobs:run_paging", "Resends pages, escalates unanswered ones, records them on FHIR",
        preflight="kiosk.paging.jobs:preflight"),
    Job("call-emergencies", "kiosk.calls.jobs:escalate_emergency_calls",
        "Pages the bed's nurse for an emergency call nobody answered or paged in time",
        preflight="kiosk.calls.jobs:preflight"),
    Job("census-check", "kiosk.census.jobs:check_census",
        "Looks for changes on the FHIR server and reads again the unit censuses they touch"),
    Job("push-subscriptions", "kiosk.push.jobs:keep_push_subscriptions",
        "Keeps the kiosk's subscriptions on the FHIR server, so that it hears of changes at once"),
    Job("transport-escalation", "kiosk.transport.jobs:escalate_transport",
        "Raises transport jobs nobody accepted within their target"),
    Job("orders-cosign", "kiosk.orders.jobs:count_cosignatures",
        "Counts orders awaiting the provider's co-signature and those past due",
        preflight="kiosk.orders.jobs:preflight"),
)


def job_names() -> list[str]:
    return [job.name for job in JOBS]


def find(name: str) -> Job | None:
    return next((job for job in JOBS if job.name == name), None)


def load(path: str) -> Callable[..., Any]:
    """'package.module:function' -> the function; a wrong path is a ConfigError naming it."""
    module_name, _, attr = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise ConfigError(f"Scheduled job code {path} cannot be imported ({e}).") from None
    target = getattr(module, attr, None)
    if not callable(target):
        raise ConfigError(f"Scheduled job code {path} names nothing callable in {module_name}.")
    return target


def job_function(job: Job) -> Callable[[JobContext], str]:
    return load(job.target)
