"""The demo hospital: Riverside General with a 32-bed medical-surgical unit (4 West) and a 23-bed
cardiac step-down unit (3 East, with three beds kept free and clean to transfer into), or, with
`beds=N`, as many 32-bed units as N beds need.

Everything is built deterministically and created with conditional creates on identifiers (one
transaction per unit), so loading it twice creates nothing new and keeps what the kiosk changed.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from kiosk import timeutil
from kiosk.config import IdentifierSettings
from kiosk.fhir import builders as b
from kiosk.fhir import codes
from kiosk.fhir.client import Transaction, identifier_query

from .people import (
    ALLERGIES,
    ISOLATIONS,
    PATIENT_BIRTH_DATES,
    PATIENT_NAMES,
    PRACTITIONERS,
)

HOSPITAL_NAME = "Riverside General Hospital"
HOSPITAL_CODE = "RGH"
#: Identifier system for demo records that have no hospital identifier of their own (flags, tasks).
DEMO_RECORD_SYSTEM = "https://kiosk.example.org/fhir/sid/demo-record"
#: The demo housekeeper (kiosk.auth.services.DEMO_STAFF), shown cleaning one demo bed.
DEMO_HOUSEKEEPER = "Rosa Mendes"


@dataclass(frozen=True)
class UnitPlan:
    code: str
    name: str
    #: (room number, number of beds in the room)
    rooms: tuple[tuple[str, int], ...]
    seed: int
    #: Rooms whose beds are always free and clean (and nobody's reservation): beds the demo can transfer
    #: a patient into. Kept apart from `rooms` so that the other beds' states, and every patient's
    #: number, are what they were without them.
    free_rooms: tuple[tuple[str, int], ...] = ()

    @property
    def bed_count(self) -> int:
        return sum(n for _, n in (*self.rooms, *self.free_rooms))


def _rooms(first: int, layout: str) -> tuple[tuple[str, int], ...]:
    """'1122' -> rooms first, first+1, ... holding 1, 1, 2, 2 beds."""
    return tuple((str(first + i), int(n)) for i, n in enumerate(layout))


MED_SURG = UnitPlan("4W", "4 West Medical-Surgical", _rooms(401, "12212122121221212212"), seed=4)
CARDIAC = UnitPlan("3E", "3 East Cardiac Step-Down", _rooms(301, "1111121112111122"), seed=3,
                   free_rooms=_rooms(317, "12"))


def unit_plan(code: str, name: str, beds: int, seed: int, first_room: int = 101) -> UnitPlan:
    """A unit of `beds` beds in alternating one- and two-bed rooms."""
    rooms: list[tuple[str, int]] = []
    total = 0
    while total < beds:
        n = min(1 + len(rooms) % 2, beds - total)
        rooms.append((str(first_room + len(rooms)), n))
        total += n
    return UnitPlan(code, name, tuple(rooms), seed=seed)


def plan_units(beds: int | None = None) -> list[UnitPlan]:
    """The two demo units, or enough 32-bed units for `beds` beds (load and benchmark work)."""
    if not beds:
        return [MED_SURG, CARDIAC]
    units = []
    remaining = beds
    while remaining > 0:
        index = len(units) + 1
        size = min(32, remaining)
        units.append(unit_plan(f"L{index:02d}", f"Load Unit {index}", size, seed=100 + index,
                               first_room=100 * index + 1))
        remaining -= size
    return units


def _room_ident(unit: UnitPlan, room: str) -> str:
    """Rooms and beds need different identifiers: a one-bed room 401 holds bed 4W-401."""
    return f"{unit.code}-RM{room}"


@dataclass
class BedSlot:
    name: str
    ident: str
    room_ident: str
    status: str
    description: str | None = None
    urn: str = ""


@dataclass
class HospitalPlan:
    units: list[UnitPlan]
    now: datetime
    transactions: list[Transaction] = field(default_factory=list)


def _person_name(family: str, given: tuple[str, ...]) -> list[dict[str, object]]:
    return [{"use": "official", "family": family, "given": list(given)}]


class DemoBuilder:
    """Builds one transaction per unit; patient numbering continues across units."""

    def __init__(self, identifiers: IdentifierSettings, now: datetime | None = None, first_number: int = 0):
        """`first_number` offsets MRNs and encounter numbers, so that several builders (tests building
        units of their own) never share a patient."""
        self.ids = identifiers
        self.now = (now or datetime.now(UTC)).replace(microsecond=0)
        self.today = timeutil.today(self.now)
        self.patient_index = first_number
        self.encounter_index = first_number
        self.alert_system = codes.local_system(identifiers.code_systems, codes.ALERT_CONCEPT)
        self.task_system = codes.local_system(identifiers.code_systems, codes.TASK_KIND_CONCEPT)
        #: Available beds of each unit that no planned admission reserved (transfer targets).
        self.spare_beds: dict[str, list[str]] = {}

    # ------------------------------------------------------------ shared

    def practitioner_ref(self, index: int) -> str:
        return "Practitioner?" + identifier_query(self.ids.practitioner, f"P{1001 + index}")

    def site_transaction(self) -> Transaction:
        tx = Transaction()
        org = tx.create({
            "resourceType": "Organization",
            "identifier": [b.identifier(self.ids.location, f"ORG-{HOSPITAL_CODE}")],
            "active": True,
            "name": HOSPITAL_NAME,
        }, if_none_exist=identifier_query(self.ids.location, f"ORG-{HOSPITAL_CODE}"))
        tx.create(b.location(name=HOSPITAL_NAME, ident=b.identifier(self.ids.location, HOSPITAL_CODE),
                             kind="si", organization=org),
                  if_none_exist=identifier_query(self.ids.location, HOSPITAL_CODE))
        for i, (family, given, role) in enumerate(PRACTITIONERS):
            ident = f"P{1001 + i}"
            tx.create({
                "resourceType": "Practitioner",
                "identifier": [b.identifier(self.ids.practitioner, ident)],
                "active": True,
                "name": [{"use": "official", "family": family, "given": list(given),
                          "prefix": ["Dr."] if role == "attending" else []}],
            }, if_none_exist=identifier_query(self.ids.practitioner, ident))
        return tx

    # ------------------------------------------------------------ units

    def unit_transaction(self, unit: UnitPlan, transfer_target: str | None = None) -> Transaction:
        rng = random.Random(unit.seed)
        tx = Transaction()
        site_ref = "Location?" + identifier_query(self.ids.location, HOSPITAL_CODE)
        unit_urn = tx.create(
            b.location(name=unit.name, ident=b.identifier(self.ids.location, unit.code), kind=codes.WARD,
                       part_of=site_ref),
            if_none_exist=identifier_query(self.ids.location, unit.code))

        slots = self._bed_slots(unit, rng)
        room_urns: dict[str, str] = {}
        for room, _beds_in_room in (*unit.rooms, *unit.free_rooms):
            room_ident = _room_ident(unit, room)
            room_urns[room_ident] = tx.create(
                b.location(name=f"Room {room}", ident=b.identifier(self.ids.location, room_ident),
                           kind=codes.ROOM, part_of=unit_urn),
                if_none_exist=identifier_query(self.ids.location, room_ident))
        for slot in slots:
            slot.urn = tx.create(
                b.location(name=slot.name, ident=b.identifier(self.ids.location, slot.ident), kind=codes.BED,
                           part_of=room_urns[slot.room_ident], status_code=slot.status,
                           description=slot.description),
                if_none_exist=identifier_query(self.ids.location, slot.ident))

        occupied = [s for s in slots if s.status in (codes.BED_OCCUPIED, codes.BED_ISOLATED)]
        available = [s for s in slots if s.status == codes.BED_UNOCCUPIED]
        for n, slot in enumerate(occupied):
            isolated = slot.status == codes.BED_ISOLATED
            planned_end = None
            if n % 9 in (1, 4):
                planned_end = self.today
            elif n % 9 == 6:
                planned_end = self.today + timedelta(days=1)
            transfer = transfer_target if (transfer_target and n == 2) else None
            self._stay(tx, rng, unit, bed=slot, isolated=isolated, planned_end=planned_end,
                       transfer_to=transfer)
        for slot in available[:2]:
            self._planned_admission(tx, rng, unit, unit_urn, reserved=slot)
        self._planned_admission(tx, rng, unit, unit_urn, reserved=None)
        self.spare_beds[unit.code] = [s.ident for s in available[2:]]

        housekeeping = [s for s in slots if s.status == codes.BED_HOUSEKEEPING]
        ages = [18, 52, 97, 33, 140]
        for n, slot in enumerate(housekeeping):
            # Housekeeping's kinds of job: the second being cleaned by the demo housekeeper, the third a
            # terminal clean of a room that was isolated, raised to stat by the desk (a bed is wanted).
            task = b.cleaning_task(bed=slot.urn, task_kind_system=self.task_system,
                                   authored=self.now - timedelta(minutes=ages[n % len(ages)]),
                                   status="in-progress" if n == 1 else "requested",
                                   ident=b.identifier(DEMO_RECORD_SYSTEM, f"clean-{slot.ident}"),
                                   clean_type=codes.CLEAN_TERMINAL if n == 2 else codes.CLEAN_ROUTINE)
            if n == 1:
                task["owner"] = {"display": DEMO_HOUSEKEEPER}
                task["executionPeriod"] = {"start": b.fhir_instant(self.now - timedelta(minutes=12))}
            if n == 2:
                task["priority"] = "stat"
            tx.create(task, if_none_exist=identifier_query(DEMO_RECORD_SYSTEM, f"clean-{slot.ident}"))
        return tx

    @staticmethod
    def _slots_of(unit: UnitPlan, rooms: tuple[tuple[str, int], ...], status: str) -> list[BedSlot]:
        slots: list[BedSlot] = []
        for room, count in rooms:
            for k in range(count):
                suffix = "" if count == 1 else "AB"[k]
                name = f"{unit.code}-{room}{suffix}"
                slots.append(BedSlot(name=name, ident=name, room_ident=_room_ident(unit, room), status=status))
        return slots

    def _bed_slots(self, unit: UnitPlan, rng: random.Random) -> list[BedSlot]:
        """The beds with their states; the free rooms' beds last (available beds are reserved in order)."""
        slots = self._slots_of(unit, unit.rooms, codes.BED_OCCUPIED)
        order = list(range(len(slots)))
        rng.shuffle(order)
        n = len(slots)
        housekeeping = max(2, round(n * 0.1))
        available = max(3, round(n * 0.12))
        plan = [codes.BED_CLOSED, codes.BED_ISOLATED] + [codes.BED_HOUSEKEEPING] * housekeeping \
            + [codes.BED_UNOCCUPIED] * available
        for position, status in zip(order, plan, strict=False):
            slots[position].status = status
            if status == codes.BED_CLOSED:
                slots[position].description = "Blocked: bed motor broken, biomed called"
        return slots + self._slots_of(unit, unit.free_rooms, codes.BED_UNOCCUPIED)

    def _patient(self, tx: Transaction) -> tuple[str, str]:
        i = self.patient_index
        self.patient_index += 1
        family, given, sex = PATIENT_NAMES[i % len(PATIENT_NAMES)]
        birth = PATIENT_BIRTH_DATES[i % len(PATIENT_BIRTH_DATES)]
        if i >= len(PATIENT_NAMES):
            # Larger demo hospitals reuse the family names with other given names and birth years.
            given = (PATIENT_NAMES[(i * 7) % len(PATIENT_NAMES)][1][0],)
            birth = f"{1930 + i % 75}{birth[4:]}"
        mrn = f"{20000000 + i * 37:08d}"
        urn = tx.create({
            "resourceType": "Patient",
            "identifier": [{"use": "usual", "type": b.concept(codes.V2_0203, "MR", "Medical record number"),
                            "system": self.ids.mrn, "value": mrn}],
            "active": True,
            "name": _person_name(family, given),
            "gender": sex,
            "birthDate": birth,
        }, if_none_exist=identifier_query(self.ids.mrn, mrn))
        return urn, mrn

    def _encounter_number(self) -> str:
        self.encounter_index += 1
        return f"{61000000 + self.encounter_index * 13:09d}"

    def _participants(self, rng: random.Random) -> list[dict[str, object]]:
        attendings = [i for i, p in enumerate(PRACTITIONERS) if p[2] == "attending"]
        residents = [i for i, p in enumerate(PRACTITIONERS) if p[2] == "resident"]
        return [b.participant(self.practitioner_ref(rng.choice(attendings)), codes.ATTENDING),
                b.participant(self.practitioner_ref(rng.choice(residents)), codes.PARTICIPANT)]

    def _stay(self, tx: Transaction, rng: random.Random, unit: UnitPlan, *, bed: BedSlot, isolated: bool,
              planned_end: date | None, transfer_to: str | None) -> None:
        patient, mrn = self._patient(tx)
        number = self._encounter_number()
        start = self.now - timedelta(hours=rng.randint(3, 24 * 9))
        locations = [b.encounter_location(bed.urn, "active", start)]
        if transfer_to:
            locations.append(b.encounter_location(transfer_to, "planned"))
        encounter = {
            "resourceType": "Encounter",
            "identifier": [b.identifier(self.ids.encounter, number)],
            "status": "in-progress",
            "class": b.inpatient_class(),
            "subject": b.reference(patient),
            "participant": self._participants(rng),
            "period": {"start": b.fhir_instant(start)},
            "location": locations,
        }
        if planned_end:
            encounter["extension"] = [b.planned_end(planned_end)]
        tx.create(encounter, if_none_exist=identifier_query(self.ids.encounter, number))
        self._flags(tx, rng, patient, mrn, isolated)

    def _planned_admission(self, tx: Transaction, rng: random.Random, unit: UnitPlan, unit_urn: str,
                           reserved: BedSlot | None) -> None:
        patient, _mrn = self._patient(tx)
        number = self._encounter_number()
        locations = [b.encounter_location(unit_urn, "planned")]
        if reserved is not None:
            locations.append(b.encounter_location(reserved.urn, "reserved"))
        tx.create({
            "resourceType": "Encounter",
            "identifier": [b.identifier(self.ids.encounter, number)],
            "status": "planned",
            "class": b.inpatient_class(),
            "subject": b.reference(patient),
            "participant": self._participants(rng)[:1],
            "period": {"start": b.fhir_instant(self.now + timedelta(hours=rng.randint(1, 6)))},
            "location": locations,
        }, if_none_exist=identifier_query(self.ids.encounter, number))

    def _flags(self, tx: Transaction, rng: random.Random, patient: str, mrn: str, isolated: bool) -> None:
        wanted: list[tuple[str, str, str]] = []
        if isolated:
            code, text = ISOLATIONS[rng.randrange(len(ISOLATIONS))]
            wanted.append((codes.FLAG_ISOLATION, code, text))
        roll = rng.random()
        if roll < 0.3:
            wanted.append((codes.FLAG_ALLERGY, "allergy", ALLERGIES[rng.randrange(len(ALLERGIES))]))
        if 0.2 < roll < 0.45:
            wanted.append((codes.FLAG_FALL_RISK, "fall-risk", "Fall risk"))
        for category, code, text in wanted:
            key = f"flag-{mrn}-{code}"
            tx.create(b.alert_flag(patient=patient, category=category, code=code, text=text,
                                   alert_system=self.alert_system,
                                   ident=b.identifier(DEMO_RECORD_SYSTEM, key), start=self.now - timedelta(days=1)),
                      if_none_exist=identifier_query(DEMO_RECORD_SYSTEM, key))


def build_hospital(identifiers: IdentifierSettings, beds: int | None = None,
                   now: datetime | None = None) -> Iterator[tuple[str, Transaction]]:
    """(label, transaction) pairs in the order they must be sent: the site first, then each unit."""
    builder = DemoBuilder(identifiers, now)
    yield "site and practitioners", builder.site_transaction()
    units = plan_units(beds)
    if beds:
        for unit in units:
            yield f"unit {unit.code} ({unit.bed_count} beds)", builder.unit_transaction(unit)
        return
    # 3 East first, so that one 4 West patient can have a pending transfer to a free 3 East bed.
    yield f"unit {CARDIAC.code} ({CARDIAC.bed_count} beds)", builder.unit_transaction(CARDIAC)
    target_bed = builder.spare_beds[CARDIAC.code][0]
    target = "Location?" + identifier_query(identifiers.location, target_bed)
    yield f"unit {MED_SURG.code} ({MED_SURG.bed_count} beds)", builder.unit_transaction(MED_SURG, target)
