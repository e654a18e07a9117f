"""The bed board as view objects: tiles grouped by room, header counts and the side lists, built
from a census (plain data in, plain data out, so every rule here is unit-tested without a server).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from kiosk import timeutil
from kiosk.display import NAME_LIMIT, PLACE_LIMIT, bounded, is_too_long, last_first
from kiosk.fhir import codes
from kiosk.fhir.census import Census, natural_key
from kiosk.fhir.movements import blocked_reason
from kiosk.fhir.patients import initial_of
from kiosk.fhir.records import EncounterRecord, LocationRecord, PatientRecord, PersonName, TaskRecord, name_key
from kiosk.nav import BedMark, UnitBeds

from .occupancy import (
    BedOccupancy,
    BedState,
    PlannedMove,
    UnitCounts,
    bed_occupancy,
    expected_discharges,
    local_today,
    pending_admissions,
    present_here,
    transfers_in,
    transfers_out,
    unit_counts,
    unit_places,
)
from .settings import BedSettings

#: A symbol shown with each state's word, so the state never rests on colour alone.
STATE_ICONS = {
    BedState.OCCUPIED: "●",
    BedState.AVAILABLE: "✓",
    BedState.RESERVED: "➜",
    BedState.HOUSEKEEPING: "✗",
    BedState.CLEANING: "↻",
    BedState.ISOLATED: "◆",
    BedState.CONTAMINATED: "☣",
    BedState.CLOSED: "⊘",
    BedState.UNKNOWN: "?",
}

ENCOUNTER_WORDS = {"planned": "to be admitted", "arrived": "arrived", "triaged": "triaged", "in-progress": "admitted",
                   "onleave": "on leave", "finished": "discharged", "cancelled": "cancelled"}

SEX_LETTER = {"female": "F", "male": "M", "other": "X", "unknown": "U"}

#: A tile shows this many chips, then "+n" (the panel shows them all).
TILE_CHIPS = 2
#: Pixels the side lists share on a 1280x800 screen (the side column less the scan field, the unit's
#: name on two lines, the counts and the public view's link; measured in Chromium). A list longer than
#: its share shows "+n" in its head, which opens the whole list in the panel.
SIDE_LISTS_PX = 382
SIDE_ROW_PX = 51  # a patient row (48) and the gap under it
SAME_NAME_TEXT = "Same name as another patient on this unit: check name and date of birth"


@dataclass(frozen=True)
class FlagChip:
    kind: str  # name-alert | isolation | allergy | fall | other | edd | move
    label: str  # short, on the tile
    text: str  # full, in the panel
    ref: str | None = None  # 'Flag/<id>' for an alert recorded as a Flag
    version: str | None = None
    due: bool = False  # an expected discharge today or overdue


@dataclass(frozen=True)
class PatientSummary:
    """What the board shows of a patient (and, with mrn and birth date, the detail panel)."""

    encounter_id: str
    encounter_version: str | None
    encounter_status: str
    #: 'Patient/<id>' as the encounter names it (also when the Patient record itself is unreadable).
    patient_ref: str | None
    encounter_number: str | None
    patient_id: str | None
    name: str  # 'LAST, First Middle'
    short_name: str  # 'LAST, F.' on the tiles
    initials: str
    age: str
    sex: str
    birth_date: date | None
    birth_date_text: str | None
    mrn: str | None
    attending: str | None
    length_of_stay: str | None
    admitted_at: datetime | None
    #: The admission was recorded as a day without a time: shown as the day only.
    admitted_day_only: bool
    expected_discharge: date | None
    expected_label: str | None  # 'Today', 'Tomorrow', 'Fri 28 Nov', 'Overdue (Mon 24 Nov)'
    expected_short: str | None  # on the tile: 'today', 'tomorrow', '28 Nov', 'overdue'
    expected_due: bool  # today or overdue
    flags: tuple[FlagChip, ...]
    #: The record's name is longer than any real name (kiosk.display): shown cut, and marked so.
    name_too_long: bool = False
    #: The family name as recorded and the first given name's initial: what a find by name compares.
    family: str = ""
    given_initial: str | None = None

    @property
    def status_word(self) -> str:
        return ENCOUNTER_WORDS.get(self.encounter_status, self.encounter_status)

    @property
    def isolation(self) -> FlagChip | None:
        return next((f for f in self.flags if f.kind == "isolation"), None)

    @property
    def same_name(self) -> bool:
        return any(f.kind == "name-alert" for f in self.flags)

    @property
    def name_size(self) -> str:
        """A smaller type for a longer name on a tile, so that it takes one line where it can, two at
        most for any usual name, six for the longest (kiosk.display.NAME_LIMIT), and the family name is
        never cut."""
        if len(self.short_name) > 44:
            return "name-xxlong"
        if len(self.short_name) > 26:
            return "name-xlong"
        return "name-long" if len(self.short_name) > 11 else ""


@dataclass(frozen=True)
class HousekeepingTimer:
    minutes: int
    level: str  # ok | amber | red
    since: datetime
    cleaning: bool
    #: The minutes at which it turns amber, then red (the browser moves the timer on: kiosk/static/js/timers.js).
    amber: int = 45
    red: int = 90

    @property
    def label(self) -> str:
        return duration_text(self.minutes)

    @property
    def phrase(self) -> str:
        """'dirty for 18 min' or 'dirty just now', without the state word."""
        return f"for {self.label}" if self.minutes >= 1 else self.label


@dataclass
class BedTile:
    id: str
    ref: str
    version: str | None
    name: str
    label: str  # short name on the tile: '405A' for bed 4W-405A in room 405
    letter: str  # the bed within its room: 'A', 'B', or '' in a one-bed room
    room: str | None
    state: BedState
    icon: str
    patient: PatientSummary | None = None
    reserved_for: list[PatientSummary] = field(default_factory=list)
    timer: HousekeepingTimer | None = None
    cleaning_task: TaskRecord | None = None
    cleaning_tasks: list[TaskRecord] = field(default_factory=list)
    blocked_reason: str | None = None
    transfer_to: str | None = None
    #: The planned bed's reference ('Location/<id>'), for other workflows' links (a transport there).
    transfer_to_ref: str | None = None
    warnings: list[str] = field(default_factory=list)
    #: Marks other workflows put on the tile (kiosk.nav.add_bed_marks).
    marks: list[BedMark] = field(default_factory=list)
    #: Why nothing may be done to this bed from the kiosk (see BedOccupancy.hands_off), if so.
    hands_off: str | None = None

    @property
    def state_word(self) -> str:
        return self.state.label

    @property
    def css(self) -> str:
        return f"bed-{self.state.value}"

    @property
    def chips(self) -> list[FlagChip]:
        """The occupant's chips in order of importance: alerts, then the expected discharge and a
        planned transfer."""
        p = self.patient
        if p is None:
            return []
        out = list(p.flags)
        if p.expected_short:
            out.append(FlagChip("edd", f"D/C {p.expected_short}", p.expected_label or "", due=p.expected_due))
        if self.transfer_to:
            out.append(FlagChip("move", f"➜ {self.transfer_to}", f"Transfer planned to {self.transfer_to}"))
        return out

    @property
    def tile_chips(self) -> tuple[list[FlagChip], int]:
        """The chips a tile has room for, and how many more there are."""
        chips = self.chips
        return chips[:TILE_CHIPS], max(0, len(chips) - TILE_CHIPS)


@dataclass
class RoomGroup:
    name: str
    beds: list[BedTile]


@dataclass(frozen=True)
class SideItem:
    """A row of a side list: who, and what is planned or expected."""

    patient: PatientSummary
    detail: str
    bed_id: str | None  # open this bed's panel; None opens the encounter's panel
    urgent: bool = False
    #: A pending admission's reserved bed on this unit (its name, and its id: the side list shows how
    #: ready its room is, from the tile's readiness mark), if any.
    reserved_bed: str | None = None
    reserved_bed_id: str | None = None
    #: An incoming transfer's bed on the other unit and the version of it the board read.
    from_ref: str | None = None
    from_version: str | None = None


#: The side lists: key, title, what an empty list says.
SIDE_LISTS = (
    ("admissions", "Pending admissions", "None planned"),
    ("in", "Transfers in", "None"),
    ("out", "Transfers out", "None planned"),
    ("discharges", "Expected discharges", "None expected"),
)


@dataclass(frozen=True)
class SideList:
    key: str
    title: str
    empty: str
    items: list[SideItem]
    shown: list[SideItem]

    @property
    def more(self) -> int:
        return len(self.items) - len(self.shown)


@dataclass(frozen=True)
class Downtime:
    """The FHIR server cannot be reached: the board is the census kept in the database, read-only."""

    #: When the server was first found unreachable (None: just now, not recorded yet).
    unreachable_since: datetime | None
    #: When the census shown was last known to be the server's.
    as_of: datetime

    @property
    def sentence(self) -> str:
        """'FHIR server unreachable since 14:02; census as of 14:01' (local times; a date when not today)."""
        since = f" since {_clock_time(self.unreachable_since, self.as_of)}" if self.unreachable_since else ""
        return f"FHIR server unreachable{since}; census as of {_clock_time(self.as_of, self.unreachable_since)}"


def _clock_time(moment: datetime, other: datetime | None) -> str:
    """14:02, or 'Sat 28 Nov 14:02' when the other time of the sentence is on another day."""
    local = timeutil.local(moment)
    if other is not None and timeutil.local(other).date() != local.date():
        return local.strftime("%a %d %b %H:%M")
    return local.strftime("%H:%M")


@dataclass
class Board:
    unit_id: str
    unit_name: str
    counts: UnitCounts
    rooms: list[RoomGroup]
    tiles: dict[str, BedTile]
    pending_admissions: list[SideItem]
    transfers_in: list[SideItem]
    transfers_out: list[SideItem]
    expected_discharges: list[SideItem]
    fetched_at: datetime
    unreadable: list[str] = field(default_factory=list)
    #: Why another workflow's marks are missing from the tiles (their source failed), if so.
    mark_problems: list[str] = field(default_factory=list)
    #: The census searches the server answered only in part: the board is not whole (said on top).
    incomplete: list[str] = field(default_factory=list)
    #: What the board was drawn from (the shared census's version, the hour, its marks): a board of the
    #: same version looks the same, so its rendering is kept and reused (kiosk.beds.views). None: not kept.
    version: tuple[int, str, str] | None = None
    #: Set when the FHIR server cannot be reached and this board is the kept census (read-only).
    downtime: Downtime | None = None

    def tile(self, bed_id: str) -> BedTile | None:
        return self.tiles.get(bed_id)

    @property
    def census_version(self) -> int | None:
        """The shared census's version this board was drawn from (a live screen's stream starts there)."""
        return self.version[0] if self.version is not None else None

    def unit_beds(self) -> UnitBeds:
        """The beds, their occupants and who is coming to them, as other workflows' marks need them."""
        occupants: dict[str, tuple[str | None, str | None]] = {}
        incoming: dict[str, list[str]] = {}
        for tile in self.tiles.values():
            p = tile.patient
            occupants[tile.ref] = (f"Patient/{p.patient_id}" if p and p.patient_id else None,
                                   f"Encounter/{p.encounter_id}" if p else None)
            incoming[tile.ref] = [f"Encounter/{r.encounter_id}" for r in tile.reserved_for]
        return UnitBeds(unit_id=self.unit_id, occupants=occupants, incoming=incoming)

    def side_list(self, key: str) -> list[SideItem]:
        return {"admissions": self.pending_admissions, "in": self.transfers_in, "out": self.transfers_out,
                "discharges": self.expected_discharges}[key]

    @property
    def side_lists(self) -> list[SideList]:
        """The four lists, sharing SIDE_LISTS_PX: every list that has patients shows one, then they
        take a row each in turn while the column still fits on screen; the rest is behind "+n"."""
        lists = [(key, title, empty, self.side_list(key)) for key, title, empty in SIDE_LISTS]
        room = [min(1, len(items)) for *_, items in lists]
        grew = True
        while grew:
            grew = False
            for i, (*_, items) in enumerate(lists):
                if room[i] < len(items):
                    tried = [*room[:i], room[i] + 1, *room[i + 1:]]
                    if _side_height(lists, tried) <= SIDE_LISTS_PX:
                        room, grew = tried, True
        return [SideList(key, title, empty, items, items[:n])
                for (key, title, empty, items), n in zip(lists, room, strict=True)]


def _side_height(lists: list[tuple[str, str, str, list[SideItem]]], room: list[int]) -> int:
    """The side lists' height in pixels with `room` rows each (list padding and gap 10, a head of 20,
    36 with a sub-line, 48 with its "+n" button)."""
    total = 0
    for (key, _title, _empty, items), n in zip(lists, room, strict=True):
        if not items:
            total += 30
            continue
        head = 48 if n < len(items) else 36 if key == "discharges" else 20
        total += 10 + head + n * SIDE_ROW_PX - 3
    return total


def duration_text(minutes: int) -> str:
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {rest:02d}" if rest else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def age_text(birth: date | None, today: date) -> str:
    if birth is None:
        return "age ?"
    years = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    if years >= 2:
        return str(years)
    months = (today.year - birth.year) * 12 + today.month - birth.month - (today.day < birth.day)
    return f"{max(months, 0)} mo"


def stay_text(start: datetime | None, now: datetime) -> str | None:
    """Length of stay: hours on the first day, then days."""
    if start is None:
        return None
    elapsed = now - start
    if elapsed < timedelta(0):
        return None
    if elapsed < timedelta(days=1):
        return f"{int(elapsed.total_seconds() // 3600)} h"
    return f"{elapsed.days} d"


def expected_text(day: date | None, today: date) -> str | None:
    if day is None:
        return None
    if day == today:
        return "Today"
    if day == today + timedelta(days=1):
        return "Tomorrow"
    text = f"{day:%a} {day.day} {day:%b}"
    return f"Overdue ({text})" if day < today else text


def expected_short(day: date | None, today: date) -> str | None:
    if day is None:
        return None
    if day < today:
        return "overdue"
    if day <= today + timedelta(days=1):
        return "today" if day == today else "tomorrow"
    return f"{day.day} {day:%b}"


def short_flag(text: str, kind: str) -> str:
    """'Contact isolation (MRSA)' -> 'Contact'; 'Allergy: latex' -> 'Allergy'; 'Fall risk' stays."""
    if kind == "isolation":
        return text.split(" ", 1)[0] if text else "Isolation"
    if kind == "allergy":
        return "Allergy"
    if kind == "fall":
        return "Fall risk"
    return text[:16] or "Alert"


@dataclass
class BoardBuilder:
    """Turns a census into a Board for one moment (`now`) and one unit's settings."""

    census: Census
    settings: BedSettings
    now: datetime
    places_elsewhere: dict[str, LocationRecord] = field(default_factory=dict)  # places on other units

    def __post_init__(self) -> None:
        self.today = local_today(self.now)
        self.same_names: set[tuple[str, str]] = set()
        #: Each stay's summary, made once per board (a tile's occupant is also on a side list).
        self._summaries: dict[str, PatientSummary] = {}
        c = self.census
        self.place_names = {loc.reference: bounded(loc.name, PLACE_LIMIT) for loc in (c.unit, *c.rooms, *c.beds)}

    # ------------------------------------------------------------ people

    def patient(self, enc: EncounterRecord) -> PatientSummary:
        summary = self._summaries.get(enc.reference)
        if summary is None:
            summary = self._summaries[enc.reference] = self._patient(enc)
        return summary

    def _patient(self, enc: EncounterRecord) -> PatientSummary:
        c = self.census
        patient: PatientRecord | None = c.patients.get(enc.patient or "")
        attending_ref = enc.participant(codes.ATTENDING)
        attending = c.practitioners.get(attending_ref or "")
        flags = tuple(
            FlagChip(kind=codes.flag_kind(f.category),
                     label=bounded(short_flag(f.text, codes.flag_kind(f.category)), 16), text=bounded(f.text),
                     ref=f.reference, version=f.version)
            for f in sorted(c.flags.get(enc.patient or "", []), key=lambda f: codes.flag_rank(f.category))
        )
        if patient is not None and name_key(patient.name) in self.same_names:
            flags = (FlagChip("name-alert", "Same name", SAME_NAME_TEXT), *flags)
        # The admission is the stay's start, not the latest bed entry (a transfer); a stay without one
        # falls back to its first entry.
        admitted = enc.start or min((loc.start for loc in enc.locations if loc.start), default=None)
        name = board_name(patient.name) if patient else "Unreadable patient record"
        return PatientSummary(
            encounter_id=enc.id,
            encounter_version=enc.version,
            encounter_status=enc.status,
            patient_ref=enc.patient,
            encounter_number=enc.number,
            patient_id=patient.id if patient else None,
            name=name,
            short_name=_short_name(patient.name.family.upper(), patient.name.given) if patient else name,
            initials=patient.name.initials if patient else "?",
            age=age_text(patient.birth_date if patient else None, self.today),
            sex=SEX_LETTER.get(patient.gender or "unknown", "U") if patient else "U",
            birth_date=patient.birth_date if patient else None,
            birth_date_text=patient.birth_date_text if patient else None,
            mrn=patient.mrn if patient else None,
            attending=bounded(_short_name(attending.name.family, attending.name.given), NAME_LIMIT)
            if attending else None,
            length_of_stay=stay_text(admitted, self.now) if enc.status != "planned" else None,
            admitted_at=admitted if enc.status != "planned" else None,
            admitted_day_only=enc.start_is_date and admitted == enc.start,
            expected_discharge=enc.planned_end,
            expected_label=expected_text(enc.planned_end, self.today),
            expected_short=expected_short(enc.planned_end, self.today),
            expected_due=enc.planned_end is not None and enc.planned_end <= self.today,
            flags=flags,
            name_too_long=patient is not None and is_too_long(patient.name.family, NAME_LIMIT),
            family=patient.name.family if patient else "",
            given_initial=initial_of(patient.name.given) if patient else None,
        )

    def place(self, ref: str | None) -> str:
        if ref is None:
            return "no bed recorded"
        here = self.place_names.get(ref)
        if here is not None:
            return here
        elsewhere = self.places_elsewhere.get(ref)
        return bounded(elsewhere.name, PLACE_LIMIT) if elsewhere else "another unit"

    # ------------------------------------------------------------ beds

    def timer(self, occ: BedOccupancy) -> HousekeepingTimer | None:
        task = occ.cleaning
        if occ.state not in (BedState.HOUSEKEEPING, BedState.CLEANING, BedState.CONTAMINATED) or task is None:
            return None
        cleaning = task.status == "in-progress"
        since = (task.last_modified if cleaning else task.authored_on) or task.authored_on
        if since is None:
            return None
        minutes = max(0, int((self.now - since).total_seconds() // 60))
        level = "ok"
        if minutes >= self.settings.housekeeping_red_minutes:
            level = "red"
        elif minutes >= self.settings.housekeeping_amber_minutes:
            level = "amber"
        return HousekeepingTimer(minutes=minutes, level=level, since=since, cleaning=cleaning,
                                 amber=self.settings.housekeeping_amber_minutes,
                                 red=self.settings.housekeeping_red_minutes)

    def tile(self, occ: BedOccupancy, moves_out: dict[str, PlannedMove]) -> BedTile:
        bed: LocationRecord = occ.bed
        room = occ.room
        label, letter = _short_label(bed.name, room.name if room else None)
        tile = BedTile(
            id=bed.id, ref=bed.reference, version=bed.version, name=bounded(bed.name, PLACE_LIMIT),
            label=bounded(label, 12), letter=bounded(letter, 4),
            room=bounded(room.name, PLACE_LIMIT) if room else None, state=occ.state, icon=STATE_ICONS[occ.state],
            patient=self.patient(occ.occupant) if occ.occupant else None,
            reserved_for=[self.patient(e) for e in occ.reserved_for],
            timer=self.timer(occ),
            cleaning_task=occ.cleaning,
            cleaning_tasks=list(occ.cleaning_jobs),
            blocked_reason=bounded(blocked_reason(bed.description) or bed.description) or None
            if occ.state is BedState.CLOSED else None,
            warnings=list(occ.warnings),
            hands_off=occ.hands_off,
        )
        if occ.occupant and occ.occupant.reference in moves_out:
            tile.transfer_to_ref = moves_out[occ.occupant.reference].to_location
            tile.transfer_to = self.place(tile.transfer_to_ref)
        if occ.state in (BedState.HOUSEKEEPING, BedState.CLEANING) and occ.cleaning is None:
            tile.warnings.append("Marked for housekeeping, but no cleaning job is recorded for this bed.")
        return tile

    def build(self) -> Board:
        c = self.census
        occupancy = bed_occupancy(c)
        admissions, ins = pending_admissions(c), transfers_in(c)
        self.same_names = same_name_keys(c, occupancy, admissions, ins)
        self._summaries.clear()
        outs = transfers_out(c)
        moves_out = {m.encounter.reference: m for m in outs}
        tiles = [self.tile(occ, moves_out) for occ in occupancy]
        by_room: dict[str, RoomGroup] = {}
        rooms: list[RoomGroup] = []
        for tile in tiles:
            key = tile.room or tile.name
            if key not in by_room:
                by_room[key] = RoomGroup(name=_room_number(tile.room) if tile.room else tile.name, beds=[])
                rooms.append(by_room[key])
            by_room[key].beds.append(tile)
        bed_ids = {t.ref: t.id for t in tiles}

        pending = []
        for enc in admissions:
            reserved = next((loc.location for loc in enc.locations_with("reserved", "planned")
                             if loc.location in bed_ids), None)
            detail = f"Bed {self.place(reserved)} reserved" if reserved else "No bed yet"
            pending.append(SideItem(self.patient(enc), detail, None,
                                    reserved_bed=self.place(reserved) if reserved else None,
                                    reserved_bed_id=bed_ids.get(reserved) if reserved else None))
        incoming = []
        for m in ins:
            origin = self.places_elsewhere.get(m.from_location or "")
            incoming.append(SideItem(self.patient(m.encounter), f"From {self.place(m.from_location)} to "
                                     f"{self.place(m.to_location)}", bed_ids.get(m.to_location),
                                     from_ref=m.from_location, from_version=origin.version if origin else None))
        outgoing = [SideItem(self.patient(m.encounter), f"{self.place(m.from_location)} to "
                             f"{self.place(m.to_location)}", bed_ids.get(m.from_location or "")) for m in outs]
        discharges = []
        soonest = sorted(expected_discharges(c),
                         key=lambda pair: (pair[0].planned_end, natural_key(self.place(pair[1]))))
        for enc, bed in soonest:
            summary = self.patient(enc)
            discharges.append(SideItem(summary, f"{self.place(bed)} · {summary.expected_label}", bed_ids.get(bed),
                                       urgent=summary.expected_due))
        return Board(
            unit_id=c.unit.id,
            unit_name=bounded(c.unit.name, PLACE_LIMIT),
            counts=unit_counts(c, occupancy, self.today),
            rooms=rooms,
            tiles={t.id: t for t in tiles},
            pending_admissions=pending,
            transfers_in=incoming,
            transfers_out=outgoing,
            expected_discharges=discharges,
            fetched_at=c.fetched_at,
            unreadable=list(c.unreadable),
            incomplete=list(c.incomplete),
        )


NO_NAME = "Name not recorded"


def board_name(name: PersonName) -> str:
    """'GARCÍA-LÓPEZ, María José': the family name in capitals, as unit boards and armbands write it
    (each part bounded for the screen: kiosk.display)."""
    return last_first(name.family, name.given) or NO_NAME


def same_name_keys(census: Census, occupancy: list[BedOccupancy], admissions: list[EncounterRecord],
                   ins: list[PlannedMove]) -> set[tuple[str, str]]:
    """The names that two or more patients the board shows share (occupants, reserved and pending
    patients (`admissions`), transfers in (`ins`))."""
    shown = {enc.patient for enc, _ in present_here(census)}
    shown |= {enc.patient for enc in admissions}
    shown |= {m.encounter.patient for m in ins}
    for occ in occupancy:
        shown |= {enc.patient for enc in occ.reserved_for}
    keys = Counter(name_key(census.patients[ref].name) for ref in shown if ref in census.patients)
    return {key for key, n in keys.items() if n > 1 and key[0]}


def _short_name(family: str, given: tuple[str, ...]) -> str:
    initial = given[0][:1] if given else ""
    family = bounded(family, NAME_LIMIT)
    return f"{family}, {initial}." if family and initial else family or bounded(" ".join(given), NAME_LIMIT) or NO_NAME


def _room_number(room_name: str) -> str:
    return room_name.removeprefix("Room ").strip() or room_name


def _short_label(bed_name: str, room_name: str | None) -> tuple[str, str]:
    """('405A', 'A') for bed '4W-405A' in 'Room 405'; names that do not follow the pattern stay whole."""
    number = _room_number(room_name) if room_name else ""
    if number and number in bed_name:
        label = bed_name[bed_name.index(number):]
        return label, label[len(number):].strip(" -")
    return bed_name, ""


def other_places(census: Census) -> list[str]:
    """Locations on other units that the census's encounters point to (their names are read once)."""
    here = unit_places(census)
    wanted: set[str] = set()
    for enc in census.encounters:
        for loc in enc.locations:
            if loc.status in ("active", "planned", "reserved") and loc.location not in here:
                wanted.add(loc.location)
    return sorted(wanted)


def fingerprint(html: str) -> str:
    """What the polling board compares to decide whether anything visible changed."""
    return hashlib.sha256(html.encode("utf-8")).hexdigest()[:32]


# ---------------------------------------------------------------- public view


@dataclass(frozen=True)
class PublicBed:
    label: str
    initials: str | None


@dataclass(frozen=True)
class PublicRoom:
    name: str
    beds: tuple[PublicBed, ...]


def public_rooms(board: Board) -> list[PublicRoom]:
    """Room numbers and the occupants' initials, nothing else (a screen facing the corridor)."""
    return [
        PublicRoom(name=room.name, beds=tuple(
            PublicBed(label=tile.letter,
                      initials=tile.patient.initials if tile.patient else None)
            for tile in room.beds))
        for room in board.rooms
    ]
