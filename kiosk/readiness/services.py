"""Room readiness: each bed a patient is coming to, with its checklist worked out from three sources:

- the FHIR server's census: whether the bed is clean (bed status U and no open cleaning job), and the
  incoming patient's alerts (an isolation alert brings the isolation cart onto the list, a bariatric
  Flag the bariatric bed);
- the supplies counts (`kiosk.supplies.bins_below_reorder`): the room's bins at or above their reorder point;
- the ticks people made at the kiosk (this package's table), each with who and when, counted while
  younger than `valid_for_hours` and only for the patient they were made for.

Nothing here asks the FHIR server anything: the census comes from the caller (the bed board's marks get
it with `UnitBeds.census`, the pages read it once).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from kiosk import timeutil
from kiosk.checklists import Tick, Ticker
from kiosk.db import Database
from kiosk.fhir import codes
from kiosk.fhir.arrivals import expected_in_beds
from kiosk.fhir.census import Census
from kiosk.fhir.movements import cleaning_jobs
from kiosk.fhir.records import EncounterRecord, LocationRecord
from kiosk.nav import BedMark, UnitBeds
from kiosk.supplies import LocationBins

from .models import ReadinessCheck
from .settings import ChecklistItem, ReadinessSettings

#: How many missing items a tile's mark names before "+n" (a tile of a two-bed room is narrow).
MARK_NAMES = 1


def latest_ticks(database: Database, beds: Iterable[tuple[str, str]], since: datetime
                 ) -> dict[tuple[str, str, str], Tick]:
    """(bed id, encounter id, item key) -> its newest tick since `since`, for these (bed, encounter) pairs,
    in one query."""
    wanted = set(beds)
    if not wanted:
        return {}
    with database.session() as db:
        rows = db.scalars(select(ReadinessCheck).where(
            ReadinessCheck.bed_id.in_(sorted({b for b, _ in wanted})), ReadinessCheck.checked_at >= since
        ).order_by(ReadinessCheck.id))
        return {(r.bed_id, r.encounter_id, r.item_key): Tick(r.done, r.checked_by, r.checked_at)
                for r in rows if (r.bed_id, r.encounter_id) in wanted}


def record_tick(database: Database, bed_id: str, encounter_id: str, item_key: str, done: bool, who: Ticker,
                now: datetime) -> None:
    with database.session() as db:
        db.add(ReadinessCheck(bed_id=bed_id, encounter_id=encounter_id, item_key=item_key, done=done,
                              checked_at=now, staff_id=who.staff_id, checked_by=who.name, station=who.station))


# ---------------------------------------------------------------- a bed's checklist


@dataclass(frozen=True)
class ItemState:
    item: ChecklistItem
    done: bool
    #: What stands behind it: 'Checked by Dana R. at 14:02', 'Dirty since 13:40', 'Below reorder point: ...'.
    note: str

    @property
    def tickable(self) -> bool:
        return self.item.check == "person"


@dataclass(frozen=True)
class BedReadiness:
    bed_id: str
    bed_ref: str
    bed_name: str
    room_number: str
    encounter_id: str
    patient: str | None  # 'Patient/<id>', for the audit trail
    coming: str  # 'Admission' or 'Transfer in'
    items: tuple[ItemState, ...]

    @property
    def done(self) -> int:
        return sum(1 for i in self.items if i.done)

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def ready(self) -> bool:
        return self.done == self.total

    @property
    def missing(self) -> list[ItemState]:
        return [i for i in self.items if not i.done]

    @property
    def summary(self) -> str:
        """'Ready' or '2 of 5'."""
        return "Ready" if self.ready else f"{self.done} of {self.total}"

    @property
    def missing_text(self) -> str:
        """'O2, suction +1': what the tile says is missing."""
        names = [i.item.short for i in self.missing]
        more = len(names) - MARK_NAMES
        return ", ".join(names[:MARK_NAMES]) + (f" +{more}" if more > 0 else "")

    @property
    def mark(self) -> BedMark:
        if self.ready:
            return BedMark("readiness", "Ready")
        every = ", ".join(i.item.short for i in self.missing)
        return BedMark("readiness", f"{self.summary}: {self.missing_text}", detail=f"{self.summary}: {every}")


def _time(moment: datetime) -> str:
    return timeutil.local(moment).strftime("%H:%M")


def _clean(census: Census, bed: LocationRecord) -> tuple[bool, str]:
    jobs = cleaning_jobs(census.tasks).get(bed.reference, [])
    status = bed.operational_status
    if bed.status != "active" or status == codes.BED_CLOSED:
        return False, "The bed is blocked."
    if any(j.status == "in-progress" for j in jobs):
        return False, "Being cleaned."
    if status in (codes.BED_HOUSEKEEPING, codes.BED_CONTAMINATED):
        since = next((j.authored_on for j in jobs if j.authored_on), None)
        return False, "Waiting for housekeeping" + (f" since {_time(since)}." if since else ".")
    if status == codes.BED_UNOCCUPIED and jobs:
        return False, "A cleaning job is still open."
    if status == codes.BED_UNOCCUPIED:
        return True, "Clean (housekeeping)."
    if status == codes.BED_OCCUPIED:
        return False, "A patient is still in the bed."
    if status == codes.BED_ISOLATED:
        return False, "Isolated: it needs a terminal clean."
    return False, "The bed has no bed status on the FHIR server."


def _supplies(codes_: tuple[str, ...], bins: Callable[[str], LocationBins]) -> tuple[bool, str]:
    if not codes_:
        return True, "No supply bins are listed for this room."
    notes: list[str] = []
    stocked = True
    for code in codes_:
        found = bins(code)
        if not found.known:
            stocked = False
            notes.append(f"{code} is not a supply location of the par list (config/readiness.toml).")
            continue
        if found.below:
            stocked = False
            notes.append(f"{found.name}: below reorder point: {', '.join(found.below[:3])}"
                         + (f" and {len(found.below) - 3} more" if len(found.below) > 3 else "") + ".")
        if found.not_counted:
            stocked = False
            notes.append(f"{found.name}: {len(found.not_counted)} bin(s) not counted recently.")
    names = ", ".join(bins(c).name for c in codes_)
    return stocked, " ".join(notes) if notes else f"Counted at or above reorder point ({names})."


def _needs(census: Census, encounter: EncounterRecord, settings: ReadinessSettings) -> set[str]:
    flags = census.flags.get(encounter.patient or "", [])
    needs = {"always"}
    if any(f.category == codes.FLAG_ISOLATION for f in flags):
        needs.add("isolation")
    if any(f.code in settings.bariatric_flag_codes for f in flags):
        needs.add("bariatric")
    return needs


def room_number(census: Census, bed: LocationRecord) -> str:
    room = census.room_of(bed)
    return room.name.removeprefix("Room ").strip() if room else bed.name


def bed_readiness(census: Census, bed: LocationRecord, encounter: EncounterRecord, settings: ReadinessSettings,
                  ticks: dict[tuple[str, str, str], Tick], bins: Callable[[str], LocationBins]) -> BedReadiness:
    needs = _needs(census, encounter, settings)
    number = room_number(census, bed)
    states = []
    for item in settings.items:
        if item.when not in needs:
            continue
        if item.check == "housekeeping":
            done, note = _clean(census, bed)
        elif item.check == "supplies":
            done, note = _supplies(settings.supplies_of(number), bins)
        else:
            tick = ticks.get((bed.id, encounter.id, item.key))
            if tick is None:
                done, note = False, "Not checked yet."
            else:
                verb = "Checked" if tick.done else "Unticked"
                done, note = tick.done, f"{verb} by {tick.by or 'the station'} at {_time(tick.at)}."
        states.append(ItemState(item, done, note))
    return BedReadiness(bed_id=bed.id, bed_ref=bed.reference, bed_name=bed.name, room_number=number,
                        encounter_id=encounter.id, patient=encounter.patient,
                        coming="Admission" if encounter.status == "planned" else "Transfer in", items=tuple(states))


def unit_readiness(census: Census, settings: ReadinessSettings, database: Database,
                   bins: Callable[[str], LocationBins], now: datetime,
                   coming: dict[str, list[EncounterRecord]] | None = None) -> list[BedReadiness]:
    """Every bed someone is coming to (the first of them, if several), in bed order: one query for the
    ticks, one per supply location for the bins."""
    coming = expected_in_beds(census) if coming is None else coming
    pairs = [(bed, coming[bed.reference][0]) for bed in census.beds if coming.get(bed.reference)]
    ticks = latest_ticks(database, [(b.id, e.id) for b, e in pairs], now - settings.valid_for)
    cached: dict[str, LocationBins] = {}

    def bins_once(code: str) -> LocationBins:
        if code not in cached:
            cached[code] = bins(code)
        return cached[code]

    return [bed_readiness(census, bed, enc, settings, ticks, bins_once) for bed, enc in pairs]


def marks_for(beds: UnitBeds, settings: ReadinessSettings, database: Database,
              bins: Callable[[str], LocationBins], now: datetime) -> dict[str, list[BedMark]]:
    """The readiness mark of each bed someone is coming to, as the bed board and the whiteboard show it.
    Needs the census the board was drawn from (nothing without it)."""
    census = beds.census
    if census is None:
        return {}
    by_id = {e.reference: e for e in census.encounters}
    coming = {bed: [by_id[ref] for ref in refs if ref in by_id] for bed, refs in beds.incoming.items() if refs}
    return {r.bed_ref: [r.mark] for r in unit_readiness(census, settings, database, bins, now, coming)}
