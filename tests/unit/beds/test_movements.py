"""The exact FHIR shapes of each bed-board change, built from plain JSON (no server)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from kiosk.beds.actions import BED_ACTIONS, Refused, expected_day
from kiosk.fhir import codes
from kiosk.fhir import movements as mv
from kiosk.fhir.capability import Capabilities
from kiosk.fhir.change import Change, NotSeen
from kiosk.fhir.client import identifier_query
from kiosk.fhir.records import TaskRecord

NOW = datetime(2026, 11, 26, 14, 30, tzinfo=UTC)
T = "2026-11-26T14:30:00Z"
TASKS = "https://kiosk.example.org/fhir/CodeSystem/task-kind"
TASK_IDS = "https://kiosk.example.org/fhir/CodeSystem/task"
ALERTS = "https://kiosk.example.org/fhir/CodeSystem/alert"
NEW = mv.NewTask(kind_system=TASKS, identifier_system=TASK_IDS, key="0123456789abcdef0123456789abcdef")


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
    change = mv.transfer(current(enc, B1="O"), "Location/B1", "Location/B3", NOW, NEW, "Practitioner/x")
    sent = change.updates[0][0]
    assert entries(sent) == [
        ("Location/W", "active", {"start": "2026-11-20T10:00:00Z"}),
        ("Location/B1", "completed", {"start": "2026-11-20T10:00:00Z", "end": T}),
        ("Location/B3", "active", {"start": T}),
    ]
    old, new = change.updates[1][0], change.updates[2][0]
    assert (old["id"], old["operationalStatus"]["code"]) == ("B1", "H")
    assert (new["id"], new["operationalStatus"]["code"]) == ("B3", "O")
    task = change.creates[0].resource
    assert task["focus"] == {"reference": "Location/B1"} and task["status"] == "requested"
    assert task["code"]["coding"][0] == {"system": TASKS, "code": "bed-cleaning", "display": "Bed cleaning"}
    assert task["authoredOn"] == T and task["requester"] == {"reference": "Practitioner/x"}
    # Identified, and created only if no Task has that identifier yet (a retry finds the first one).
    assert task["identifier"] == [{"system": TASK_IDS, "value": f"{NEW.key}-B1"}]
    assert change.creates[0].if_none_exist == identifier_query(TASK_IDS, f"{NEW.key}-B1")


def test_transfer_to_another_unit_completes_this_units_entry_and_uses_the_planned_entry() -> None:
    enc = encounter("in-progress", ("W", "active"), ("B1", "active"), ("X1", "planned"))
    change = mv.transfer(current(enc, B1="I"), "Location/B1", "Location/X1", NOW, NEW)
    assert entries(change.updates[0][0]) == [
        ("Location/W", "completed", {"start": "2026-11-20T10:00:00Z", "end": T}),
        ("Location/B1", "completed", {"start": "2026-11-20T10:00:00Z", "end": T}),
        ("Location/X1", "active", {"start": T}),
    ]
    # An isolated patient keeps an isolated bed.
    assert change.updates[2][0]["operationalStatus"]["code"] == "I"


def test_discharge_finishes_with_a_standard_disposition_and_cleans_the_bed() -> None:
    enc = encounter("in-progress", ("B1", "active"), ("X1", "planned"))
    change = mv.discharge(current(enc, B1="O"), "Location/B1", "snf", NOW, NEW)
    sent = change.updates[0][0]
    assert sent["status"] == "finished" and sent["period"] == {"start": "2026-11-26T08:00:00Z", "end": T}
    assert sent["hospitalization"]["dischargeDisposition"] == {"coding": [{
        "system": codes.DISCHARGE_DISPOSITION, "code": "snf", "display": "Skilled nursing facility"}]}
    assert entries(sent) == [("Location/B1", "completed", {"start": "2026-11-20T10:00:00Z", "end": T})]
    assert change.updates[1][0]["operationalStatus"]["code"] == "H"
    assert change.creates[0].resource["focus"] == {"reference": "Location/B1"}
    with pytest.raises(ValueError):
        mv.discharge(current(enc), "Location/B1", "beach", NOW, NEW)


def test_reserve_replaces_an_earlier_reservation_and_writes_the_bed_unchanged() -> None:
    enc = encounter("planned", ("W", "planned"), ("B1", "reserved"))
    state = current(enc)
    change = mv.reserve(state, "Location/B3")
    assert entries(change.updates[0][0]) == [("Location/W", "planned", {}), ("Location/B3", "reserved", {})]
    # The bed goes in the same transaction, as it is, with its ifMatch: a reservation or admission into
    # the same bed at another station in between is a 412.
    bed, version = change.updates[1]
    stored = state.location("Location/B3")
    assert version == "3" and bed == {k: v for k, v in stored.items() if k != "meta"}
    assert change.interactions() == [("Encounter", "update"), ("Location", "update"), ("", "transaction")]


def test_cancelling_a_reservation_removes_only_that_entry_and_writes_the_bed_unchanged() -> None:
    enc = encounter("planned", ("W", "planned"), ("B1", "reserved"))
    state = current(enc)
    assert mv.reserved_bed(state, "Location/B1") and not mv.reserved_bed(state, "Location/B3")
    change = mv.cancel_reservation(state, "Location/B1")
    assert entries(change.updates[0][0]) == [("Location/W", "planned", {})]
    bed, version = change.updates[1]
    assert version == "3"
    assert bed == {k: v for k, v in state.location("Location/B1").items() if k != "meta"}
    assert change.interactions() == [("Encounter", "update"), ("Location", "update"), ("", "transaction")]


def test_the_expected_discharge_is_set_changed_and_cleared_keeping_other_extensions() -> None:
    other = {"url": "https://example.org/other", "valueString": "kept"}
    enc = {**encounter("in-progress", ("B1", "active")), "extension": [other]}
    changed = mv.set_expected_discharge(current(enc), date(2026, 12, 1)).updates[0][0]
    assert changed["extension"] == [other, {"url": codes.PLANNED_END_EXTENSION, "valueDate": "2026-12-01"}]
    again = mv.set_expected_discharge(current({**changed, "meta": enc["meta"]}), date(2026, 12, 3)).updates[0][0]
    assert [e.get("valueDate") for e in again["extension"]] == [None, "2026-12-03"]
    cleared = mv.set_expected_discharge(current({**again, "meta": enc["meta"], "extension": again["extension"][1:]}),
                                        None)
    assert "extension" not in cleared.updates[0][0]
    assert cleared.interactions() == [("Encounter", "update")]


def cleaning(status: str = "requested", id_: str = "t1", authored: str = "2026-11-26T13:00:00Z") -> dict[str, object]:
    return {"resourceType": "Task", "id": id_, "meta": {"versionId": "2"}, "status": status, "intent": "order",
            "code": {"coding": [{"system": TASKS, "code": "bed-cleaning"}]}, "focus": {"reference": "Location/B1"},
            "authoredOn": authored, "lastModified": authored}


def test_housekeeping_starts_then_finishes_the_cleaning_task() -> None:
    state = current(B1="H")
    state.cleaning_tasks["Location/B1"] = [cleaning()]
    started = mv.start_cleaning(state, "Location/B1", NOW, NEW)
    task, version = started.updates[0]
    assert version == "2" and task["status"] == "in-progress" and task["executionPeriod"] == {"start": T}
    assert task["lastModified"] == T and started.interactions() == [("Task", "update")]

    done = mv.bed_clean(state, "Location/B1", NOW)
    assert done.updates[0][0]["operationalStatus"]["code"] == "U"
    assert done.updates[1][0]["status"] == "completed" and done.updates[1][0]["executionPeriod"]["end"] == T


def test_cleaning_a_bed_without_a_job_creates_one_in_progress_only_once() -> None:
    change = mv.start_cleaning(current(B1="H"), "Location/B1", NOW, NEW)
    [create] = change.creates
    assert change.updates == [] and create.resource["status"] == "in-progress"
    assert create.resource["identifier"][0]["system"] == TASK_IDS and create.if_none_exist
    assert change.interactions() == [("Task", "conditional-create")]


def test_cleaning_that_has_started_cannot_start_again() -> None:
    state = current(B1="K")
    state.cleaning_tasks["Location/B1"] = [cleaning(), cleaning("in-progress", "t0", "2026-11-26T12:00:00Z")]
    with pytest.raises(ValueError, match="already started"):
        mv.start_cleaning(state, "Location/B1", NOW, NEW)


def test_bed_clean_completes_every_open_cleaning_task_of_the_bed() -> None:
    state = current(B1="H")
    state.cleaning_tasks["Location/B1"] = [cleaning("requested", "t2", "2026-11-26T13:00:00Z"),
                                           cleaning("requested", "t1", "2026-11-25T09:00:00Z")]
    done = mv.bed_clean(state, "Location/B1", NOW)
    assert [(r["id"], r["status"]) for r, _ in done.updates[1:]] == [("t2", "completed"), ("t1", "completed")]
    assert done.interactions() == [("Location", "update"), ("Task", "update"), ("", "transaction")]


def test_the_newest_open_cleaning_job_of_each_bed() -> None:
    def record(id_: str, status: str, minutes_ago: int | None, bed: str = "Location/B1",
               code: str = "bed-cleaning") -> TaskRecord:
        authored = None if minutes_ago is None else datetime(2026, 11, 26, 12, 0, tzinfo=UTC).replace(
            minute=59 - minutes_ago)
        return TaskRecord(id=id_, version="1", status=status, code=code, focus=bed, authored_on=authored,
                          last_modified=authored, business_status=None, owner=None)

    jobs = mv.cleaning_jobs([record("old", "requested", 50), record("undated", "requested", None),
                             record("new", "requested", 5), record("done", "completed", 1),
                             record("other", "requested", 1, code="transport"),
                             record("b2", "in-progress", 30, bed="Location/B2")])
    assert {bed: [t.id for t in ts] for bed, ts in jobs.items()} == {
        "Location/B1": ["new", "old", "undated"], "Location/B2": ["b2"]}
    assert mv.current_job(jobs["Location/B1"]).id == "new"
    assert mv.current_job([*jobs["Location/B1"], record("started", "in-progress", 40)]).id == "started"


def test_the_version_the_person_saw_goes_as_if_match_and_an_unseen_resource_is_refused() -> None:
    enc = encounter("planned", ("W", "planned"), ("B1", "reserved"), version="5")
    change = mv.admit(current(enc), "Location/B1", NOW)
    assert [v for _, v in change.updates] == ["5", "3"]  # as read
    change.if_match_seen({"Encounter/e1": "4", "Location/B1": "2"})
    assert [v for _, v in change.updates] == ["4", "2"]  # as seen: the server refuses what moved on since
    other = mv.admit(current(enc), "Location/B1", NOW)
    with pytest.raises(NotSeen) as unseen:
        other.if_match_seen({"Encounter/e1": "5"})
    assert unseen.value.references == ["Location/B1"]


def test_isolation_flags_follow_the_patient() -> None:
    change = mv.isolate(current(B1="O"), "Location/B1", "Patient/p1", "isolation-droplet", NOW, ALERTS)
    assert change.updates[0][0]["operationalStatus"]["code"] == "I"
    flag = change.creates[0].resource
    assert flag["subject"] == {"reference": "Patient/p1"} and flag["code"]["coding"][0]["code"] == "isolation-droplet"
    assert flag["category"][0]["coding"][0]["code"] == codes.FLAG_ISOLATION

    state = current(B1="I")
    state.isolation_flags = [{**flag, "id": "f1", "meta": {"versionId": "1"}}]
    ended = mv.end_isolation(state, "Location/B1", True, NOW, NEW)
    assert ended.updates[0][0]["operationalStatus"]["code"] == "O"
    assert ended.updates[1][0]["status"] == "inactive" and ended.updates[1][0]["period"]["end"] == T
    empty = mv.end_isolation(current(B1="I"), "Location/B1", False, NOW, NEW)
    assert empty.updates[0][0]["operationalStatus"]["code"] == "H" and empty.creates[0].resource["focus"]


def test_block_keeps_the_reason_and_unblock_clears_it() -> None:
    blocked = mv.block(current(B1="U"), "Location/B1", "  Bed motor broken  ").updates[0][0]
    assert blocked["operationalStatus"]["code"] == "C" and blocked["description"] == "Blocked: Bed motor broken"
    state = current()
    state.locations["Location/B1"] = {**blocked, "meta": {"versionId": "4"}}
    ready = mv.unblock(state, "Location/B1", True, NOW, NEW)
    assert ready.updates[0][0]["operationalStatus"]["code"] == "U" and "description" not in ready.updates[0][0]
    dirty = mv.unblock(state, "Location/B1", False, NOW, NEW)
    assert dirty.updates[0][0]["operationalStatus"]["code"] == "H"
    assert dirty.creates[0].resource["status"] == "requested"


def test_an_action_says_why_a_server_refuses_it() -> None:
    epic = Capabilities.from_statement({
        "software": {"name": "Epic", "version": "May 2026"},
        "rest": [{"mode": "server", "resource": [
            {"type": "Encounter", "interaction": [{"code": "read"}]},
            {"type": "Location", "interaction": [{"code": "read"}]},
            {"type": "Task", "interaction": [{"code": "read"}, {"code": "update"}]}]}]})
    assert BED_ACTIONS["admit"].needs.refused(epic) == "Epic May 2026 does not allow updates of Encounter."
    assert BED_ACTIONS["discharge"].needs.refused(epic) == "Epic May 2026 does not allow updates of Encounter."
    # Starting to clean a bed without a job creates one: a server that cannot create Tasks refuses it.
    assert BED_ACTIONS["cleaning-started"].needs.refused(epic) == "Epic May 2026 does not allow creating Task."
    assert BED_ACTIONS["block"].needs.refused(epic) == "Epic May 2026 does not allow updates of Location."


def variants() -> dict[str, list[Change]]:
    """Every way each action can turn out, built by the same functions the handlers call."""
    admitted = encounter("in-progress", ("W", "active"), ("B1", "active"))
    planned = encounter("planned", ("W", "planned"), ("B1", "reserved"))
    with_job, started = current(B1="H"), current(B1="K")
    with_job.cleaning_tasks["Location/B1"] = [cleaning(), cleaning("requested", "t0", "2026-11-25T10:00:00Z")]
    isolated_with_flag = current(B1="I")
    isolated_with_flag.isolation_flags = [{**mv.isolate(current(B1="O"), "Location/B1", "Patient/p1",
                                                        "isolation-contact", NOW, ALERTS).creates[0].resource,
                                           "id": "f1", "meta": {"versionId": "1"}}]
    isolated_empty_with_job = current(B1="I")
    isolated_empty_with_job.cleaning_tasks["Location/B1"] = [cleaning()]
    blocked = current(B1="C")
    return {
        "reserve": [mv.reserve(current(planned), "Location/B3"), mv.reserve(current(planned), "Location/B1")],
        "cancel-reservation": [mv.cancel_reservation(current(planned), "Location/B1")],
        "expected-discharge": [mv.set_expected_discharge(current(admitted), date(2026, 12, 1)),
                               mv.set_expected_discharge(current(admitted), None)],
        "admit": [mv.admit(current(planned), "Location/B1", NOW), mv.admit(current(planned), "Location/B2", NOW)],
        "transfer": [mv.transfer(current(admitted, B1="O"), "Location/B1", "Location/B3", NOW, NEW),
                     mv.transfer(current(admitted, B1="I"), "Location/B1", "Location/X1", NOW, NEW)],
        "discharge": [mv.discharge(current(admitted, B1="O"), "Location/B1", "home", NOW, NEW),
                      mv.discharge(current(admitted), None, "home", NOW, NEW)],
        "cleaning-started": [mv.start_cleaning(with_job, "Location/B1", NOW, NEW),
                             mv.start_cleaning(started, "Location/B1", NOW, NEW)],
        "bed-clean": [mv.bed_clean(with_job, "Location/B1", NOW), mv.bed_clean(current(B1="H"), "Location/B1", NOW)],
        "isolate": [mv.isolate(current(B1="O"), "Location/B1", "Patient/p1", "isolation-droplet", NOW, ALERTS),
                    mv.isolate(current(B1="U"), "Location/B1", None, None, NOW, ALERTS)],
        "end-isolation": [mv.end_isolation(isolated_with_flag, "Location/B1", True, NOW, NEW),
                          mv.end_isolation(current(B1="I"), "Location/B1", True, NOW, NEW),
                          mv.end_isolation(current(B1="I"), "Location/B1", False, NOW, NEW),
                          mv.end_isolation(isolated_empty_with_job, "Location/B1", False, NOW, NEW)],
        "block": [mv.block(current(B1="U"), "Location/B1", "Broken")],
        "unblock": [mv.unblock(blocked, "Location/B1", True, NOW, NEW),
                    mv.unblock(blocked, "Location/B1", False, NOW, NEW)],
    }


def test_what_each_action_may_need_is_stated_once_and_covers_every_variant() -> None:
    built = variants()
    assert set(built) == set(BED_ACTIONS)
    for action, changes in built.items():
        needed = {need for change in changes for need in change.interactions()}
        # No variant needs more than the panel checked before offering the action, and the table
        # declares nothing that no variant needs (which would refuse actions for no reason).
        assert needed == set(BED_ACTIONS[action].needs.interactions), action


def test_a_change_takes_nothing_its_action_did_not_declare() -> None:
    change = Change("block", BED_ACTIONS["block"].needs)
    with pytest.raises(ValueError, match="does not declare create of Task"):
        change.create({"resourceType": "Task"})
    two = Change("block", BED_ACTIONS["block"].needs)
    two.update(({"resourceType": "Location", "id": "B1"}, "1"))
    with pytest.raises(ValueError, match="does not declare"):
        two.update(({"resourceType": "Location", "id": "B2"}, "1"))  # two entries: a transaction


def test_every_shape_is_valid_r4() -> None:
    from kiosk.fhir.validation import check_for_write

    for changes in variants().values():
        for change in changes:
            for resource, _ in change.updates:
                check_for_write(resource)
            for new in change.creates:
                check_for_write(new.resource)


def test_the_expected_discharge_day_is_today_or_later_within_a_year_or_not_known() -> None:
    today = date(2026, 11, 29)
    assert expected_day("2026-11-29", today) == today
    assert expected_day("unknown", today) is None
    for text, words in [("2026-11-28", "past"), ("2027-12-01", "within the next year"), ("29/11/2026", "not a date"),
                        (None, "Choose")]:
        with pytest.raises(Refused, match=words) as refused:
            expected_day(text, today)
        assert refused.value.field == "day"
    assert expected_day((today + timedelta(days=365)).isoformat(), today) == today + timedelta(days=365)
