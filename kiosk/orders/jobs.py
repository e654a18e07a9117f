"""Scheduled job: count the unit's orders awaiting the provider's co-signature, and those past due
(kiosk/orders/models.py CosignCount), and keep the orders providers disagreed with until someone on the
unit marks them seen (kiosk/orders/disagreements.py), for the home screen. Registered in
kiosk/scheduler/registry.py, scheduled in config/scheduler.toml."""

from __future__ import annotations

from kiosk.census import CensusStore
from kiosk.config import Settings
from kiosk.fhir.errors import FhirNotAllowed
from kiosk.scheduler.context import JobContext

from .counts import store_count
from .disagreements import forget_seen, unit_disagreements
from .services import load_unit, past_due
from .settings import ORDERS_FILE


def preflight(settings: Settings) -> None:
    """At scheduler start: a wrong orders file or catalog stops start-up with its line."""
    ORDERS_FILE.read(settings)


def count_cosignatures(ctx: JobContext) -> str:
    """One line for the log: how many co-signatures wait on the unit, how many are past due, and how many
    orders providers disagreed with nobody on the unit has marked seen (found and kept for the home
    screen, kiosk.orders.disagreements)."""
    settings = ORDERS_FILE.read(ctx.settings)
    try:
        found = load_unit(ctx.gateway, settings)
    except FhirNotAllowed as e:
        return f"Nothing to count: {e.message}"
    now = ctx.clock()
    awaiting, late = past_due(found, now)
    unit_key = ctx.settings.unit.location
    store_count(ctx.database, unit_key, awaiting, late, now)
    forget_seen(ctx.database, settings, now)
    census = CensusStore.of(ctx.database, ctx.clock, ctx.settings.census)
    told = unit_disagreements(ctx.gateway, ctx.database, settings, unit_key, now,
                              patients_here=lambda: census.patients(ctx.gateway))
    unseen = sum(1 for row in told.rows if row.seen_by is None)
    said = f" (disagreements not read from the server: {told.problem})" if told.problem else ""
    return (f"{awaiting} co-signatures awaiting, {late} past due, {unseen} disagreement{'' if unseen == 1 else 's'} "
            f"not yet seen{said}")
