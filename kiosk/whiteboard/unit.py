"""Who is where on the unit, as the whiteboard needs it, read from a census (plain data in and out).

Each bed: the patient in it (an admitted encounter whose entry for the bed is active), and who is
coming to it (a planned or reserved entry: a planned admission, or a patient on another unit with a
transfer planned here). Patients planned for the unit without a bed are listed too. The bed board
keeps its own, fuller reading (states, warnings, the five counts); this one is what a whiteboard and
an assignment need.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from kiosk.fhir import codes
from kiosk.fhir.arrivals import expected_in_beds
from kiosk.fhir.census import Census
from kiosk.fhir.movements import cleaning_jobs
from kiosk.fhir.records import EncounterRecord, LocationRecord
from kiosk.nav import UnitBeds

#: How an empty bed is called on the whiteboard, by its v2-0116 status.
EMPTY_WORDS = {codes.BED_UNOCCUPIED: "empty", codes.BED_HOUSEKEEPING: "dirty", codes.BED_CONTAMINATED: "dirty",
               codes.BED_ISOLATED: "isolated", codes.BED_CLOSED: "blocked", codes.BED_OCCUPIED: "empty"}


@dataclass
class UnitBed:
    bed: LocationRecord
    room: LocationRecord | None
    label: str
    present: EncounterRecord | None = None
    incoming: list[EncounterRecord] = field(default_factory=list)
    cleaning: bool = False

    @property
    def encounter(self) -> EncounterRecord | None:
        """The patient a bed's care team is for: the one in it, else the first one coming to it."""
        return self.present or (self.incoming[0] if self.incoming else None)

    @property
    def empty_word(self) -> str:
        if self.bed.status != "active":
            return "blocked"
        if self.cleaning and self.bed.operational_status in (codes.BED_HOUSEKEEPING, codes.BED_CONTAMINATED):
            return "cleaning"
        return EMPTY_WORDS.get(self.bed.operational_status or "", "status?")


@dataclass
class UnitView:
    census: Census
    beds: list[UnitBed]
    #: Planned admissions to the unit with no bed here yet.
    unplaced: list[EncounterRecord]

    @property
    def encounters(self) -> list[EncounterRecord]:
        """Every encounter a care team can be for: patients in beds and those coming to one."""
        seen: dict[str, EncounterRecord] = {}
        for bed in self.beds:
            for enc in [bed.present, *bed.incoming]:
                if enc is not None:
                    seen.setdefault(enc.id, enc)
        return list(seen.values())

    def bed(self, bed_id: str) -> UnitBed | None:
        return next((b for b in self.beds if b.bed.id == bed_id), None)

    def unit_beds(self) -> UnitBeds:
        """What other workflows' bed marks are given (kiosk.nav.UnitBeds), as the bed board gives it."""
        occupants = {b.bed.reference: (b.present.patient, b.present.reference) if b.present else (None, None)
                     for b in self.beds}
        incoming = {b.bed.reference: [e.reference for e in b.incoming] for b in self.beds}
        return UnitBeds(unit_id=self.census.unit.id, occupants=occupants, incoming=incoming, census=self.census)

    def going_home(self, today: date) -> list[UnitBed]:
        """Beds whose patient is expected to go home today (or was, and is still here)."""
        return [b for b in self.beds if b.present and b.present.planned_end and b.present.planned_end <= today]

    def coming_in(self) -> list[tuple[EncounterRecord, UnitBed | None]]:
        """Everyone expected: to their bed, then those with no bed yet."""
        found: list[tuple[EncounterRecord, UnitBed | None]] = [(e, b) for b in self.beds for e in b.incoming]
        return found + [(e, None) for e in self.unplaced]


def bed_label(bed_name: str, room_name: str | None) -> str:
    """'405A' for bed '4W-405A' in 'Room 405'; a name that does not follow the pattern stays whole."""
    number = room_name.removeprefix("Room ").strip() if room_name else ""
    if number and number in bed_name:
        return bed_name[bed_name.index(number):]
    return bed_name


def unit_view(census: Census) -> UnitView:
    beds = {b.reference for b in census.beds}
    places = {census.unit.reference, *(r.reference for r in census.rooms), *beds}
    present: dict[str, EncounterRecord] = {}
    for enc in census.encounters:
        active_here = [loc.location for loc in enc.locations_with("active") if loc.location in beds]
        if enc.status in codes.ADMITTED_ENCOUNTER_STATUSES and active_here:
            present.setdefault(active_here[0], enc)
    incoming = expected_in_beds(census)
    placed = {e.id for found in incoming.values() for e in found}
    unplaced = [enc for enc in census.encounters if enc.status == "planned" and enc.id not in placed
                and any(loc.location in places for loc in enc.locations_with("planned", "reserved"))]
    jobs = cleaning_jobs(census.tasks)
    rows = []
    for bed in census.beds:
        room = census.room_of(bed)
        rows.append(UnitBed(bed=bed, room=room, label=bed_label(bed.name, room.name if room else None),
                            present=present.get(bed.reference), incoming=incoming.get(bed.reference, []),
                            cleaning=any(t.status == "in-progress" for t in jobs.get(bed.reference, []))))
    return UnitView(census, rows, unplaced)
