"""Valid R4 records that other systems write, on the real server: the board reads what can be read,
warns about what a person must check, and never offers an action that cannot be completed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from kiosk.beds.actions import Refused
from kiosk.beds.occupancy import BedState
from kiosk.beds.panel import bed_panel
from kiosk.fhir import codes
from tests.support.beds import BedUnit, page_text, signed_in

Factory = Callable[..., BedUnit]
MODIFIER = [{"url": "https://other-ehr.example.org/fhir/StructureDefinition/entered-in-error-pending",
             "valueBoolean": True}]


def change(unit: BedUnit, resource_type: str, resource_id: str, edit: Callable[[dict[str, Any]], None]) -> None:
    """Write a resource as another system would: a plain PUT, without the kiosk's own checks."""
    current = unit.read(resource_type, resource_id)
    edit(current)
    url = f"{unit.gw.client.base_url}/{resource_type}/{resource_id}"
    response = httpx.put(url, json=current, headers={"Content-Type": "application/fhir+json"})
    assert response.status_code == 200, response.text


def test_location_entries_without_a_bed_reference_are_read_and_the_bed_still_works(bed_unit: Factory) -> None:
    """A display-only entry ('Home') and a contained Location ('#ed') are valid R4."""
    unit = bed_unit(with_app=False)
    bed = unit.beds(BedState.OCCUPIED)[0]
    target = unit.beds(BedState.AVAILABLE, free=True)[0]

    def add_entries(enc: dict[str, Any]) -> None:
        enc["contained"] = [{"resourceType": "Location", "id": "ed", "name": "Emergency Department",
                             "status": "active"}]
        enc["location"] = [{"location": {"display": "Home"}, "status": "completed"},
                           {"location": {"reference": "#ed"}, "status": "completed"}, *enc["location"]]

    change(unit, "Encounter", bed.patient.encounter_id, add_entries)
    board = unit.board()
    tile = board.tile(bed.id)
    assert board.unreadable == [] and tile.patient is not None and not tile.warnings
    assert "transfer" in [a.action for a in bed_panel(board, bed.id, unit.gw.capabilities).actions]
    unit.act("transfer", encounter_id=bed.patient.encounter_id, bed_id=bed.id, target_id=target.id)
    moved = unit.read("Encounter", bed.patient.encounter_id)
    assert [e["location"].get("display") for e in moved["location"][:2]] == ["Home", None]  # kept as they were
    assert unit.board().tile(target.id).patient.encounter_id == bed.patient.encounter_id


def test_a_patient_without_a_name_is_named_so_and_flagged(bed_unit: Factory) -> None:
    unit = bed_unit(with_app=False)
    bed = unit.beds(BedState.OCCUPIED)[0]
    change(unit, "Patient", bed.patient.patient_id, lambda p: p.pop("name"))
    tile = unit.board().tile(bed.id)
    assert tile.patient.name == tile.patient.short_name == "Name not recorded"
    assert any("no name recorded" in w for w in tile.warnings)


def test_an_unknown_modifier_extension_marks_the_record_for_the_ehr_and_offers_nothing(bed_unit: Factory) -> None:
    unit = bed_unit(with_app=False)
    bed = unit.beds(BedState.OCCUPIED)[0]
    change(unit, "Encounter", bed.patient.encounter_id, lambda e: e.__setitem__("modifierExtension", MODIFIER))
    board = unit.board()
    tile = board.tile(bed.id)
    assert tile.hands_off and any("modifier extension" in w and "EHR" in w for w in tile.warnings)
    panel = bed_panel(board, bed.id, unit.gw.capabilities)
    assert panel.actions == [] and panel.hands_off
    with pytest.raises(Refused, match="checked in the EHR"):
        unit.act("discharge", encounter_id=bed.patient.encounter_id, bed_id=bed.id, disposition="home")
    assert unit.read("Encounter", bed.patient.encounter_id)["status"] == "in-progress"


def test_a_patient_with_two_open_stays_in_two_beds_is_a_warning_on_both(bed_unit: Factory) -> None:
    unit = bed_unit(with_app=False)
    first, second = unit.beds(BedState.OCCUPIED)[:2]
    change(unit, "Encounter", second.patient.encounter_id,
           lambda e: e.__setitem__("subject", {"reference": f"Patient/{first.patient.patient_id}"}))
    board = unit.board()
    assert any(f"also recorded in bed {second.name}" in w for w in board.tile(first.id).warnings)
    assert any(f"also recorded in bed {first.name}" in w for w in board.tile(second.id).warnings)


def test_a_bed_in_a_suspended_room_is_not_available(bed_unit: Factory) -> None:
    unit = bed_unit(with_app=False)
    bed = next(t for t in unit.beds(BedState.AVAILABLE, free=True) if t.room)
    room_id = unit.read("Location", bed.id)["partOf"]["reference"].split("/")[1]
    change(unit, "Location", bed.id, lambda b: b.__setitem__("operationalStatus",
                                                             {"system": codes.V2_0116, "code": codes.BED_HOUSEKEEPING}))
    change(unit, "Location", room_id, lambda r: r.__setitem__("status", "suspended"))
    board = unit.board()
    tile = board.tile(bed.id)
    assert tile.state is BedState.CLOSED and tile.state_word == "Blocked"
    assert tile.hands_off and "suspended on the FHIR server" in tile.hands_off
    assert bed_panel(board, bed.id, unit.gw.capabilities).actions == []


def test_a_warning_is_said_once_however_many_entries_repeat_it(bed_unit: Factory) -> None:
    unit = bed_unit(with_app=False)
    bed = unit.beds(BedState.OCCUPIED)[0]

    def twice(enc: dict[str, Any]) -> None:
        active = next(e for e in enc["location"] if e["location"]["reference"].endswith(bed.id))
        enc["location"].append(dict(active))

    change(unit, "Encounter", bed.patient.encounter_id, twice)
    change(unit, "Location", bed.id, lambda b: b.__setitem__("operationalStatus",
                                                             {"system": codes.V2_0116, "code": codes.BED_UNOCCUPIED}))
    tile = unit.board().tile(bed.id)
    assert tile.patient is not None
    assert len(tile.warnings) == len(set(tile.warnings)) == 1  # "recorded in this bed, but marked unoccupied"


def test_isolating_a_patient_whose_record_cannot_be_read_writes_the_flag_for_them(bed_unit: Factory) -> None:
    unit = bed_unit(with_app=False)
    bed = next(t for t in unit.beds(BedState.OCCUPIED) if t.patient and not t.patient.isolation)
    patient_id = bed.patient.patient_id
    change(unit, "Patient", patient_id, lambda p: p.__setitem__("gender", "robot"))  # not an R4 code: unreadable
    board = unit.board()
    assert board.tile(bed.id).patient.patient_id is None  # the Patient record is unreadable...
    unit.act("isolate", bed_id=bed.id, kind="isolation-contact")
    flags = unit.gw.client.search("Flag", [("patient", f"Patient/{patient_id}"), ("status", "active")]).matches
    assert any(f["code"]["coding"][0]["code"] == "isolation-contact" for f in flags)  # ...the encounter names them


def test_the_admission_is_the_stays_start_not_the_latest_bed(bed_unit: Factory) -> None:
    """After a transfer the panel still shows the admission; a stay recorded with a day only shows the day,
    never midnight; a stay without a start shows no 'LOS None'."""
    unit = bed_unit()
    source = unit.beds(BedState.OCCUPIED)[0]
    target = unit.beds(BedState.AVAILABLE, free=True)[0]
    encounter_id = source.patient.encounter_id
    start = unit.read("Encounter", encounter_id)["period"]["start"]
    unit.act("transfer", encounter_id=encounter_id, bed_id=source.id, target_id=target.id)
    moved = unit.board().tile(target.id).patient
    assert moved.admitted_at.isoformat().replace("+00:00", "Z") == start

    change(unit, "Encounter", encounter_id, lambda e: e["period"].__setitem__("start", "2026-11-20"))
    client = signed_in(unit.app)
    panel = page_text(client.get(f"/beds/bed/{target.id}", headers={"HX-Request": "true"}).get_data(as_text=True))
    assert "Admitted 20 Nov ·" in panel and "00:00" not in panel

    change(unit, "Encounter", encounter_id, lambda e: e.pop("period"))
    panel = page_text(client.get(f"/beds/bed/{target.id}", headers={"HX-Request": "true"}).get_data(as_text=True))
    assert "LOS None" not in panel
