"""Bed states and data-quality warnings worked out from plain census records."""

from __future__ import annotations

from datetime import UTC, datetime

from kiosk.beds.occupancy import BedState, bed_occupancy, pending_admissions, unit_counts
from kiosk.fhir.census import Census
from kiosk.fhir.records import EncounterLocation, EncounterRecord, LocationRecord, TaskRecord

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def loc(id_: str, kind: str, part_of: str | None, status: str | None = None, active: str = "active") -> LocationRecord:
    return LocationRecord(id=id_, version="1", name=id_, physical_type=kind, part_of=part_of, status=active,
                          operational_status=status, mode="instance", identifier=None, description="")


def enc(id_: str, status: str, *locations: tuple[str, str]) -> EncounterRecord:
    return EncounterRecord(id=id_, version="1", status=status, class_code="IMP", patient=f"Patient/{id_}",
                           number=None, start=NOW, end=None, planned_end=None,
                           locations=tuple(EncounterLocation(f"Location/{b}", s, NOW, None) for b, s in locations),
                           participants=(), discharge_disposition=None)


def census(beds: list[LocationRecord], encounters: list[EncounterRecord],
           tasks: list[TaskRecord] | None = None) -> Census:
    return Census(unit=loc("u", "wa", None), rooms=[loc("r1", "ro", "Location/u")], beds=beds,
                  encounters=encounters, patients={}, practitioners={}, flags={}, tasks=tasks or [],
                  fetched_at=NOW)


def states(c: Census) -> dict[str, BedState]:
    return {b.bed.id: b.state for b in bed_occupancy(c)}


def test_states_from_bed_status_and_encounters() -> None:
    beds = [loc("b1", "bd", "Location/r1", "O"), loc("b2", "bd", "Location/r1", "U"),
            loc("b3", "bd", "Location/u", "U"), loc("b4", "bd", "Location/u", "H"),
            loc("b5", "bd", "Location/u", "H"), loc("b6", "bd", "Location/u", "C"),
            loc("b7", "bd", "Location/u", "I"), loc("b8", "bd", "Location/u", "U", active="suspended")]
    cleaning = TaskRecord(id="t", version="1", status="in-progress", code="bed-cleaning", focus="Location/b5",
                          authored_on=NOW, last_modified=NOW, business_status=None, owner=None)
    c = census(beds, [enc("e1", "in-progress", ("b1", "active")), enc("e2", "planned", ("u", "planned"),
                                                                          ("b3", "reserved"))], [cleaning])
    assert states(c) == {"b1": BedState.OCCUPIED, "b2": BedState.AVAILABLE, "b3": BedState.RESERVED,
                         "b4": BedState.HOUSEKEEPING, "b5": BedState.CLEANING, "b6": BedState.CLOSED,
                         "b7": BedState.ISOLATED, "b8": BedState.CLOSED}
    counts = unit_counts(c)
    assert (counts.occupied, counts.available, counts.reserved, counts.housekeeping, counts.blocked,
            counts.pending_admissions) == (1, 1, 1, 2, 3, 1)
    assert [e.id for e in pending_admissions(c)] == ["e2"]


def test_the_counts_share_out_every_bed_once() -> None:
    """Home and board show the same five counts; together they are every bed. An isolated patient is
    occupied (and said so under it); an empty isolated bed cannot take a patient and is blocked."""
    beds = [loc("b1", "bd", "Location/u", "O"), loc("b2", "bd", "Location/u", "I"), loc("b3", "bd", "Location/u", "I"),
            loc("b4", "bd", "Location/u", "U"), loc("b5", "bd", "Location/u", "U"), loc("b6", "bd", "Location/u", "K"),
            loc("b7", "bd", "Location/u", None), loc("b8", "bd", "Location/u", "C"), loc("b9", "bd", "Location/u", "H")]
    c = census(beds, [enc("e1", "in-progress", ("b1", "active")), enc("e2", "in-progress", ("b2", "active")),
                      enc("e3", "planned", ("b5", "reserved")), enc("e4", "in-progress", ("b4", "active"))])
    counts = unit_counts(c)
    assert [(t.label, t.number, t.sub) for t in counts.partition] == [
        ("Occupied", 3, "1 isolated"),  # b4 is marked available but has a patient: occupied (and warned)
        ("Available", 0, None),
        ("Reserved", 1, None),
        ("Dirty / cleaning", 2, None),
        ("Blocked", 3, "1 isolated, empty; 1 no status"),
    ]
    assert sum(t.number for t in counts.partition) == counts.total_beds == 9


def test_a_contaminated_bed_being_cleaned_shows_as_cleaning() -> None:
    beds = [loc("b1", "bd", "Location/u", "K"), loc("b2", "bd", "Location/u", "K")]
    tasks = [TaskRecord(id="t1", version="1", status="in-progress", code="bed-cleaning", focus="Location/b1",
                        authored_on=NOW, last_modified=NOW, business_status=None, owner=None),
             TaskRecord(id="t2", version="1", status="requested", code="bed-cleaning", focus="Location/b2",
                        authored_on=NOW, last_modified=NOW, business_status=None, owner=None)]
    assert states(census(beds, [], tasks)) == {"b1": BedState.CLEANING, "b2": BedState.CONTAMINATED}


def test_disagreements_are_warnings_not_fixes() -> None:
    beds = [loc("b1", "bd", "Location/u", "O"), loc("b2", "bd", "Location/u", "U"),
            loc("b3", "bd", "Location/u", "O"), loc("b4", "bd", "Location/u", None)]
    c = census(beds, [enc("e1", "in-progress", ("b2", "active")), enc("e2", "in-progress", ("b3", "active")),
                      enc("e3", "in-progress", ("b3", "active")),
                      enc("e4", "finished", ("b1", "completed"))])
    by_bed = {b.bed.id: b for b in bed_occupancy(c)}
    assert by_bed["b1"].warnings == ["Marked occupied, but no patient is recorded in this bed."]
    assert by_bed["b2"].state is BedState.AVAILABLE
    assert by_bed["b2"].warnings == ["A patient is recorded in this bed, but the bed is marked unoccupied."]
    assert by_bed["b3"].warnings == ["2 patients are recorded in this bed at once."]
    assert by_bed["b4"].state is BedState.UNKNOWN and by_bed["b4"].warnings


def test_completed_locations_do_not_occupy() -> None:
    c = census([loc("b1", "bd", "Location/u", "H")], [enc("e1", "in-progress", ("b1", "completed"))])
    assert bed_occupancy(c)[0].occupants == []
