"""The whiteboard as view objects: per bed its nurse, aide and attending (and the patient only as the
settings allow), the charge nurse, counts, who goes home today and who is coming in, and the marks
other workflows put on beds. Plain data in, plain data out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from kiosk.fhir import codes
from kiosk.fhir.census import Census
from kiosk.fhir.records import EncounterRecord, PersonName, PractitionerRecord
from kiosk.nav import BedMark

from .settings import WhiteboardSettings
from .shifts import Shift
from .teams import Member, TeamRecord
from .unit import UnitBed, UnitView

#: Beds in one column of the station screen: with the header and the strip of counts and lists below,
#: 17 rows at 30 px fill 1080 px.
ROWS_PER_COLUMN = 17


def staff_name(name: PersonName | str, mode: str) -> str:
    """'Grace L.' or, with mode 'initials', 'G.L.'; from a name or the display a care team gives."""
    if isinstance(name, str):
        words = name.replace(",", " ").split()
        words = [w for w in words if w.rstrip(".").lower() not in ("dr", "rn", "md")]
        given, family = (words[0], words[-1]) if len(words) > 1 else ("", words[0] if words else "")
    else:
        given, family = (name.given[0] if name.given else ""), name.family
    if mode == "initials":
        return "".join(f"{part[:1]}." for part in (given, family) if part) or "?"
    return f"{given} {family[:1]}." if given and family else family or given or "?"


def doctor_name(record: PractitionerRecord | None, mode: str) -> str | None:
    """An attending as whiteboards write them, under the column's head: 'Shapiro', or initials."""
    if record is None:
        return None
    if mode == "initials":
        return staff_name(record.name, mode)
    return record.name.family or record.name.display or None


def patient_label(name: PersonName | None, mode: str) -> str | None:
    """The patient as the settings allow: nothing, 'M.G.', or 'GARCÍA-LÓPEZ, M.'."""
    if name is None or mode == "none":
        return None
    given = name.given[0] if name.given else ""
    if mode == "initials":
        return "".join(f"{p[:1]}." for p in (given, name.family) if p) or None
    return f"{name.family.upper()}, {given[:1]}." if name.family and given else name.family.upper() or given


@dataclass(frozen=True)
class BoardBed:
    id: str
    label: str
    room: str
    patient: str | None
    occupied: bool
    state: str  # for a bed without a patient: empty, dirty, cleaning, blocked, isolated; else ''
    nurse: str | None
    aide: str | None
    attending: str | None
    incoming: bool
    marks: tuple[BedMark, ...] = ()


@dataclass(frozen=True)
class Count:
    key: str
    label: str
    number: int


@dataclass(frozen=True)
class ListRow:
    bed: str  # the bed's label, or 'No bed yet'
    patient: str | None
    detail: str
    marks: tuple[BedMark, ...] = ()


@dataclass
class Whiteboard:
    unit_name: str
    shift: Shift
    charge: str | None
    beds: list[BoardBed]
    counts: list[Count]
    going_home: list[ListRow]
    coming_in: list[ListRow]
    fetched_at: datetime
    #: What the screen could not show, in a sentence each (care teams unreadable, marks missing ...).
    problems: list[str] = field(default_factory=list)
    #: The unit's Location id and the shared census version drawn (None: read directly): the screen's
    #: event stream (kiosk.push) starts from them.
    unit_id: str = ""
    version: int | None = None

    @property
    def columns(self) -> list[list[BoardBed]]:
        """The beds in columns of at most ROWS_PER_COLUMN (two at least, four at most), of about equal
        length, never splitting a room."""
        count = min(4, max(2, -(-len(self.beds) // ROWS_PER_COLUMN)))
        columns: list[list[BoardBed]] = []
        rest = list(self.beds)
        for left in range(count, 0, -1):
            split = -(-len(rest) // left)
            while 0 < split < len(rest) and rest[split].room == rest[split - 1].room:
                split += 1
            columns.append(rest[:split])
            rest = rest[split:]
        return [c for c in columns if c] or [[]]


@dataclass
class TeamIndex:
    """The care teams read for one shift, by encounter, and the unit's charge nurse's."""

    by_encounter: dict[str, list[TeamRecord]]
    unit: TeamRecord | None

    @classmethod
    def of(cls, teams: Sequence[TeamRecord], shift_keys: Mapping[str, str], unit_key: str) -> TeamIndex:
        """`shift_keys`: encounter reference -> the kiosk's team key for the shift shown."""
        by_encounter: dict[str, list[TeamRecord]] = {}
        wanted = set(shift_keys.values())
        unit = None
        for team in teams:
            if team.key == unit_key:
                unit = team
            elif team.encounter and (team.key is None or team.key in wanted) and team.status == "active":
                by_encounter.setdefault(team.encounter, []).append(team)
        for found in by_encounter.values():
            found.sort(key=lambda t: t.key is None)  # the kiosk's shift team first
        return cls(by_encounter, unit)

    def member(self, encounter: str, slot: str) -> Member | None:
        """Who fills a slot for an encounter this shift: the kiosk's shift team first, then the EHR's."""
        for team in self.by_encounter.get(encounter, []):
            found = team.member(slot)
            if found is not None:
                return found
        return None


def build_whiteboard(view: UnitView, teams: TeamIndex, settings: WhiteboardSettings, shift: Shift, today: date,
                     marks: Mapping[str, list[BedMark]], names: Mapping[str, str] | None = None) -> Whiteboard:
    """`names`: Practitioner reference -> name, for team members the server gave without a display."""
    census: Census = view.census
    mode, patients = settings.staff_names, settings.patient_names

    def member(enc: EncounterRecord | None, slot: str) -> str | None:
        found = teams.member(enc.reference, slot) if enc else None
        shown = (found.display or (names or {}).get(found.ref or "")) if found else None
        return staff_name(shown, mode) if shown else None

    def attending(enc: EncounterRecord | None) -> str | None:
        ref = enc.participant(codes.ATTENDING) if enc else None
        return doctor_name(census.practitioners.get(ref or ""), mode)

    def patient(enc: EncounterRecord | None) -> str | None:
        record = census.patients.get(enc.patient or "") if enc else None
        return patient_label(record.name if record else None, patients)

    beds = []
    for row in view.beds:
        enc = row.encounter
        beds.append(BoardBed(
            id=row.bed.id, label=row.label, room=row.room.name if row.room else row.bed.name,
            patient=patient(enc), occupied=row.present is not None,
            state="" if row.present else row.empty_word,
            nurse=member(enc, "nurse"), aide=member(enc, "aide"), attending=attending(enc),
            incoming=row.present is None and bool(row.incoming),
            marks=tuple(marks.get(row.bed.reference, [])),
        ))
    going = [ListRow(b.label, patient(b.present), "today" if b.present and b.present.planned_end == today
                     else "overdue", tuple(marks.get(b.bed.reference, []))) for b in view.going_home(today)]
    coming = [_coming(enc, bed, patient(enc), marks) for enc, bed in view.coming_in()]
    charge = teams.unit.member("charge") if teams.unit else None
    counts = [
        Count("patients", "Patients", sum(1 for b in view.beds if b.present)),
        Count("open", "Open beds", sum(1 for b in view.beds if not b.present and not b.incoming
                                       and b.empty_word == "empty")),
        Count("dirty", "To clean", sum(1 for b in view.beds if not b.present
                                       and b.empty_word in ("dirty", "cleaning"))),
        Count("coming", "Coming in", len(coming)),
        Count("going", "Going home", len(going)),
    ]
    return Whiteboard(unit_name=census.unit.name, shift=shift,
                      charge=staff_name(charge.display, mode) if charge and charge.display else None,
                      beds=beds, counts=counts, going_home=going, coming_in=coming, fetched_at=census.fetched_at)


def _coming(enc: EncounterRecord, bed: UnitBed | None, patient: str | None,
            marks: Mapping[str, list[BedMark]]) -> ListRow:
    kind = "Admission" if enc.status == "planned" else "Transfer in"
    if bed is None:
        return ListRow("No bed yet", patient, kind)
    return ListRow(bed.label, patient, kind, tuple(marks.get(bed.bed.reference, [])))
