"""Scheduled job: count the unit's orders awaiting the provider's co-signature, and those past due, and
find the orders a provider disagreed with lately, for the home screen (kiosk/orders/models.py
CosignCount). Registered in kiosk/scheduler/registry.py, scheduled in config/scheduler.toml."""

from __future__ import annotations

from kiosk.config import Settings
from kiosk.fhir.errors import FhirNotAllowed
from kiosk.scheduler.context import JobContext

from .counts import store_count
from .services import load_disagreements, load_unit, past_due
from .settings import ORDERS_FILE


def preflight(settings: Settings) -> None:
    """At scheduler start: a wrong orders file or catalog stops start-up with its line."""
    ORDERS_FILE.read(settings)


def count_cosignatures(ctx: JobContext) -> str:
    """One line for the log: how many co-signatures wait on the unit and how many are past due."""
    settings = ORDERS_FILE.read(ctx.settings)
    try:
        found = load_unit(ctx.gateway, settings)
    except FhirNotAllowed as e:
        return f"Nothing to count: {e.message}"
    now = ctx.clock()
    awaiting, late = past_due(found, now)
    try:
        disagreed = [c.id for c in load_disagreements(ctx.gateway, settings, now).cosigns]
        said = f", {len(disagreed)} disagreed with in the last {settings.disagreement_hours} h"
    except FhirNotAllowed as e:
        disagreed, said = [], f" (disagreements not listed: {e.message})"
    store_count(ctx.database, ctx.settings.unit.location, awaiting, late, now, disagreed)
    return f"{awaiting} co-signatures awaiting, {late} past due{said}"
