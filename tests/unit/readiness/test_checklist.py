"""A bed's readiness worked out from plain census records, ticks and bin counts: what counts, for whom and
for how long, and what the tile says is missing. And the supplies' answer for one location's bins."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from kiosk.config import load_settings
from kiosk.fhir import codes
from kiosk.fhir.census import Census
from kiosk.fhir.records import EncounterLocation, EncounterRecord, FlagRecord, LocationRecord, TaskRecord
from kiosk.nav import UnitBeds
from kiosk.readiness.services import Tick, bed_readiness, marks_for
from kiosk.readiness.settings import READINESS_FILE
from kiosk.supplies import LocationBins
from kiosk.supplies.config import ParItem, ParLevels, SupplyLocation
from kiosk.supplies.stock import LastCount, location_bins

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
SETTINGS = READINESS_FILE.read(load_settings(env={}), env={})
STOCKED = LocationBins("CLEAN", "Clean utility", True)


def bed(status: str) -> LocationRecord:
    return LocationRecord(id="b1", version="1", name="4W-401", physical_type="bd", part_of="Location/r1",
                          status="active", operational_status=status, mode="instance", identifier=None, description="")


def census(status: str = "U", tasks: tuple[str, ...] = (), flags: tuple[tuple[str, str], ...] = ()) -> Census:
    room = LocationRecord(id="r1", version="1", name="Room 401", physical_type="ro", part_of="Location/u",
                          status="active", operational_status=None, mode="instance", identifier=None, description="")
    unit = replace(room, id="u", name="4 West", physical_type="wa", part_of=None)
    coming = EncounterRecord(id="e1", version="1", status="planned", class_code="IMP", patient="Patient/p1",
                             number=None, start=NOW, end=None, planned_end=None,
                             locations=(EncounterLocation("Location/b1", "reserved", None, None),), participants=(),
                             discharge_disposition=None)
    jobs = [TaskRecord(id=f"t{i}", version="1", status=s, code=codes.TASK_BED_CLEANING, focus="Location/b1",
                       authored_on=NOW - timedelta(minutes=40), last_modified=NOW, business_status=None, owner=None)
            for i, s in enumerate(tasks)]
    alerts = [FlagRecord(id=f"f{i}", patient="Patient/p1", category=c, code=code, text=code)
              for i, (c, code) in enumerate(flags)]
    return Census(unit=unit, rooms=[room], beds=[bed(status)], encounters=[coming], patients={}, practitioners={},
                  flags={"Patient/p1": alerts}, tasks=jobs, fetched_at=NOW)


def readiness(c: Census, ticks: dict[tuple[str, str, str], Tick] | None = None, bins: LocationBins = STOCKED):  # type: ignore[no-untyped-def]
    return bed_readiness(c, c.beds[0], c.encounters[0], SETTINGS, ticks or {}, lambda _code: bins)


def notes(r) -> dict[str, tuple[bool, str]]:  # type: ignore[no-untyped-def]
    return {s.item.key: (s.done, s.note) for s in r.items}


def test_the_bed_is_clean_only_when_housekeeping_is_done() -> None:
    assert notes(readiness(census("U")))["clean"] == (True, "Clean (housekeeping).")
    assert notes(readiness(census("H", ("requested",))))["clean"][1].startswith("Waiting for housekeeping since ")
    assert notes(readiness(census("H", ("in-progress",))))["clean"] == (False, "Being cleaned.")
    assert notes(readiness(census("U", ("requested",))))["clean"] == (False, "A cleaning job is still open.")
    assert notes(readiness(census("C")))["clean"] == (False, "The bed is blocked.")


def test_the_patients_alerts_decide_which_items_apply() -> None:
    assert [s.item.key for s in readiness(census()).items] == ["clean", "suction", "oxygen", "bed", "supplies"]
    both = readiness(census(flags=((codes.FLAG_ISOLATION, "isolation-contact"), ("clinical", "bariatric"))))
    assert [s.item.key for s in both.items] == ["clean", "suction", "oxygen", "bed", "isolation-cart",
                                                "bariatric-bed", "supplies"]


def test_ticks_count_for_their_patient_and_say_who_and_when() -> None:
    ticks = {("b1", "e1", "suction"): Tick(True, "Dana Reyes", NOW), ("b1", "e1", "oxygen"): Tick(False, "Sam O.", NOW),
             ("b1", "someone-else", "bed"): Tick(True, "Dana Reyes", NOW)}
    r = readiness(census(), ticks)
    assert notes(r)["suction"][0] and notes(r)["suction"][1].startswith("Checked by Dana Reyes at ")
    assert notes(r)["oxygen"][0] is False and notes(r)["oxygen"][1].startswith("Unticked by Sam O.")
    assert notes(r)["bed"] == (False, "Not checked yet.")
    assert (r.summary, r.missing_text) == ("3 of 5", "O2 +1")
    assert (r.mark.label, r.mark.long) == ("3 of 5: O2 +1", "3 of 5: O2, bed")
    every = {("b1", "e1", k): Tick(True, "Dana Reyes", NOW) for k in ("suction", "oxygen", "bed")}
    assert readiness(census(), every).mark.label == "Ready"


def test_the_supplies_item_follows_the_bins() -> None:
    low = LocationBins("CLEAN", "Clean utility", True, below=("Saline flush (3 of 80)",))
    assert notes(readiness(census(), bins=low))["supplies"] == (
        False, "Clean utility: below reorder point: Saline flush (3 of 80).")
    unknown = LocationBins("CLEAM", "CLEAM", False)
    assert "not a supply location of the par list" in notes(readiness(census(), bins=unknown))["supplies"][1]


def test_a_mark_source_call_without_the_boards_census_marks_nothing_and_reads_nothing() -> None:
    """The source never reads the FHIR server itself (the bed board passes its census; the integration
    tests count the board's requests); without a census it cannot judge a bed, so it says nothing."""

    class NoDatabase:
        def session(self):  # type: ignore[no-untyped-def]
            raise AssertionError("nothing should be read")

    beds = UnitBeds(unit_id="u", incoming={"Location/b1": ["Encounter/e1"]})
    assert marks_for(beds, SETTINGS, NoDatabase(), lambda _c: STOCKED, NOW) == {}  # type: ignore[arg-type]


def test_which_bins_of_a_location_are_below_their_reorder_point() -> None:
    items = (ParItem("1", "Saline flush", "each", 200, 80), ParItem("2", "Gauze", "pack", 100, 40),
             ParItem("3", "Tape", "roll", 24, 8), ParItem("4", "Gloves", "box", 24, 8))
    par = ParLevels("test", (SupplyLocation("CLEAN", "Clean utility", "room", items),))
    counts = {("CLEAN", "1"): LastCount(79, NOW, None), ("CLEAN", "2"): LastCount(40, NOW, None),
              ("CLEAN", "3"): LastCount(20, NOW - timedelta(days=3), None)}
    found = location_bins(par, "CLEAN", counts, NOW, timedelta(hours=24))
    assert found.below == ("Saline flush (79 of 80)",)  # at the reorder point is not below it
    assert found.not_counted == ("Tape", "Gloves") and not found.stocked
    assert not location_bins(par, "NOPE", counts, NOW, timedelta(hours=24)).known
