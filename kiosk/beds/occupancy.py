"""Who is in which bed, worked out from a census: the bed's operationalStatus (v2-0116) and the
encounters' location entries. Where the two disagree the bed carries a data-quality warning;
nothing is "fixed" here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import Enum

from kiosk import timeutil
from kiosk.fhir import codes
from kiosk.fhir.census import Census
from kiosk.fhir.movements import cleaning_jobs, current_job
from kiosk.fhir.records import EncounterRecord, LocationRecord, TaskRecord

#: Encounter statuses in which the patient is physically on the unit.
PRESENT_STATUSES = codes.ADMITTED_ENCOUNTER_STATUSES


class BedState(Enum):
    OCCUPIED = "occupied"
    AVAILABLE = "available"
    RESERVED = "reserved"
    HOUSEKEEPING = "housekeeping"
    CLEANING = "cleaning"
    ISOLATED = "isolated"
    CONTAMINATED = "contaminated"
    CLOSED = "closed"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        return {
            BedState.OCCUPIED: "Occupied",
            BedState.AVAILABLE: "Available",
            BedState.RESERVED: "Reserved",
            BedState.HOUSEKEEPING: "Dirty",
            BedState.CLEANING: "Cleaning",
            BedState.ISOLATED: "Isolated",
            BedState.CONTAMINATED: "Contaminated",
            BedState.CLOSED: "Blocked",
            BedState.UNKNOWN: "Status unknown",
        }[self]


STATE_BY_CODE = {
    codes.BED_OCCUPIED: BedState.OCCUPIED,
    codes.BED_UNOCCUPIED: BedState.AVAILABLE,
    codes.BED_HOUSEKEEPING: BedState.HOUSEKEEPING,
    codes.BED_ISOLATED: BedState.ISOLATED,
    codes.BED_CONTAMINATED: BedState.CONTAMINATED,
    codes.BED_CLOSED: BedState.CLOSED,
}


@dataclass
class BedOccupancy:
    bed: LocationRecord
    room: LocationRecord | None
    state: BedState
    occupants: list[EncounterRecord] = field(default_factory=list)
    reserved_for: list[EncounterRecord] = field(default_factory=list)
    #: The cleaning job the bed shows (in progress, else the newest) and all its open ones.
    cleaning: TaskRecord | None = None
    cleaning_jobs: list[TaskRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: Why nothing may be done to this bed from the kiosk (it or its room is out of service on the
    #: server, or a record carries a modifier extension the kiosk does not understand), if so.
    hands_off: str | None = None

    @property
    def occupant(self) -> EncounterRecord | None:
        return self.occupants[0] if self.occupants else None


def _is_present(encounter: EncounterRecord) -> bool:
    return encounter.status in PRESENT_STATUSES


def bed_occupancy(census: Census) -> list[BedOccupancy]:
    """One entry per bed of the unit, in bed order."""
    occupants: dict[str, list[EncounterRecord]] = {}
    reserved: dict[str, list[EncounterRecord]] = {}
    for enc in census.encounters:
        for loc in enc.locations:
            if loc.status == "active" and _is_present(enc):
                _add_once(occupants.setdefault(loc.location, []), enc)
            elif loc.status in ("reserved", "planned"):
                _add_once(reserved.setdefault(loc.location, []), enc)
    jobs = cleaning_jobs(census.tasks)
    bed_names = {bed.reference: bed.name for bed in census.beds}
    beds_of_patient: dict[str, list[str]] = {}
    for ref, encounters in occupants.items():
        if ref in bed_names:
            for enc in encounters:
                if enc.patient:
                    _add_once(beds_of_patient.setdefault(enc.patient, []), ref)

    result = []
    for bed in census.beds:
        ref = bed.reference
        here = occupants.get(ref, [])
        state = STATE_BY_CODE.get(bed.operational_status or "", BedState.UNKNOWN)
        room = census.room_of(bed)
        if not bed.in_service or (room is not None and not room.in_service):
            state = BedState.CLOSED
        occ = BedOccupancy(bed=bed, room=room, state=state, occupants=here,
                           reserved_for=reserved.get(ref, []), cleaning=current_job(jobs.get(ref, [])),
                           cleaning_jobs=jobs.get(ref, []))
        if not bed.in_service:
            occ.hands_off = f"This bed is {bed.status} on the FHIR server itself; it is managed there."
        elif room is not None and not room.in_service:
            occ.hands_off = f"Room {room.name} is {room.status} on the FHIR server; its beds are managed there."
        if state is BedState.AVAILABLE and occ.reserved_for:
            occ.state = BedState.RESERVED
        # Dirty or contaminated, with housekeeping at work: cleaning (and not offered to start again).
        if state in (BedState.HOUSEKEEPING, BedState.CONTAMINATED) and occ.cleaning \
                and occ.cleaning.status == "in-progress":
            occ.state = BedState.CLEANING
        for record in census.unreadable_at.get(ref, []):
            occ.warnings.append(f"A record about this bed ({record}) could not be read from the FHIR server; "
                                "what this bed shows may be incomplete.")
        for enc in occ.occupants:
            others = [bed_names[r] for r in beds_of_patient.get(enc.patient or "", []) if r != ref]
            if others:
                occ.warnings.append(f"This patient is also recorded in bed {', '.join(others)}: two open stays "
                                    "in two beds. Check the patient's encounters in the EHR.")
        _warn(occ)
        _modifiers(occ, census)
        for enc in [*occ.occupants, *occ.reserved_for]:
            patient = census.patients.get(enc.patient or "")
            if patient is not None and patient.nameless:
                occ.warnings.append("This patient has no name recorded on the FHIR server: identify them by MRN "
                                    "and date of birth, and have the name recorded in the EHR.")
        occ.warnings = list(dict.fromkeys(occ.warnings))
        result.append(occ)
    return result


def _add_once(items: list, item: object) -> None:  # type: ignore[type-arg]
    """An encounter with two entries for one bed is one occupant, and a warning is said once."""
    if item not in items:
        items.append(item)


MODIFIER_TEXT = ("carries a modifier extension the kiosk does not understand (it may change what the record "
                 "means): check it in the EHR. Nothing can be changed here until then.")


def _modifiers(occ: BedOccupancy, census: Census) -> None:
    """R4 forbids ignoring an unknown modifierExtension: the bed says so and offers no action."""
    records: list[tuple[str, bool]] = [("The bed's record", occ.bed.modifier)]
    for enc in [*occ.occupants, *occ.reserved_for]:
        patient = census.patients.get(enc.patient or "")
        records += [("The patient's stay", enc.modifier), ("The patient's record", bool(patient and patient.modifier))]
        records += [("An alert of the patient", f.modifier) for f in census.flags.get(enc.patient or "", [])]
    records += [("The bed's cleaning job", t.modifier) for t in occ.cleaning_jobs]
    for what, flagged in records:
        if flagged:
            occ.warnings.append(f"{what} {MODIFIER_TEXT}")
            occ.hands_off = occ.hands_off or f"{what} must be checked in the EHR first."


def _warn(occ: BedOccupancy) -> None:
    code = occ.bed.operational_status
    if code is None:
        occ.warnings.append("This bed has no bed status on the FHIR server.")
    elif code not in codes.BED_STATUS_DISPLAY:
        occ.warnings.append(f"This bed's status code '{code}' is not a v2-0116 bed status.")
    if len(occ.occupants) > 1:
        occ.warnings.append(f"{len(occ.occupants)} patients are recorded in this bed at once.")
    if code == codes.BED_OCCUPIED and not occ.occupants:
        occ.warnings.append("Marked occupied, but no patient is recorded in this bed.")
    if occ.occupants and code in (codes.BED_UNOCCUPIED, codes.BED_HOUSEKEEPING, codes.BED_CLOSED,
                                  codes.BED_CONTAMINATED):
        occ.warnings.append(
            f"A patient is recorded in this bed, but the bed is marked {codes.BED_STATUS_DISPLAY[code].lower()}."
        )
    if len(occ.reserved_for) > 1:
        occ.warnings.append(f"{len(occ.reserved_for)} patients have this bed reserved or planned.")


class BedCount(Enum):
    """The five counts that share out every bed of the unit, in the words home and board both use."""

    OCCUPIED = "Occupied"
    AVAILABLE = "Available"
    RESERVED = "Reserved"
    DIRTY = "Dirty / cleaning"
    BLOCKED = "Blocked"

    @property
    def key(self) -> str:
        """The CSS name of the count ('housekeeping' for dirty / cleaning, as the bed colours say)."""
        return "housekeeping" if self is BedCount.DIRTY else self.name.lower()


@dataclass(frozen=True)
class CountTile:
    key: str
    label: str
    number: int
    sub: str | None


def counted_as(occ: BedOccupancy) -> BedCount:
    """Which count a bed is in: a bed with a patient is occupied whatever its status says; an empty
    isolated bed, or one without a valid status, cannot take a patient and counts as blocked."""
    if occ.occupants or occ.state is BedState.OCCUPIED:
        return BedCount.OCCUPIED
    return {
        BedState.AVAILABLE: BedCount.AVAILABLE,
        BedState.RESERVED: BedCount.RESERVED,
        BedState.HOUSEKEEPING: BedCount.DIRTY,
        BedState.CLEANING: BedCount.DIRTY,
        BedState.CONTAMINATED: BedCount.DIRTY,
    }.get(occ.state, BedCount.BLOCKED)


@dataclass(frozen=True)
class UnitCounts:
    """Every bed in exactly one of occupied, available, reserved, housekeeping (dirty / cleaning) and
    blocked; the isolation and discharge figures are sub-counts, pending admissions are patients."""

    occupied: int
    available: int
    housekeeping: int
    blocked: int
    reserved: int
    pending_admissions: int
    total_beds: int
    #: Occupied beds in isolation (a sub-line of occupied) and empty isolated beds (counted as blocked).
    isolated_occupied: int = 0
    isolated_empty: int = 0
    #: Beds without a valid bed status (counted as blocked).
    status_unknown: int = 0
    expected_discharges_today: int = 0
    expected_discharges_tomorrow: int = 0
    expected_discharges_later: int = 0

    @property
    def isolated(self) -> int:
        return self.isolated_occupied + self.isolated_empty

    def of(self, count: BedCount) -> int:
        return {BedCount.OCCUPIED: self.occupied, BedCount.AVAILABLE: self.available,
                BedCount.RESERVED: self.reserved, BedCount.DIRTY: self.housekeeping,
                BedCount.BLOCKED: self.blocked}[count]

    def sub_line(self, count: BedCount) -> str | None:
        """The small print under a count: how many of the occupied are isolated, what is blocked."""
        if count is BedCount.OCCUPIED and self.isolated_occupied:
            return f"{self.isolated_occupied} isolated"
        if count is BedCount.BLOCKED:
            parts = [f"{self.isolated_empty} isolated, empty"] if self.isolated_empty else []
            parts += [f"{self.status_unknown} no status"] if self.status_unknown else []
            return "; ".join(parts) or None
        return None

    @property
    def partition(self) -> list[CountTile]:
        """The five counts, in order, for home and board alike."""
        return [CountTile(c.key, c.value, self.of(c), self.sub_line(c)) for c in BedCount]

    @property
    def discharges_line(self) -> str:
        """'6 today, 2 tomorrow' (today includes overdue ones)."""
        parts = [f"{self.expected_discharges_today} today", f"{self.expected_discharges_tomorrow} tomorrow"]
        if self.expected_discharges_later:
            parts.append(f"{self.expected_discharges_later} later")
        return ", ".join(parts)


def pending_admissions(census: Census) -> list[EncounterRecord]:
    """Encounters planned for this unit (a planned entry on the unit, or a reserved/planned bed) that
    are not yet present here."""
    here = unit_places(census)
    out = []
    for enc in census.encounters:
        if enc.status != "planned":
            continue
        if any(loc.location in here and loc.status in ("planned", "reserved") for loc in enc.locations):
            out.append(enc)
    return out


def unit_places(census: Census) -> set[str]:
    """References of the unit, its rooms and its beds."""
    return {census.unit.reference, *(r.reference for r in census.rooms), *(b.reference for b in census.beds)}


def present_here(census: Census) -> list[tuple[EncounterRecord, str]]:
    """(encounter, bed reference) of every patient in a bed of this unit."""
    beds = {b.reference for b in census.beds}
    out = []
    for enc in census.encounters:
        if not _is_present(enc):
            continue
        bed = next((loc.location for loc in enc.locations_with("active") if loc.location in beds), None)
        if bed:
            out.append((enc, bed))
    return out


@dataclass(frozen=True)
class PlannedMove:
    """A patient in one place with a bed planned or reserved in another."""

    encounter: EncounterRecord
    from_location: str | None
    to_location: str


def transfers_out(census: Census) -> list[PlannedMove]:
    """Patients in a bed of this unit with another bed planned or reserved (on this unit or elsewhere)."""
    out = []
    rooms = {r.reference for r in census.rooms}
    for enc, bed in present_here(census):
        target = next((loc.location for loc in enc.locations_with("planned", "reserved")
                       if loc.location != bed and loc.location != census.unit.reference
                       and loc.location not in rooms), None)
        if target:
            out.append(PlannedMove(enc, bed, target))
    return out


def transfers_in(census: Census) -> list[PlannedMove]:
    """Patients admitted elsewhere (another unit) with a place on this unit planned or reserved."""
    here = unit_places(census)
    out = []
    for enc in census.encounters:
        if not _is_present(enc):
            continue
        active = [loc.location for loc in enc.locations_with("active")]
        if any(ref in here for ref in active):
            continue
        target = next((loc.location for loc in enc.locations_with("planned", "reserved") if loc.location in here),
                      None)
        if target:
            out.append(PlannedMove(enc, active[-1] if active else None, target))
    return out


def expected_discharges(census: Census) -> list[tuple[EncounterRecord, str]]:
    """Patients in a bed of this unit with an expected discharge date, soonest first."""
    found = [(enc, bed) for enc, bed in present_here(census) if enc.planned_end is not None]
    found.sort(key=lambda pair: (pair[0].planned_end or date.max, pair[1]))
    return found


def local_today(now: datetime | None = None) -> date:
    return timeutil.today(now)


def unit_counts(census: Census, beds: list[BedOccupancy] | None = None, today: date | None = None) -> UnitCounts:
    beds = bed_occupancy(census) if beds is None else beds
    today = today or local_today()
    counted = [counted_as(b) for b in beds]

    def count(which: BedCount) -> int:
        return counted.count(which)

    expected = [enc.planned_end for enc, _ in expected_discharges(census) if enc.planned_end is not None]
    isolated = [b for b in beds if b.state is BedState.ISOLATED]
    return UnitCounts(
        occupied=count(BedCount.OCCUPIED),
        available=count(BedCount.AVAILABLE),
        housekeeping=count(BedCount.DIRTY),
        blocked=count(BedCount.BLOCKED),
        reserved=count(BedCount.RESERVED),
        pending_admissions=len(pending_admissions(census)),
        total_beds=len(beds),
        isolated_occupied=sum(1 for b in isolated if counted_as(b) is BedCount.OCCUPIED),
        isolated_empty=sum(1 for b in isolated if counted_as(b) is not BedCount.OCCUPIED),
        status_unknown=sum(1 for b, c in zip(beds, counted, strict=True)
                           if b.state is BedState.UNKNOWN and c is BedCount.BLOCKED),
        expected_discharges_today=sum(1 for day in expected if day <= today),
        expected_discharges_tomorrow=sum(1 for day in expected if day == today + timedelta(days=1)),
        expected_discharges_later=sum(1 for day in expected if day > today + timedelta(days=1)),
    )
