"""Housekeeping's services without a server: the job list's order and what each card says, the bed
marks, the turnaround figures, and the shapes of what is written (owner, stat, the kind of clean)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kiosk.fhir import builders as b
from kiosk.fhir import codes
from kiosk.fhir import movements as mv
from kiosk.fhir.census import Census
from kiosk.fhir.records import LocationRecord, TaskRecord, read_task
from kiosk.housekeeping.fhir import clean_type_of, make_stat, owner_reference
from kiosk.housekeeping.services import job_list, marks_for_beds, percentile, start_of_day, turnaround
from kiosk.nav import UnitBeds

NOW = datetime(2026, 11, 29, 14, 0, tzinfo=UTC)
KIND = "https://kiosk.example.org/fhir/CodeSystem/task-kind"


def bed(bed_id: str, status: str) -> LocationRecord:
    return LocationRecord(id=bed_id, version="3", name=f"4W-{bed_id}", physical_type=codes.BED, part_of="Location/u",
                          status="active", operational_status=status, mode="instance", identifier=None, description="")


def job(task_id: str, bed_id: str, minutes: int, *, status: str = "requested", kind: str = codes.CLEAN_ROUTINE,
        priority: str = "routine", owner: str | None = None, started: int | None = None) -> TaskRecord:
    task = b.cleaning_task(bed=f"Location/{bed_id}", task_kind_system=KIND, authored=NOW - timedelta(minutes=minutes),
                           status=status, clean_type=kind)
    task.update(id=task_id, meta={"versionId": "2"}, priority=priority)
    if owner:
        task["owner"] = {"display": owner}
    if started is not None:
        task["executionPeriod"] = {"start": b.fhir_instant(NOW - timedelta(minutes=started))}
    return read_task(task)


def census(beds: list[LocationRecord], tasks: list[TaskRecord]) -> Census:
    return Census(unit=bed("u", ""), rooms=[], beds=beds, encounters=[], patients={}, practitioners={}, flags={},
                  tasks=tasks, fetched_at=NOW)


def test_dirty_beds_stat_first_then_the_longest_waiting_and_no_job_on_a_clean_bed() -> None:
    beds = [bed("1", "H"), bed("2", "H"), bed("3", "H"), bed("4", "K"), bed("5", "O")]
    tasks = [job("a", "1", 10), job("b", "2", 40), job("c", "3", 5, priority="stat"), job("e", "5", 90)]
    found = job_list(census(beds, tasks), NOW)
    assert [j.bed_id for j in found.jobs] == ["3", "4", "2", "1"]
    no_job = found.jobs[1]
    assert no_job.task_id is None and no_job.seen == "Location/4@3"
    assert found.jobs[2].waiting_minutes == 40 and found.jobs[2].seen == "Location/2@3 Task/b@2"
    assert found.jobs[0].stat and found.jobs[0].clean_words == "Routine"


def test_a_job_being_cleaned_shows_who_and_for_how_long() -> None:
    tasks = [job("a", "1", 30, status="in-progress", owner="Rosa Mendes", started=12, kind=codes.CLEAN_TERMINAL)]
    (view,) = job_list(census([bed("1", "H")], tasks), NOW).jobs
    assert view.cleaning and view.owner_name == "Rosa Mendes" and view.cleaning_minutes == 12
    assert view.terminal and view.waiting_minutes == 30


def test_marks_say_who_is_cleaning_and_a_stat_or_terminal_job_waiting() -> None:
    tasks = [job("a", "1", 30, status="in-progress", owner="Rosa Mendes", started=2),
             job("b", "2", 5, priority="stat"), job("c", "3", 5, kind=codes.CLEAN_TERMINAL), job("d", "4", 5),
             job("e", "5", 5, priority="stat")]
    beds = [bed("1", "H"), bed("2", "H"), bed("3", "K"), bed("4", "H"), bed("5", "O")]
    marks = marks_for_beds(UnitBeds("u", census=census(beds, tasks)))
    assert [(m.label, m.urgent) for m in marks["Location/1"]] == [("Rosa cleaning", False)]
    assert marks["Location/1"][0].long == "Rosa Mendes is cleaning"
    assert [(m.label, m.urgent) for m in marks["Location/2"]] == [("Stat clean", True)]
    assert [m.label for m in marks["Location/3"]] == ["Terminal clean"]
    assert "Location/4" not in marks and "Location/5" not in marks  # a routine job; a job on an occupied bed
    assert marks_for_beds(UnitBeds("u")) == {}


def test_percentiles_are_nearest_rank() -> None:
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.9) == 7.0
    values = [float(v) for v in range(1, 11)]
    assert percentile(values, 0.5) == 5.0 and percentile(values, 0.9) == 9.0


def test_turnaround_per_kind_of_clean() -> None:
    def done(task_id: str, kind: str, created: int, started: int, ended: int) -> TaskRecord:
        record = job(task_id, "1", created, status="completed", kind=kind, started=started)
        return TaskRecord(**{**record.__dict__, "ended": NOW - timedelta(minutes=ended)})

    rows = {r.clean_type: r for r in turnaround([done("a", codes.CLEAN_ROUTINE, 60, 50, 30),
                                                  done("b", codes.CLEAN_ROUTINE, 60, 30, 0),
                                                  done("c", codes.CLEAN_TERMINAL, 120, 110, 20)])}
    routine, terminal = rows[codes.CLEAN_ROUTINE], rows[codes.CLEAN_TERMINAL]
    assert (routine.jobs, routine.to_start_median, routine.to_start_p90) == (2, 10.0, 30.0)
    assert (routine.to_done_median, routine.to_done_p90) == (30.0, 60.0)
    assert (terminal.jobs, terminal.to_done_median) == (1, 100.0)
    assert turnaround([])[0].to_start_median is None


def test_start_of_day_is_the_station_midnight() -> None:
    local = NOW.astimezone(ZoneInfo("America/Chicago"))
    assert start_of_day(NOW, local) == datetime(2026, 11, 29, 6, 0, tzinfo=UTC)


def test_the_kind_of_clean_is_a_coded_input_and_terminal_after_isolation() -> None:
    task = b.cleaning_task(bed="Location/1", task_kind_system=KIND, authored=NOW, clean_type=codes.CLEAN_TERMINAL)
    (entry,) = task["input"]
    assert entry["type"]["coding"][0] == {"system": "https://kiosk.example.org/fhir/CodeSystem/task-input",
                                          "code": "clean-type", "display": "Kind of clean"}
    assert entry["valueCodeableConcept"]["coding"][0]["system"] == "https://kiosk.example.org/fhir/CodeSystem/clean-type"
    assert clean_type_of(read_task({**task, "id": "t"})) == codes.CLEAN_TERMINAL
    assert clean_type_of(read_task({**task, "id": "t", "input": []})) == codes.CLEAN_ROUTINE
    with pytest.raises(ValueError):
        b.cleaning_task(bed="Location/1", task_kind_system=KIND, authored=NOW, clean_type="deep")
    isolated = {"resourceType": "Location", "id": "1", "operationalStatus": b.bed_status(codes.BED_ISOLATED)}
    assert mv.clean_type_after(isolated) == codes.CLEAN_TERMINAL
    assert mv.clean_type_after({**isolated, "operationalStatus": b.bed_status("O")}) == codes.CLEAN_ROUTINE


def test_owner_is_the_practitioner_when_known_else_the_name() -> None:
    assert owner_reference("Rosa Mendes", None) == {"display": "Rosa Mendes"}
    assert owner_reference("Rosa Mendes", "Practitioner?identifier=x|1") == {"display": "Rosa Mendes"}
    assert owner_reference("Dr. A", "Practitioner/9") == {"reference": "Practitioner/9", "display": "Dr. A"}


def test_start_sets_the_owner_and_make_stat_only_the_priority() -> None:
    task = b.cleaning_task(bed="Location/1", task_kind_system=KIND, authored=NOW - timedelta(minutes=5))
    task.update(id="t", meta={"versionId": "4"})
    current = mv.Current(locations={"Location/1": {"resourceType": "Location", "id": "1", "meta": {"versionId": "2"}}},
                         cleaning_tasks={"Location/1": [task]})
    new = mv.NewTask(KIND, "https://kiosk.example.org/fhir/CodeSystem/task", "0" * 32)
    change = mv.start_cleaning(current, "Location/1", NOW, new, owner={"display": "Rosa Mendes"})
    ((started, version),) = change.updates
    assert version == "4" and started["status"] == "in-progress" and started["owner"] == {"display": "Rosa Mendes"}
    assert started["executionPeriod"] == {"start": b.fhir_instant(NOW)}
    ((stat, version),) = make_stat(task, NOW).updates
    assert version == "4" and stat["priority"] == "stat" and stat["status"] == "requested" and "owner" not in stat
