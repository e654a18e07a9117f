"""Scheduled job: the change check of the shared census (kiosk.census), in one place for every screen,
worker and instance. Registered in kiosk/scheduler/registry.py, scheduled in config/scheduler.toml."""

from __future__ import annotations

from kiosk.fhir.errors import FhirNotAllowed
from kiosk.scheduler.context import JobContext

from .store import CensusStore


def check_census(ctx: JobContext) -> str:
    """Look at the server's changes since the last look (one request) and read again, now, the censuses
    they touch, so that the screens' polls find them ready and make no FHIR request. Censuses last known
    current longer ago than census.downtime_keep_hours are deleted first (the downtime census's limit);
    a server that cannot be reached is recorded as such by the store (the boards show the kept census)."""
    census = ctx.settings.census
    store = CensusStore.of(ctx.database, ctx.clock, census)
    forgotten = store.forget_stale()
    if forgotten:
        ctx.log.info(f"{len(forgotten)} censuses older than {census.downtime_keep_hours} hours deleted")
    try:
        result = store.check(ctx.gateway, refresh=True)
    except FhirNotAllowed as e:
        return f"No census read again: {e.message}"
    if result.units:
        ctx.log.info(result.summary())
    return result.summary()
