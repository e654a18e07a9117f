"""Housekeeping's searches and Task shapes. A cleaning job is the Task the bed movements create
(kiosk/fhir/movements.py: code bed-cleaning in the kiosk's task-kind system, focus the bed): its kind of
clean is a coded Task.input, stat is Task.priority, who took it is Task.owner and when is
executionPeriod.start; done is executionPeriod.end with status completed (`movements.bed_clean`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kiosk.fhir import builders as b
from kiosk.fhir import codes
from kiosk.fhir.change import TRANSACTION, Change, Needs, edit
from kiosk.fhir.gateway import FhirGateway
from kiosk.fhir.records import TaskRecord, read_all, read_task
from kiosk.fhir.refs import ref_key

TASK_UPDATE = ("Task", "update")
TASK_CREATE = ("Task", "conditional-create")
LOCATION_UPDATE = ("Location", "update")

#: What each housekeeping action may need the server to allow.
NEEDS: dict[str, Needs] = {
    "start": Needs.of(TASK_UPDATE, TASK_CREATE),
    "done": Needs.of(LOCATION_UPDATE, TASK_UPDATE, TRANSACTION),
    "stat": Needs.of(TASK_UPDATE),
}


def task_kind_system(gw: FhirGateway) -> str:
    return codes.local_system(gw.identifiers.code_systems, codes.TASK_KIND_CONCEPT)


def clean_type_of(task: TaskRecord) -> str:
    """A job's kind of clean; a job written before kinds were recorded (or by another system) is routine."""
    found = task.input_code(codes.TASK_INPUT_CLEAN_TYPE)
    return found if found in codes.CLEAN_TYPES else codes.CLEAN_ROUTINE


def owner_reference(name: str, practitioner_ref: str | None) -> dict[str, Any]:
    """Who took a job: the staff member's Practitioner when they have a literal one, else their name."""
    if practitioner_ref and "?" not in practitioner_ref:
        return b.reference(practitioner_ref, name)
    return {"display": name}


def make_stat(task: dict[str, Any], now: datetime) -> Change:
    """Raise a waiting job to stat: the Task's priority (R4 request-priority), nothing else."""
    edited, version = edit(task)
    edited["priority"] = "stat"
    edited["lastModified"] = b.fhir_instant(now)
    change = Change("cleaning-stat")
    change.update((edited, version))
    return change


def unit_jobs(gw: FhirGateway, unit_id: str, statuses: tuple[str, ...], since: datetime | None = None
              ) -> tuple[list[TaskRecord], int]:
    """The unit's cleaning jobs in these statuses (created since `since`): one search (its pages), the
    beds and their rooms included to tell which jobs are on this unit. Returns the jobs and how many
    records could not be read."""
    found = gw.client.search("Task", [
        ("code", f"{task_kind_system(gw)}|{codes.TASK_BED_CLEANING}"),
        ("status", ",".join(statuses)),
        *([("authored-on", f"ge{b.fhir_instant(since)}")] if since else []),
        ("_include", "Task:focus"),
        ("_include:iterate", "Location:partof"),
        ("_count", "1000"),
    ])
    unit_ref = f"Location/{unit_id}"
    places = {f"Location/{r.get('id')}": r for r in [*found.matches, *found.included.values()]
              if r.get("resourceType") == "Location"}

    def on_unit(bed: str | None) -> bool:
        parent = ref_key((places.get(bed or "") or {}).get("partOf"))
        if parent == unit_ref:
            return True
        return ref_key((places.get(parent or "") or {}).get("partOf")) == unit_ref

    tasks = read_all([r for r in found.matches if r.get("resourceType") == "Task"], read_task)
    jobs = [t for t in tasks.records if t.code == codes.TASK_BED_CLEANING and on_unit(t.focus)]
    return jobs, len(tasks.unreadable)
