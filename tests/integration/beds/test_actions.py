"""Every bed-board action against a real sekmet-fhir server, read back from the server: encounter
statuses, location entries and their periods, bed operationalStatus, cleaning Tasks and Flags."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kiosk.beds.actions import Refused
from kiosk.beds.occupancy import BedState
from kiosk.beds.services import utc_now
from kiosk.fhir import codes
from kiosk.fhir import movements as mv
from kiosk.fhir.client import FhirClient, count_requests
from kiosk.fhir.errors import FhirConflict
from kiosk.fhir.refs import ref_key
from tests.support.beds import BedUnit, send_change
from tests.support.fhir_faults import Watched

Factory = Callable[..., BedUnit]
NEW_TASK = mv.NewTask(kind_system="https://kiosk.example.org/fhir/CodeSystem/task-kind",
                      identifier_system="https://kiosk.example.org/fhir/CodeSystem/task",
                      key="0123456789abcdef0123456789abcdef")


def entries(encounter: dict[str, Any]) -> dict[str, tuple[str, dict[str, str]]]:
    return {ref_key(e["location"]) or "": (e["status"], e.get("period", {})) for e in encounter["location"]}


def bed_code(unit: BedUnit, bed_id: str) -> str:
    return unit.read("Location", bed_id)["operationalStatus"]["code"]


def open_cleaning(unit: BedUnit, bed_id: str) -> list[dict[str, Any]]:
    found = unit.gw.client.search("Task", [("focus", f"Location/{bed_id}"), ("status", "requested,in-progress")])
    return found.matches


def test_reserve_then_admit_a_planned_patient(bed_unit: Factory) -> None:
    unit = bed_unit(with_app=False)
    board = unit.board()
    waiting = next(i.patient for i in board.pending_admissions if i.detail == "No bed yet")
    bed = unit.beds(BedState.AVAILABLE, free=True)[0]
    bed_before = unit.read("Location", bed.id)

    unit.act("reserve", encounter_id=waiting.encounter_id, bed_id=bed.id)
    enc = unit.read("Encounter", waiting.encounter_id)
    assert enc["status"] == "planned"
    assert entries(enc)[bed.ref] == ("reserved", {})
    # The bed was written unchanged in the same transaction: a new version, the same content.
    bed_after = unit.read("Location", bed.id)
    assert int(bed_after["meta"]["versionId"]) == int(bed_before["meta"]["versionId"]) + 1
    assert {k: v for k, v in bed_after.items() if k != "meta"} == {k: v for k, v in bed_before.items() if k != "meta"}
    assert unit.board().tile(bed.id).state is BedState.RESERVED

    done = unit.act("admit", encounter_id=waiting.encounter_id, bed_id=bed.id)
    assert done.message.startswith(waiting.name) and done.entity == f"Encounter/{waiting.encounter_id}"
    enc = unit.read("Encounter", waiting.encounter_id)
    assert enc["status"] == "in-progress" and enc["period"]["start"]
    status, period = entries(enc)[bed.ref]
    assert status == "active" and period["start"] == enc["period"]["start"]
    assert entries(enc)[f"Location/{board.unit_id}"][0] == "active"  # the unit's planned entry
    assert bed_code(unit, bed.id) == codes.BED_OCCUPIED
    tile = unit.board().tile(bed.id)
    assert tile.state is BedState.OCCUPIED and tile.patient and tile.patient.name == waiting.name


def test_a_reservation_is_cancelled_and_the_patient_still_waits(bed_unit: Factory) -> None:
    unit = bed_unit(with_app=False)
    waiting = next(i.patient for i in unit.board().pending_admissions if i.detail == "No bed yet")
    bed = unit.beds(BedState.AVAILABLE, free=True)[0]
    unit.act("reserve", encounter_id=waiting.encounter_id, bed_id=bed.id)
    bed_before = unit.read("Location", bed.id)

    done = unit.act("cancel-reservation", bed_id=bed.id)  # one reservation: no need to choose whose
    assert done.message.startswith(f"The reservation of bed {bed.name} for {waiting.name} is cancelled")
    enc = unit.read("Encounter", waiting.encounter_id)
    assert enc["status"] == "planned" and bed.ref not in entries(enc)
    bed_after = unit.read("Location", bed.id)
    assert {k: v for k, v in bed_after.items() if k != "meta"} == {k: v for k, v in bed_before.items() if k != "meta"}
    board = unit.board()
    assert board.tile(bed.id).state is BedState.AVAILABLE
    assert waiting.encounter_id in {i.patient.encounter_id for i in board.pending_admissions}

    with pytest.raises(Refused, match="not reserved"):  # a second tap, from the same panel
        unit.act("cancel-reservation", encounter_id=waiting.encounter_id, bed_id=bed.id)


def test_cancelling_a_reservation_admitted_at_another_station_meanwhile_is_refused(bed_unit: Factory) -> None:
    unit = bed_unit(with_app=False)
    waiting = next(i.patient for i in unit.board().pending_admissions if i.detail == "No bed yet")
    bed = unit.beds(BedState.AVAILABLE, free=True)[0]
    unit.act("reserve", encounter_id=waiting.encounter_id, bed_id=bed.id)
    seen = {f"Encounter/{waiting.encounter_id}": unit.read("Encounter", waiting.encounter_id)["meta"]["versionId"],
            bed.ref: unit.read("Location", bed.id)["meta"]["versionId"]}
    unit.act("admit", encounter_id=waiting.encounter_id, bed_id=bed.id)  # another station admits
    admitted = unit.read("Encounter", waiting.encounter_id)
    with pytest.raises(Refused) as refused:
        unit.act("cancel-reservation", encounter_id=waiting.encounter_id, bed_id=bed.id, seen=seen)
    assert refused.value.changed_elsewhere
    assert unit.read("Encounter", waiting.encounter_id)["meta"]["versionId"] == admitted["meta"]["versionId"]


@pytest.mark.parametrize(("state", "words"), [
    (BedState.OCCUPIED, "is occupied by"),
    (BedState.CLOSED, "is blocked"),
    (BedState.HOUSEKEEPING, "is dirty"),
])
def test_admitting_into_an_occupied_closed_or_dirty_bed_is_refused(bed_unit: Factory, state: BedState,
                                                                   words: str) -> None:
    unit = bed_unit(with_app=False)
    waiting = unit.board().pending_admissions[0].patient
    bed = unit.beds(state)[0]
    before = (unit.read("Location", bed.id)["meta"]["versionId"],
              unit.read("Encounter", waiting.encounter_id)["meta"]["versionId"])
    with pytest.raises(Refused, match=words) as refused:
        unit.act("admit", encounter_id=waiting.encounter_id, bed_id=bed.id)
    assert "Nothing was changed" in refused.value.message
    assert before == (unit.read("Location", bed.id)["meta"]["versionId"],
                      unit.read("Encounter", waiting.encounter_id)["meta"]["versionId"])


def test_transfer_on_the_unit(bed_unit: Factory) -> None:
    unit = bed_unit(with_app=False)
    source = unit.beds(BedState.OCCUPIED)[0]
    patient = source.patient
    assert patient is not None
    target = unit.beds(BedState.AVAILABLE, free=True)[0]
    unit.act("transfer", encounter_id=patient.encounter_id, bed_id=source.id, target_id=target.id)

    enc = unit.read("Encounter", patient.encounter_id)
    old_status, old_period = entries(enc)[source.ref]
    new_status, new_period = entries(enc)[target.ref]
    assert old_status == "completed" and old_period["end"] == new_period["start"]
    assert new_status == "active" and enc["status"] == "in-progress"
    assert bed_code(unit, source.id) == codes.BED_HOUSEKEEPING
    assert bed_code(unit, target.id) == codes.BED_OCCUPIED
    tasks = open_cleaning(unit, source.id)
    assert len(tasks) == 1 and tasks[0]["status"] == "requested"
    assert tasks[0]["code"]["coding"][0]["code"] == "bed-cleaning"
    board = unit.board()
    assert board.tile(target.id).patient.encounter_id == patient.encounter_id
    assert board.tile(source.id).state is BedState.HOUSEKEEPING and board.tile(source.id).timer is not None


def test_transfer_to_another_unit(bed_unit: Factory) -> None:
    here, there = bed_unit(with_app=False), bed_unit(with_app=False)
    source = here.beds(BedState.OCCUPIED)[0]
    patient = source.patient
    assert patient is not None
    target = there.beds(BedState.AVAILABLE, free=True)[0]
    here.act("transfer", encounter_id=patient.encounter_id, bed_id=source.id, target_id=target.id)

    enc = here.read("Encounter", patient.encounter_id)
    assert entries(enc)[source.ref][0] == "completed" and entries(enc)[target.ref][0] == "active"
    assert bed_code(here, source.id) == codes.BED_HOUSEKEEPING and bed_code(there, target.id) == codes.BED_OCCUPIED
    assert len(open_cleaning(here, source.id)) == 1
    assert there.board().tile(target.id).patient.encounter_id == patient.encounter_id
    assert all(t.patient is None or t.patient.encounter_id != patient.encounter_id
               for t in here.board().tiles.values())


def test_a_transfer_to_the_same_bed_is_refused(bed_unit: Factory) -> None:
    unit = bed_unit(with_app=False)
    source = unit.beds(BedState.OCCUPIED)[0]
    with pytest.raises(Refused, match="already in that bed"):
        unit.act("transfer", encounter_id=source.patient.encounter_id, bed_id=source.id, target_id=source.id)


def test_discharge_then_clean_the_bed(bed_unit: Factory) -> None:
    unit = bed_unit(with_app=False)
    bed = unit.beds(BedState.OCCUPIED)[0]
    patient = bed.patient
    unit.act("discharge", encounter_id=patient.encounter_id, bed_id=bed.id, disposition="home")

    enc = unit.read("Encounter", patient.encounter_id)
    assert enc["status"] == "finished" and enc["period"]["end"]
    assert enc["hospitalization"]["dischargeDisposition"]["coding"][0] == {
        "system": codes.DISCHARGE_DISPOSITION, "code": "home", "display": "Home"}
    assert all(status == "completed" and period.get("end") == enc["period"]["end"]
               for status, period in entries(enc).values())
    assert bed_code(unit, bed.id) == codes.BED_HOUSEKEEPING
    [task] = open_cleaning(unit, bed.id)
    assert task["status"] == "requested" and task["focus"]["reference"] == bed.ref

    with pytest.raises(Refused, match="already finished"):
        unit.act("discharge", encounter_id=patient.encounter_id, bed_id=bed.id, disposition="home")

    unit.act("cleaning-started", bed_id=bed.id)
    task = unit.read("Task", task["id"])
    assert task["status"] == "in-progress" and task["executionPeriod"]["start"]
    assert unit.board().tile(bed.id).state is BedState.CLEANING
    with pytest.raises(Refused, match="already started"):
        unit.act("cleaning-started", bed_id=bed.id)

    unit.act("bed-clean", bed_id=bed.id)
    task = unit.read("Task", task["id"])
    assert task["status"] == "completed" and task["executionPeriod"]["end"]
    assert bed_code(unit, bed.id) == codes.BED_UNOCCUPIED
    assert unit.board().tile(bed.id).state is BedState.AVAILABLE


def test_isolate_an_occupied_bed_and_end_it(bed_unit: Factory) -> None:
    unit = bed_unit(with_app=False)
    bed = unit.beds(BedState.OCCUPIED)[0]
    patient = bed.patient
    with pytest.raises(Refused, match="kind of isolation"):
        unit.act("isolate", bed_id=bed.id)
    unit.act("isolate", bed_id=bed.id, kind="isolation-airborne")
    assert bed_code(unit, bed.id) == codes.BED_ISOLATED
    flags = unit.gw.client.search("Flag", [("patient", f"Patient/{patient.patient_id}"), ("status", "active")]).matches
    isolation = [f for f in flags if mv.is_isolation_flag(f)]
    assert [f["code"]["coding"][0]["code"] for f in isolation] == ["isolation-airborne"]
    tile = unit.board().tile(bed.id)
    assert tile.state is BedState.ISOLATED and tile.patient.isolation.label == "Airborne"

    unit.act("end-isolation", bed_id=bed.id)
    assert bed_code(unit, bed.id) == codes.BED_OCCUPIED
    assert unit.read("Flag", isolation[0]["id"])["status"] == "inactive"


def test_a_patients_isolation_flags_are_searched_without_their_id_in_a_url(bed_unit: Factory) -> None:
    unit = bed_unit(with_app=False)
    bed = unit.beds(BedState.OCCUPIED)[0]
    patient = f"Patient/{bed.patient.patient_id}"
    live, watched = unit.gw.client, Watched()
    unit.gw.client = FhirClient(live.base_url, transport=watched)
    try:
        with count_requests() as counter:
            current = mv.read_current(unit.gw, location_ids=[bed.id], isolation_flags_of=patient)
    finally:
        unit.gw.client.close()
        unit.gw.client = live
    assert counter.by_kind == {"search Location": 1, "search Flag": 1}
    assert current.locations and all(mv.is_isolation_flag(f) for f in current.isolation_flags)
    assert not [url for url in watched.urls if bed.patient.patient_id in url]


def test_block_and_unblock_with_a_reason(bed_unit: Factory) -> None:
    unit = bed_unit(with_app=False)
    bed = unit.beds(BedState.AVAILABLE, free=True)[0]
    with pytest.raises(Refused, match="why the bed is blocked"):
        unit.act("block", bed_id=bed.id, reason="  ")
    unit.act("block", bed_id=bed.id, reason="Suction not working")
    stored = unit.read("Location", bed.id)
    assert stored["operationalStatus"]["code"] == codes.BED_CLOSED
    assert stored["description"] == "Blocked: Suction not working"
    assert unit.board().tile(bed.id).blocked_reason == "Suction not working"

    unit.act("unblock", bed_id=bed.id, ready=False)
    stored = unit.read("Location", bed.id)
    assert stored["operationalStatus"]["code"] == codes.BED_HOUSEKEEPING and "description" not in stored
    assert len(open_cleaning(unit, bed.id)) == 1

    occupied = unit.beds(BedState.OCCUPIED)[0]
    with pytest.raises(Refused, match="cannot be blocked"):
        unit.act("block", bed_id=occupied.id, reason="Leak")


def test_a_transaction_that_meets_a_stale_version_changes_nothing(bed_unit: Factory) -> None:
    unit = bed_unit(with_app=False)
    bed = unit.beds(BedState.OCCUPIED)[0]
    patient = bed.patient
    current = mv.read_current(unit.gw, encounter_id=patient.encounter_id, location_ids=[bed.id])
    change = mv.discharge(current, bed.ref, "home", utc_now(), NEW_TASK)
    # Another station changes the bed after this station read it.
    other = unit.read("Location", bed.id)
    unit.gw.client.update({**other, "description": "Window side"}, version=other["meta"]["versionId"])
    enc_version = unit.read("Encounter", patient.encounter_id)["meta"]["versionId"]

    with pytest.raises(FhirConflict):
        send_change(unit.gw, change)
    enc = unit.read("Encounter", patient.encounter_id)
    assert enc["meta"]["versionId"] == enc_version and enc["status"] == "in-progress"
    after = unit.read("Location", bed.id)
    assert after["operationalStatus"]["code"] == codes.BED_OCCUPIED and after["description"] == "Window side"
    assert open_cleaning(unit, bed.id) == []


def test_what_the_user_saw_at_an_older_version_is_a_conflict(bed_unit: Factory) -> None:
    unit = bed_unit(with_app=False)
    bed = unit.beds(BedState.AVAILABLE, free=True)[0]
    seen = {bed.ref: bed.version or ""}
    stored = unit.read("Location", bed.id)
    unit.gw.client.update({**stored, "description": "Near the window"}, version=stored["meta"]["versionId"])
    with pytest.raises(FhirConflict, match="changed at another station"):
        unit.act("block", bed_id=bed.id, reason="Broken rail", seen=seen)
    assert bed_code(unit, bed.id) == codes.BED_UNOCCUPIED


def test_a_bed_status_that_disagrees_with_the_encounters_is_a_warning_not_a_fix(bed_unit: Factory) -> None:
    unit = bed_unit(with_app=False)
    bed = unit.beds(BedState.AVAILABLE, free=True)[0]
    stored = unit.read("Location", bed.id)
    wrong = {**stored, "operationalStatus": {**stored["operationalStatus"], "code": codes.BED_OCCUPIED}}
    version = unit.gw.client.update(wrong, version=stored["meta"]["versionId"]).version
    tile = unit.board().tile(bed.id)
    assert tile.state is BedState.OCCUPIED and tile.patient is None
    assert tile.warnings == ["Marked occupied, but no patient is recorded in this bed."]
    assert unit.read("Location", bed.id)["meta"]["versionId"] == version


def test_a_planned_transfer_in_is_received_on_the_receiving_unit(bed_unit: Factory) -> None:
    sending, receiving = bed_unit(with_app=False), bed_unit(with_app=False)
    source = sending.beds(BedState.OCCUPIED)[0]
    patient = source.patient
    target = receiving.beds(BedState.AVAILABLE, free=True)[0]
    # Bed placement plans the move: a planned entry for the receiving unit's bed.
    enc = sending.read("Encounter", patient.encounter_id)
    enc["location"].append({"location": {"reference": target.ref}, "status": "planned"})
    sending.gw.client.update(enc, version=enc["meta"]["versionId"])
    assert [i.detail for i in sending.board().transfers_out if i.patient.encounter_id == patient.encounter_id] == \
        [f"{source.name} to {target.name}"]
    board = receiving.board()
    [incoming] = [i for i in board.transfers_in if i.patient.encounter_id == patient.encounter_id]
    assert incoming.detail == f"From {source.name} to {target.name}"
    assert board.tile(target.id).state is BedState.RESERVED

    receiving.act("transfer", encounter_id=patient.encounter_id, target_id=target.id)
    enc = receiving.read("Encounter", patient.encounter_id)
    assert entries(enc)[source.ref][0] == "completed" and entries(enc)[target.ref][0] == "active"
    assert len([e for e in enc["location"] if ref_key(e["location"]) == target.ref]) == 1  # the plan became it
    assert bed_code(sending, source.id) == codes.BED_HOUSEKEEPING
    assert receiving.board().tile(target.id).patient.encounter_id == patient.encounter_id


def test_two_stations_reserving_or_admitting_into_one_bed_at_once_meet_a_conflict(bed_unit: Factory) -> None:
    """Both stations read the bed before either writes (each one's own checks pass): the second write
    meets the bed's new version and nothing of it is written."""
    unit = bed_unit(with_app=False)
    first, second = [i.patient for i in unit.board().pending_admissions][:2]
    for other_action in ("reserve", "admit"):
        bed = unit.beds(BedState.AVAILABLE, free=True)[0]
        station_a = mv.read_current(unit.gw, encounter_id=first.encounter_id, location_ids=[bed.id])
        station_b = mv.read_current(unit.gw, encounter_id=second.encounter_id, location_ids=[bed.id])
        send_change(unit.gw, mv.reserve(station_a, bed.ref))
        late = mv.reserve(station_b, bed.ref) if other_action == "reserve" else mv.admit(station_b, bed.ref, utc_now())
        second_before = unit.read("Encounter", second.encounter_id)["meta"]["versionId"]
        with pytest.raises(FhirConflict):
            send_change(unit.gw, late)
        assert unit.read("Encounter", second.encounter_id)["meta"]["versionId"] == second_before
        tile = unit.board().tile(bed.id)
        assert [p.encounter_id for p in tile.reserved_for] == [first.encounter_id] and not tile.warnings


def test_the_server_refuses_what_moved_on_since_the_person_saw_it(bed_unit: Factory) -> None:
    """If-Match carries the version on screen, not the one read just before the write: a change made
    at another station after the panel was drawn is refused by the server itself."""
    unit = bed_unit(with_app=False)
    bed = unit.beds(BedState.AVAILABLE, free=True)[0]
    seen = {bed.ref: str(bed.version)}
    stored = unit.read("Location", bed.id)
    unit.gw.client.update({**stored, "description": "Near the window"}, version=stored["meta"]["versionId"])
    change = mv.block(mv.read_current(unit.gw, location_ids=[bed.id]), bed.ref, "Broken rail")  # read now
    change.if_match_seen(seen)
    with pytest.raises(FhirConflict):
        send_change(unit.gw, change)
    assert unit.read("Location", bed.id)["description"] == "Near the window"


def make_cleaning_task(unit: BedUnit, bed_id: str, status: str, authored: str) -> str:
    task = {"resourceType": "Task", "status": status, "intent": "order",
            "code": {"coding": [{"system": NEW_TASK.kind_system, "code": codes.TASK_BED_CLEANING}]},
            "focus": {"reference": f"Location/{bed_id}"}, "authoredOn": authored, "lastModified": authored}
    return unit.gw.client.create(task).id


def test_bed_clean_completes_every_open_cleaning_task_of_the_bed(bed_unit: Factory) -> None:
    unit = bed_unit(with_app=False)
    bed = next(t for t in unit.beds(BedState.HOUSEKEEPING) if t.cleaning_task)
    older = make_cleaning_task(unit, bed.id, "requested", "2026-01-02T08:00:00Z")  # a job left open earlier
    assert len(open_cleaning(unit, bed.id)) == 2
    unit.act("bed-clean", bed_id=bed.id)
    assert open_cleaning(unit, bed.id) == []
    assert unit.read("Task", older)["status"] == "completed"
    assert unit.read("Task", bed.cleaning_task.id)["status"] == "completed"


def test_a_cleaning_job_made_by_the_kiosk_is_made_once_however_often_it_is_sent(bed_unit: Factory) -> None:
    unit = bed_unit(with_app=False)
    bed = unit.beds(BedState.AVAILABLE, free=True)[0]
    stored = unit.read("Location", bed.id)
    unit.gw.client.update({**stored, "operationalStatus": {"system": codes.V2_0116, "code": codes.BED_HOUSEKEEPING}},
                          version=stored["meta"]["versionId"])  # dirty, and no job recorded for it
    change = mv.start_cleaning(mv.read_current(unit.gw, location_ids=[bed.id], cleaning_for=[bed.id]), bed.ref,
                               utc_now(), NEW_TASK)
    first = send_change(unit.gw, change)
    again = send_change(unit.gw, change)  # a retry, or the same form sent twice
    assert first == again
    [task] = open_cleaning(unit, bed.id)
    assert task["status"] == "in-progress"
    assert task["identifier"] == [{"system": NEW_TASK.identifier_system, "value": f"{NEW_TASK.key}-{bed.id}"}]


def test_a_contaminated_bed_in_cleaning_shows_as_cleaning_and_is_not_started_twice(bed_unit: Factory) -> None:
    unit = bed_unit(with_app=False)
    bed = unit.beds(BedState.AVAILABLE, free=True)[0]
    stored = unit.read("Location", bed.id)
    unit.gw.client.update({**stored, "operationalStatus": {"system": codes.V2_0116, "code": codes.BED_CONTAMINATED}},
                          version=stored["meta"]["versionId"])
    unit.act("cleaning-started", bed_id=bed.id)
    assert unit.board().tile(bed.id).state is BedState.CLEANING
    with pytest.raises(Refused, match="already started"):
        unit.act("cleaning-started", bed_id=bed.id)
    [task] = open_cleaning(unit, bed.id)
    assert task["status"] == "in-progress"
