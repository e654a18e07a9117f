"""The exact FHIR shapes of each bed-board change, built from plain JSON (no server)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kiosk.fhir import codes
from kiosk.fhir import movements as mv
from kiosk.fhir.capability import Capabilities

NOW = datetime(2026, 11, 26, 14, 30, tzinfo=UTC)
T = "2026-11-26T14:30:00Z"
TASKS = "https://kiosk.example.org/fhir/CodeSystem/task-kind"
ALERTS = "https://kiosk.example.org/fhir/CodeSystem/alert"


def loc(id_: str, kind: str, part_of: str | None = None, status: str | None = None, version: str = "3",
        **extra: object) -> dict[str, object]:
    res: dict[str, object] = {"resourceType": "Location", "id": id_, "meta": {"versionId": version},
                              "status": "active", "name": id_, "mode": "instance",
                              "physicalType": {"coding": [{"system": codes.LOCATION_PHYSICAL_TYPE, "code": kind}]}}
    if part_of:
        res["partOf"] = {"reference": f"Location/{part_of}"}
    if status:
        res["operationalStatus"] = {"system": codes.V2_0116, "code": status}
    res.update(extra)
    return res


def encounter(status: str, *entries: tuple[str, str], version: str = "5") -> dict[str, object]:
    return {"resourceType": "Encounter", "id": "e1", "meta": {"versionId": version, "lastUpdated": T},
            "status": status, "class": {"system": codes.V3_ACT_CODE, "code": "IMP"},
            "subject": {"reference": "Patient/p1"}, "period": {"start": "2026-11-26T08:00:00Z"},
            "location": [{"location": {"reference": f"Location/{ref}"}, "status": s,
                          **({"period": {"start": "2026-11-20T10:00:00Z"}} if s == "active" else {})}
                         for ref, s in entries]}


def current(enc: dict[str, object] | None = None, **beds: str) -> mv.Current:
    """Unit W, rooms R1 and R2, beds B1 and B2 in R1, B3 in R2, and one bed X1 on unit V."""
    places = [loc("W", "wa"), loc("R1", "ro", "W"), loc("R2", "ro", "W"), loc("V", "wa"), loc("RV", "ro", "V"),
              loc("B1", "bd", "R1", beds.get("B1", "U")), loc("B2", "bd", "R1", beds.get("B2", "U")),
              loc("B3", "bd", "R2", beds.get("B3", "U")), loc("X1", "bd", "RV", beds.get("X1", "U"))]
    return mv.Current(encounter=enc, locations={f"Location/{p['id']}": p for p in places})


def entries(resource: dict[str, object]) -> list[tuple[str, str, dict[str, str]]]:
    return [(e["location"]["reference"], e["status"], e.get("period", {}))  # type: ignore[index]
            for e in resource["location"]]  # type: ignore[union-attr]


def test_admit_makes_the_reserved_bed_active_the_unit_active_and_drops_other_plans() -> None:
    enc = encounter("planned", ("W", "planned"), ("B1", "reserved"), ("B3", "reserved"), ("V", "planned"))
    change = mv.admit(current(enc), "Location/B1", NOW)
    sent_enc, version = change.updates[0]
    assert version == "5" and "meta" not in sent_enc
    assert sent_enc["status"] == "in-progress" and sent_enc["period"]["start"] == T
    assert entries(sent_enc) == [("Location/W", "active", {"start": T}), ("Location/B1", "active", {"start": T})]
    bed, bed_version = change.updates[1]
    assert bed["id"] == "B1" and bed_version == "3" and bed["operationalStatus"]["code"] == "O"
    assert change.creates == []
    assert change.interactions() == [("Encounter", "update"), ("Location", "update"), ("", "transaction")]


def test_admit_into_another_bed_than_reserved_adds_its_entry() -> None:
    enc = encounter("planned", ("W", "planned"), ("B1", "reserved"))
    sent = mv.admit(current(enc), "Location/B2", NOW).updates[0][0]
    assert entries(sent) == [("Location/W", "active", {"start": T}), ("Location/B2", "active", {"start": T})]


def test_transfer_on_the_unit_completes_the_old_bed_keeps_the_unit_and_cleans_the_old_bed() -> None:
    enc = encounter("in-progress", ("W", "active"), ("B1", "active"))
    change = mv.transfer(current(enc, B1="O"), "Location/B1", "Location/B3", NOW, TASKS, "Practitioner/x")
    sent = change.updates[0][0]
    assert entries(sent) == [
        ("Location/W", "active", {"start": "2026-11-20T10:00:00Z"}),
        ("Location/B1", "completed", {"start": "2026-11-20T10:00:00Z", "end": T}),
        ("Location/B3", "active", {"start": T}),
    ]
    old, new = change.updates[1][0], change.updates[2][0]
    assert (old["id"], old["operationalStatus"]["code"]) == ("B1", "H")
    assert (new["id"], new["operationalStatus"]["code"]) == ("B3", "O")
    task = change.creates[0]
    assert task["focus"] == {"reference": "Location/B1"} and task["status"] == "requested"
    assert task["code"]["coding"][0] == {"system": TASKS, "code": "bed-cleaning", "display": "Bed cleaning"}
    assert task["authoredOn"] == T and task["requester"] == {"reference": "Practitioner/x"}


def test_transfer_to_another_unit_completes_this_units_entry_and_uses_the_planned_entry() -> None:
    enc = encounter("in-progress", ("W", "active"), ("B1", "active"), ("X1", "planned"))
    change = mv.transfer(current(enc, B1="I"), "Location/B1", "Location/X1", NOW, TASKS)
    assert entries(change.updates[0][0]) == [
        ("Location/W", "completed", {"start": "2026-11-20T10:00:00Z", "end": T}),
        ("Location/B1", "completed", {"start": "2026-11-20T10:00:00Z", "end": T}),
        ("Location/X1", "active", {"start": T}),
    ]
    # An isolated patient keeps an isolated bed.
    assert change.updates[2][0]["operationalStatus"]["code"] == "I"


def test_discharge_finishes_with_a_standard_disposition_and_cleans_the_bed() -> None:
    enc = encounter("in-progress", ("B1", "active"), ("X1", "planned"))
    change = mv.discharge(current(enc, B1="O"), "Location/B1", "snf", NOW, TASKS)
    sent = change.updates[0][0]
    assert sent["status"] == "finished" and sent["period"] == {"start": "2026-11-26T08:00:00Z", "end": T}
    assert sent["hospitalization"]["dischargeDisposition"] == {"coding": [{
        "system": codes.DISCHARGE_DISPOSITION, "code": "snf", "display": "Skilled nursing facility"}]}
    assert entries(sent) == [("Location/B1", "completed", {"start": "2026-11-20T10:00:00Z", "end": T})]
    assert change.updates[1][0]["operationalStatus"]["code"] == "H"
    assert change.creates[0]["focus"] == {"reference": "Location/B1"}
    with pytest.raises(ValueError):
        mv.discharge(current(enc), "Location/B1", "beach", NOW, TASKS)


def test_reserve_replaces_an_earlier_reservation() -> None:
    enc = encounter("planned", ("W", "planned"), ("B1", "reserved"))
    change = mv.reserve(current(enc), "Location/B3")
    assert entries(change.updates[0][0]) == [("Location/W", "planned", {}), ("Location/B3", "reserved", {})]
    assert change.interactions() == [("Encounter", "update")]


def cleaning(status: str = "requested") -> dict[str, object]:
    return {"resourceType": "Task", "id": "t1", "meta": {"versionId": "2"}, "status": status, "intent": "order",
            "code": {"coding": [{"system": TASKS, "code": "bed-cleaning"}]}, "focus": {"reference": "Location/B1"},
            "authoredOn": "2026-11-26T13:00:00Z", "lastModified": "2026-11-26T13:00:00Z"}


def test_housekeeping_starts_then_finishes_the_cleaning_task() -> None:
    state = current(B1="H")
    state.cleaning_tasks["Location/B1"] = cleaning()
    started = mv.start_cleaning(state, "Location/B1", NOW, TASKS)
    task, version = started.updates[0]
    assert version == "2" and task["status"] == "in-progress" and task["executionPeriod"] == {"start": T}
    assert task["lastModified"] == T and started.interactions() == [("Task", "update")]

    done = mv.bed_clean(state, "Location/B1", NOW)
    assert done.updates[0][0]["operationalStatus"]["code"] == "U"
    assert done.updates[1][0]["status"] == "completed" and done.updates[1][0]["executionPeriod"]["end"] == T


def test_cleaning_a_bed_without_a_job_creates_one_in_progress() -> None:
    change = mv.start_cleaning(current(B1="H"), "Location/B1", NOW, TASKS)
    assert change.updates == [] and change.creates[0]["status"] == "in-progress"


def test_isolation_flags_follow_the_patient() -> None:
    change = mv.isolate(current(B1="O"), "Location/B1", "Patient/p1", "isolation-droplet", NOW, ALERTS)
    assert change.updates[0][0]["operationalStatus"]["code"] == "I"
    flag = change.creates[0]
    assert flag["subject"] == {"reference": "Patient/p1"} and flag["code"]["coding"][0]["code"] == "isolation-droplet"
    assert flag["category"][0]["coding"][0]["code"] == codes.FLAG_ISOLATION

    state = current(B1="I")
    state.isolation_flags = [{**flag, "id": "f1", "meta": {"versionId": "1"}}]
    ended = mv.end_isolation(state, "Location/B1", True, NOW, TASKS)
    assert ended.updates[0][0]["operationalStatus"]["code"] == "O"
    assert ended.updates[1][0]["status"] == "inactive" and ended.updates[1][0]["period"]["end"] == T
    empty = mv.end_isolation(current(B1="I"), "Location/B1", False, NOW, TASKS)
    assert empty.updates[0][0]["operationalStatus"]["code"] == "H" and empty.creates[0]["focus"]


def test_block_keeps_the_reason_and_unblock_clears_it() -> None:
    blocked = mv.block(current(B1="U"), "Location/B1", "  Bed motor broken  ").updates[0][0]
    assert blocked["operationalStatus"]["code"] == "C" and blocked["description"] == "Blocked: Bed motor broken"
    state = current()
    state.locations["Location/B1"] = {**blocked, "meta": {"versionId": "4"}}
    ready = mv.unblock(state, "Location/B1", True, NOW, TASKS)
    assert ready.updates[0][0]["operationalStatus"]["code"] == "U" and "description" not in ready.updates[0][0]
    dirty = mv.unblock(state, "Location/B1", False, NOW, TASKS)
    assert dirty.updates[0][0]["operationalStatus"]["code"] == "H" and dirty.creates[0]["status"] == "requested"


def test_a_change_says_why_a_server_refuses_it() -> None:
    epic = Capabilities.from_statement({
        "software": {"name": "Epic", "version": "May 2026"},
        "rest": [{"mode": "server", "resource": [
            {"type": "Encounter", "interaction": [{"code": "read"}]},
            {"type": "Location", "interaction": [{"code": "read"}]},
            {"type": "Task", "interaction": [{"code": "read"}, {"code": "update"}]}]}]})
    enc = encounter("planned", ("B1", "reserved"))
    assert mv.admit(current(enc), "Location/B1", NOW).refused_by(epic) == \
        "Epic May 2026 does not allow updates of Encounter."
    assert mv.refused_action(epic, "discharge") == "Epic May 2026 does not allow updates of Encounter."
    assert mv.refused_action(epic, "cleaning-started") is None
    assert mv.refused_action(epic, "block") == "Epic May 2026 does not allow updates of Location."


def test_every_shape_is_valid_r4() -> None:
    from kiosk.fhir.validation import check_for_write

    enc = encounter("in-progress", ("W", "active"), ("B1", "active"))
    for change in (mv.transfer(current(enc, B1="O"), "Location/B1", "Location/B3", NOW, TASKS),
                   mv.discharge(current(enc, B1="O"), "Location/B1", "home", NOW, TASKS),
                   mv.isolate(current(B1="O"), "Location/B1", "Patient/p1", "isolation-contact", NOW, ALERTS)):
        for resource, _ in change.updates:
            check_for_write(resource)
        for resource in change.creates:
            check_for_write(resource)
