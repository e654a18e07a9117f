"""Discharge-ready milestones of the patients in the unit's beds: the configured list (config/discharge.toml)
with the newest tick of each milestone for the stay, who made it and when. Nothing here asks the FHIR
server anything: the census comes from the caller (the bed board's marks get it with `UnitBeds`, the panel
section reads the shared census, which costs nothing when the unit did not change)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from kiosk import timeutil
from kiosk.checklists import Tick, Ticker
from kiosk.db import Database
from kiosk.fhir import codes
from kiosk.fhir.census import Census
from kiosk.fhir.records import EncounterRecord
from kiosk.nav import BedMark, UnitBeds

from .models import DischargeMilestoneTick
from .settings import DischargeSettings, Milestone

READY = "Ready to go"


@dataclass(frozen=True)
class MilestoneState:
    milestone: Milestone
    done: bool
    #: 'Ticked by Dana R. at 14:02', 'Unticked by ...', 'Not yet.'
    note: str


@dataclass(frozen=True)
class StayMilestones:
    encounter_id: str
    states: tuple[MilestoneState, ...]

    @property
    def done(self) -> int:
        return sum(1 for s in self.states if s.done)

    @property
    def total(self) -> int:
        return len(self.states)

    @property
    def ready(self) -> bool:
        return self.done == self.total

    @property
    def summary(self) -> str:
        """'Ready to go' or '2 of 5'."""
        return READY if self.ready else f"{self.done} of {self.total}"

    @property
    def mark(self) -> BedMark:
        if self.ready:
            return BedMark("discharge", READY)
        missing = ", ".join(s.milestone.label.lower() for s in self.states if not s.done)
        return BedMark("discharge", f"Home {self.done}/{self.total}", detail=f"Discharge {self.summary}: {missing}")


def occupant(census: Census, bed_id: str) -> EncounterRecord | None:
    """The stay in the bed now (an admitted encounter whose active location is the bed), as the board
    shows it; None for an empty bed or a bed not on the unit."""
    bed = next((b for b in census.beds if b.id == bed_id), None)
    if bed is None:
        return None
    return next((e for e in census.encounters if e.status in codes.ADMITTED_ENCOUNTER_STATUSES
                 and any(loc.status == "active" and loc.location == bed.reference for loc in e.locations)), None)


def latest_ticks(database: Database, encounter_ids: Iterable[str]) -> dict[tuple[str, str], Tick]:
    """(encounter id, milestone key) -> its newest tick, for these encounters, in one query."""
    wanted = sorted(set(encounter_ids))
    if not wanted:
        return {}
    with database.session() as db:
        rows = db.scalars(select(DischargeMilestoneTick)
                          .where(DischargeMilestoneTick.encounter_id.in_(wanted))
                          .order_by(DischargeMilestoneTick.id))
        return {(r.encounter_id, r.milestone_key): Tick(r.done, r.ticked_by, r.ticked_at) for r in rows}


def record_tick(database: Database, encounter_id: str, bed_id: str, key: str, done: bool, who: Ticker,
                now: datetime) -> None:
    with database.session() as db:
        db.add(DischargeMilestoneTick(encounter_id=encounter_id, bed_id=bed_id, milestone_key=key, done=done,
                                      ticked_at=now, staff_id=who.staff_id, ticked_by=who.name,
                                      station=who.station))


def stay_milestones(settings: DischargeSettings, encounter_id: str,
                    ticks: dict[tuple[str, str], Tick]) -> StayMilestones:
    states = []
    for milestone in settings.milestones:
        tick = ticks.get((encounter_id, milestone.key))
        if tick is None:
            states.append(MilestoneState(milestone, False, "Not yet."))
            continue
        verb = "Ticked" if tick.done else "Unticked"
        when = timeutil.local(tick.at).strftime("%H:%M")
        states.append(MilestoneState(milestone, tick.done, f"{verb} by {tick.by or 'the station'} at {when}."))
    return StayMilestones(encounter_id, tuple(states))


def marks_for(beds: UnitBeds, settings: DischargeSettings, database: Database) -> dict[str, list[BedMark]]:
    """The milestone count of each occupied bed ('Home 2/5', 'Ready to go'), in one query. A stay with no
    tick at all gets no mark (a patient just admitted is not 'Home 0/5')."""
    stays = {bed: encounter.removeprefix("Encounter/") for bed, (_, encounter) in beds.occupants.items()
             if encounter}
    ticks = latest_ticks(database, stays.values())
    ticked = {encounter for encounter, _ in ticks}
    return {bed: [stay_milestones(settings, encounter, ticks).mark]
            for bed, encounter in stays.items() if encounter in ticked}
