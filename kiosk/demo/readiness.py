"""Room readiness in every state for the demo's 4 West, on top of the demo hospital:

- the clean utility counted at par (so a room's supply bins can be ready);
- the patients coming to reserved beds: one with an isolation alert (the isolation cart joins their
  checklist), one with a bariatric Flag (the bariatric bed joins theirs);
- the planned admission that had no bed gets a reservation on a bed still waiting for housekeeping;
- ticks: the first reserved bed is ready, the second is part done, the dirty one has none yet.

Idempotent: flags are conditional creates, a reservation already made and ticks or counts already
recorded are left alone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kiosk.fhir import builders as b
from kiosk.fhir import codes
from kiosk.fhir.census import unit_census
from kiosk.fhir.change import edit
from kiosk.fhir.client import Transaction, identifier_query
from kiosk.fhir.movements import cleaning_jobs
from kiosk.readiness import READINESS_FILE, Ticker, latest_ticks, record_tick
from kiosk.supplies import bins_below_reorder, count_location

from .extras import DemoContext
from .hospital import DEMO_RECORD_SYSTEM

TICKED_BY = "Dana Reyes"
#: The items ticked on the ready bed, and on the part-done one.
READY_TICKS = ("suction", "oxygen", "bed", "isolation-cart")
PART_TICKS = ("suction",)


def _count_supplies(ctx: DemoContext, location: str, now: datetime) -> str:
    found = bins_below_reorder(location, now, settings=ctx.settings, database=ctx.database)
    if not found.known or not found.not_counted:
        return f"{found.name} already counted"
    saved = count_location(ctx.settings, ctx.database, location, counted_by=TICKED_BY, now=now)
    return f"{saved} bins of {found.name} counted at par"


def _reserve_a_dirty_bed(ctx: DemoContext) -> str:
    """Give the planned admission without a bed a reservation on a bed housekeeping has not cleaned yet."""
    gw = ctx.gateway
    census = unit_census(gw)
    beds = {bed.reference for bed in census.beds}
    waiting = [e for e in census.encounters if e.status == "planned"
               and not any(loc.location in beds for loc in e.locations_with("planned", "reserved"))]
    jobs = cleaning_jobs(census.tasks)
    dirty = [bed for bed in census.beds if bed.operational_status == codes.BED_HOUSEKEEPING
             and not any(j.status == "in-progress" for j in jobs.get(bed.reference, []))]
    if not waiting or not dirty:
        return "no bed to reserve"
    encounter, version = edit(gw.client.read("Encounter", waiting[0].id))
    encounter["location"] = [*encounter.get("location", []), b.encounter_location(dirty[0].reference, "reserved")]
    gw.client.update(encounter, version=version)
    return f"bed {dirty[0].name} reserved while waiting for housekeeping"


def _alerts(ctx: DemoContext, patients: list[tuple[str, str, str]]) -> int:
    """(patient reference, kind, text) -> the Flags, each created once."""
    system = codes.local_system(ctx.settings.identifiers.code_systems, codes.ALERT_CONCEPT)
    tx = Transaction()
    for patient, kind, text in patients:
        category, code = (codes.FLAG_ISOLATION, "isolation-contact") if kind == "isolation" else ("clinical", kind)
        key = f"readiness-{patient.replace('/', '-')}-{code}"
        tx.create(b.alert_flag(patient=patient, category=category, code=code, text=text, alert_system=system,
                               ident=b.identifier(DEMO_RECORD_SYSTEM, key)),
                  if_none_exist=identifier_query(DEMO_RECORD_SYSTEM, key))
    return sum(1 for r in ctx.gateway.client.transaction(tx) if r.created) if len(tx) else 0


def seed(ctx: DemoContext) -> str:
    now = datetime.now(UTC).replace(microsecond=0)
    settings = READINESS_FILE.read(ctx.settings)
    lines = [_count_supplies(ctx, code, now - timedelta(minutes=30)) for code in settings.default_supplies]
    lines.append(_reserve_a_dirty_bed(ctx))
    census = unit_census(ctx.gateway)
    reserved = [(bed, e) for bed in census.beds for e in census.encounters if e.status == "planned"
                and any(loc.location == bed.reference for loc in e.locations_with("reserved", "planned"))]
    clean = [(bed, e) for bed, e in reserved if bed.operational_status == codes.BED_UNOCCUPIED]
    wanted = []
    if clean and clean[0][1].patient:
        wanted.append((clean[0][1].patient, "isolation", "Contact isolation (MRSA)"))
    if len(clean) > 1 and clean[1][1].patient:
        wanted.append((clean[1][1].patient, "bariatric", "Bariatric: bed and lift needed"))
    flags = _alerts(ctx, wanted)
    pairs = [(bed.id, e.id) for bed, e in reserved]
    done = latest_ticks(ctx.database, pairs, now - settings.valid_for)
    who = Ticker(ctx.settings.station.id, None, TICKED_BY)
    ticks = 0
    for (bed, encounter), items in zip(clean, (READY_TICKS, PART_TICKS), strict=False):
        for item in items:
            if (bed.id, encounter.id, item) not in done:
                record_tick(ctx.database, bed.id, encounter.id, item, True, who, now - timedelta(minutes=10))
                ticks += 1
    return f"readiness: {'; '.join(lines)}; {flags} alerts created; {ticks} checklist items ticked."
