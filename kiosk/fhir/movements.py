"""Patient movements and bed housekeeping as FHIR changes, exactly as DESIGN.md models them.

- reserve:   a `reserved` Encounter.location entry on the bed (the Encounter alone changes);
- admit:     Encounter planned -> in-progress, the bed's entry active with period.start, bed O;
- transfer:  the old bed's entry completed with period.end, the new one active, old bed H with a
             cleaning Task, new bed O (I when the patient came from an isolated bed);
- discharge: Encounter finished with hospitalization.dischargeDisposition, its active entries
             completed, bed H and a cleaning Task;
- housekeeping: cleaning started (Task in-progress), bed clean (bed U, Task completed);
- isolate / end isolation of a bed (with the patient's isolation Flag when the bed is occupied),
  block / unblock a bed with a reason.

Every change is built from the current JSON of the resources it touches (read with `read_current`)
as a `kiosk.fhir.change.Change`; the workflow that offers it declares what it may need and sends it
with the versions the person saw (`kiosk.fhir.change.send`). A reservation also writes the bed,
unchanged, with its ifMatch: two stations reserving or admitting into the same bed at once meet a 412
instead of double-booking it. Cleaning Tasks the kiosk makes carry an identifier (one per form shown)
and are created with If-None-Exist on it, so a double tap makes one. Builders are pure functions, so
the exact shapes are unit-tested; nothing here writes.

Location entries follow one rule on admit and transfer: the destination bed's entry becomes active,
entries for its room and unit that were planned become active too, and planned or reserved entries
for anything else are dropped (they were plans that did not happen; the server's history keeps them).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from . import builders as b
from . import codes
from .change import Change, edit
from .client import identifier_query
from .errors import UnreadableResource
from .gateway import FhirGateway
from .records import TaskRecord, code_of, read_task
from .refs import ref_key, version_of

#: How a blocked bed's reason is kept in Location.description (R4 Location has no status reason).
BLOCKED_PREFIX = "Blocked: "

ISOLATION_KINDS: dict[str, str] = {
    "isolation-contact": "Contact isolation",
    "isolation-droplet": "Droplet isolation",
    "isolation-airborne": "Airborne isolation",
}


# ---------------------------------------------------------------- cleaning jobs


def cleaning_jobs(tasks: Iterable[TaskRecord]) -> dict[str, list[TaskRecord]]:
    """The open cleaning Tasks of each bed ('Location/<id>'), newest first by authoredOn (one without
    it counts as oldest). The one place that decides which cleaning job of a bed is current."""
    by_bed: dict[str, list[TaskRecord]] = {}
    for task in tasks:
        if task.focus and task.code == codes.TASK_BED_CLEANING and task.status in codes.OPEN_TASK_STATUSES:
            by_bed.setdefault(task.focus, []).append(task)
    oldest = datetime.min.replace(tzinfo=UTC)
    for jobs in by_bed.values():
        jobs.sort(key=lambda t: t.authored_on or oldest, reverse=True)
    return by_bed


def current_job(jobs: Sequence[TaskRecord]) -> TaskRecord | None:
    """The job a bed shows: the one in progress if any, otherwise the newest."""
    return next((t for t in jobs if t.status == "in-progress"), jobs[0] if jobs else None)


@dataclass(frozen=True)
class NewTask:
    """How a cleaning Task the kiosk creates is coded and identified. `key` is made once per form
    shown, so a double tap or a retry of the same form finds the Task it already made."""

    kind_system: str
    identifier_system: str
    key: str

    def identifier(self, bed_ref: str) -> dict[str, str]:
        return b.identifier(self.identifier_system, f"{self.key}-{bed_ref.rsplit('/', 1)[-1]}")


# ---------------------------------------------------------------- the current state


@dataclass
class Current:
    """The current version of every resource a change may touch, read just before the change."""

    encounter: dict[str, Any] | None = None
    locations: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: 'Location/<id>' -> the bed's open cleaning Tasks (JSON), newest first.
    cleaning_tasks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    isolation_flags: list[dict[str, Any]] = field(default_factory=list)

    def location(self, ref: str) -> dict[str, Any]:
        return self.locations[ref]

    def cleaning(self, bed_ref: str) -> list[dict[str, Any]]:
        return self.cleaning_tasks.get(bed_ref, [])

    def containers(self, ref: str) -> set[str]:
        """The room, unit, building ... a location lies in (as far as the read brought them)."""
        out: set[str] = set()
        seen = {ref}
        parent = ref_key((self.locations.get(ref) or {}).get("partOf"))
        while parent and parent not in seen:
            out.add(parent)
            seen.add(parent)
            parent = ref_key((self.locations.get(parent) or {}).get("partOf"))
        return out

    def active_beds(self) -> list[str]:
        """The beds the encounter is in now (its active location entries that were read as beds)."""
        beds = []
        for entry in (self.encounter or {}).get("location") or []:
            ref = _entry_ref(entry)
            place = self.locations.get(ref or "")
            if entry.get("status") == "active" and place is not None and \
                    code_of(place.get("physicalType")) == codes.BED:
                beds.append(str(ref))
        return beds

    def versions(self) -> dict[str, str | None]:
        """'Type/id' -> versionId of everything read."""
        found: dict[str, str | None] = {}
        tasks = [t for jobs in self.cleaning_tasks.values() for t in jobs]
        for r in [self.encounter, *self.locations.values(), *tasks, *self.isolation_flags]:
            if r:
                found[f"{r['resourceType']}/{r['id']}"] = version_of(r)
        return found


def read_current(gw: FhirGateway, *, encounter_id: str | None = None, location_ids: Sequence[str] = (),
                 encounter_places: bool = False, cleaning_for: Sequence[str] = (),
                 isolation_flags_of: str | None = None, alert_system: str | None = None) -> Current:
    """At most four requests: the Encounter, the Locations with their rooms and units (with
    `encounter_places`, also every place the encounter is active in), the open cleaning Tasks of some
    beds, and a patient's active isolation Flags."""
    current = Current()
    ids = set(location_ids)
    if encounter_id:
        current.encounter = gw.client.read("Encounter", encounter_id)
        if encounter_places:
            ids |= {str(_entry_ref(e)).split("/", 1)[1] for e in current.encounter.get("location") or []
                    if e.get("status") == "active" and str(_entry_ref(e)).startswith("Location/")}
    if ids:
        found = gw.client.search("Location", [
            ("_id", ",".join(sorted(ids))),
            ("_include", "Location:partof"),
            ("_include:iterate", "Location:partof"),
        ])
        for r in [*found.matches, *found.included.values()]:
            if r.get("resourceType") == "Location":
                current.locations[f"Location/{r['id']}"] = r
    beds = sorted(set(cleaning_for))
    if beds:
        tasks = gw.client.search("Task", [
            ("focus", ",".join(f"Location/{i}" for i in beds)),
            ("status", ",".join(codes.OPEN_TASK_STATUSES)),
        ])
        by_id = {f"Task/{t.get('id')}": t for t in tasks.matches}
        records = []
        for task in tasks.matches:
            try:
                records.append(read_task(task))
            except UnreadableResource:
                continue
        current.cleaning_tasks = {bed: [by_id[f"Task/{t.id}"] for t in jobs]
                                  for bed, jobs in cleaning_jobs(records).items()}
    if isolation_flags_of:
        flags = gw.client.search("Flag", [("patient", isolation_flags_of), ("status", "active")], post=True)
        current.isolation_flags = [f for f in flags.matches if is_isolation_flag(f, alert_system)]
    return current


def is_isolation_flag(flag: dict[str, Any], alert_system: str | None = None) -> bool:
    categories = {code_of(c, codes.FLAG_CATEGORY) for c in flag.get("category") or []}
    code = code_of(flag.get("code"), alert_system) if alert_system else code_of(flag.get("code"))
    return codes.FLAG_ISOLATION in categories or (code or "").startswith("isolation-")


# ---------------------------------------------------------------- shapes


def _bed_status(bed: dict[str, Any], status_code: str) -> tuple[dict[str, Any], str]:
    new, version = edit(bed)
    new["operationalStatus"] = b.bed_status(status_code)
    return new, version


def _entry_ref(entry: dict[str, Any]) -> str | None:
    return ref_key(entry.get("location"))


def _place(encounter: dict[str, Any], bed_ref: str, containers: set[str], now: datetime) -> None:
    """Make `bed_ref` the active location: see the module docstring for the rule."""
    instant = b.fhir_instant(now)
    kept: list[dict[str, Any]] = []
    placed = False
    for entry in encounter.get("location") or []:
        ref = _entry_ref(entry)
        status = entry.get("status")
        if status in ("planned", "reserved"):
            if ref == bed_ref and not placed:
                entry["status"] = "active"
                entry["period"] = {"start": instant}
                placed = True
            elif ref in containers:
                entry["status"] = "active"
                entry["period"] = {"start": instant}
            else:
                continue
        kept.append(entry)
    if not placed:
        kept.append(b.encounter_location(bed_ref, "active", now))
    encounter["location"] = kept


def _complete_active(encounter: dict[str, Any], now: datetime, keep: set[str] | None = None) -> None:
    """Active entries (except those in `keep`) become completed with period.end."""
    instant = b.fhir_instant(now)
    for entry in encounter.get("location") or []:
        if entry.get("status") == "active" and _entry_ref(entry) not in (keep or set()):
            entry["status"] = "completed"
            entry["period"] = {**(entry.get("period") or {}), "end": instant}


def _drop_plans(encounter: dict[str, Any]) -> None:
    encounter["location"] = [e for e in encounter.get("location") or []
                             if e.get("status") not in ("planned", "reserved")]


def cleaning_task(bed_ref: str, new: NewTask, now: datetime, status: str = "requested",
                  requester: str | None = None, clean_type: str = codes.CLEAN_ROUTINE) -> tuple[dict[str, Any], str]:
    """A cleaning Task and the If-None-Exist query that makes its create conditional."""
    ident = new.identifier(bed_ref)
    task = b.cleaning_task(bed=bed_ref, task_kind_system=new.kind_system, authored=now, status=status,
                           ident=ident, requester=requester, clean_type=clean_type)
    if status == "in-progress":
        task["executionPeriod"] = {"start": b.fhir_instant(now)}
    return task, identifier_query(ident["system"], ident["value"])


def _create_cleaning(change: Change, bed_ref: str, new: NewTask, now: datetime, status: str = "requested",
                     requester: str | None = None, clean_type: str = codes.CLEAN_ROUTINE) -> None:
    task, if_none_exist = cleaning_task(bed_ref, new, now, status, requester, clean_type)
    change.create(task, if_none_exist)


def clean_type_after(bed: dict[str, Any]) -> str:
    """The clean a bed needs once its patient has left: terminal when it was isolated, else routine."""
    isolated = (bed.get("operationalStatus") or {}).get("code") == codes.BED_ISOLATED
    return codes.CLEAN_TERMINAL if isolated else codes.CLEAN_ROUTINE


# ---------------------------------------------------------------- the changes


def reserve(current: Current, bed_ref: str) -> Change:
    """Reserve a bed for a pending admission: its other unused reservations are replaced. The bed is
    written too, unchanged, with its ifMatch: a concurrent reservation or admission into the same bed
    then meets a 412 (v2-0116 has no 'reserved' bed status to write)."""
    enc, version = edit(_need(current.encounter))
    entries = [e for e in enc.get("location") or []
               if not (e.get("status") == "reserved" and _entry_ref(e) != bed_ref)]
    existing = next((e for e in entries if _entry_ref(e) == bed_ref and e.get("status") in ("planned", "reserved")),
                    None)
    if existing is not None:
        existing["status"] = "reserved"
    else:
        entries.append(b.encounter_location(bed_ref, "reserved"))
    enc["location"] = entries
    change = Change("reserve")
    change.update((enc, version))
    change.guard(edit(current.location(bed_ref)))
    return change


def reserved_bed(current: Current, bed_ref: str) -> bool:
    """Does the encounter hold a reservation of this bed?"""
    return any(e.get("status") == "reserved" and _entry_ref(e) == bed_ref
               for e in (current.encounter or {}).get("location") or [])


def cancel_reservation(current: Current, bed_ref: str) -> Change:
    """Take back a reservation: the encounter's reserved entry for this bed is removed (the patient never
    was there, so it is not 'completed'); the bed is written unchanged with its ifMatch, as when it was
    reserved, so that a reservation or admission into it at the same moment meets a 412."""
    enc, version = edit(_need(current.encounter))
    enc["location"] = [e for e in enc.get("location") or []
                       if not (e.get("status") == "reserved" and _entry_ref(e) == bed_ref)]
    if not enc["location"]:
        del enc["location"]
    change = Change("cancel-reservation")
    change.update((enc, version))
    change.guard(edit(current.location(bed_ref)))
    return change


def set_expected_discharge(current: Current, day: date | None) -> Change:
    """The expected discharge date (R5 Encounter.plannedEndDate, carried in R4 by its cross-version
    extension); None removes it ("not known")."""
    enc, version = edit(_need(current.encounter))
    kept = [e for e in enc.get("extension") or [] if not (isinstance(e, dict) and e.get("url") ==
                                                         codes.PLANNED_END_EXTENSION)]
    if day is not None:
        kept.append(b.planned_end(day))
    if kept:
        enc["extension"] = kept
    else:
        enc.pop("extension", None)
    change = Change("expected-discharge")
    change.update((enc, version))
    return change


def admit(current: Current, bed_ref: str, now: datetime) -> Change:
    """Arrival: Encounter in-progress with its arrival time, bed entry active, bed occupied."""
    enc, version = edit(_need(current.encounter))
    enc["status"] = "in-progress"
    enc["period"] = {**(enc.get("period") or {}), "start": b.fhir_instant(now)}
    _place(enc, bed_ref, current.containers(bed_ref), now)
    change = Change("admit")
    change.update((enc, version))
    change.update(_bed_status(current.location(bed_ref), codes.BED_OCCUPIED))
    return change


def transfer(current: Current, from_ref: str, to_ref: str, now: datetime, new: NewTask,
             requester: str | None = None) -> Change:
    """Move an admitted patient from one bed to another (on this unit or another)."""
    enc, version = edit(_need(current.encounter))
    destination = current.containers(to_ref)
    _complete_active(enc, now, keep=destination)
    _place(enc, to_ref, destination, now)
    old_bed = current.location(from_ref)
    isolated = (old_bed.get("operationalStatus") or {}).get("code") == codes.BED_ISOLATED
    change = Change("transfer")
    change.update((enc, version))
    change.update(_bed_status(old_bed, codes.BED_HOUSEKEEPING))
    change.update(_bed_status(current.location(to_ref), codes.BED_ISOLATED if isolated else codes.BED_OCCUPIED))
    _create_cleaning(change, from_ref, new, now, requester=requester, clean_type=clean_type_after(old_bed))
    return change


def discharge(current: Current, bed_ref: str | None, disposition: str, now: datetime, new: NewTask,
              requester: str | None = None) -> Change:
    """Encounter finished with a standard discharge disposition; its bed to housekeeping."""
    if disposition not in codes.DISCHARGE_DISPOSITIONS:
        raise ValueError(f"'{disposition}' is not a discharge disposition")
    enc, version = edit(_need(current.encounter))
    enc["status"] = "finished"
    enc["period"] = {**(enc.get("period") or {}), "end": b.fhir_instant(now)}
    hospitalization = enc.setdefault("hospitalization", {})
    hospitalization["dischargeDisposition"] = b.concept(
        codes.DISCHARGE_DISPOSITION, disposition, codes.DISCHARGE_DISPOSITIONS[disposition])
    _complete_active(enc, now)
    _drop_plans(enc)
    change = Change("discharge")
    change.update((enc, version))
    if bed_ref:
        bed = current.location(bed_ref)
        change.update(_bed_status(bed, codes.BED_HOUSEKEEPING))
        _create_cleaning(change, bed_ref, new, now, requester=requester, clean_type=clean_type_after(bed))
    return change


def cleaning_in_progress(current: Current, bed_ref: str) -> bool:
    return any(task.get("status") == "in-progress" for task in current.cleaning(bed_ref))


def start_cleaning(current: Current, bed_ref: str, now: datetime, new: NewTask,
                   performer: str | None = None, owner: dict[str, Any] | None = None) -> Change:
    """Housekeeping has started on the bed: its newest cleaning Task in-progress (created, conditionally,
    if there was none), owned by `owner` (a reference: who took the job) when given. A bed whose cleaning
    is already in progress is refused (ValueError)."""
    if cleaning_in_progress(current, bed_ref):
        raise ValueError("cleaning of this bed has already started")
    change = Change("cleaning-started")
    jobs = current.cleaning(bed_ref)
    if not jobs:
        task, if_none_exist = cleaning_task(bed_ref, new, now, "in-progress", performer)
        if owner:
            task["owner"] = owner
        change.create(task, if_none_exist)
        return change
    task, version = edit(jobs[0])
    instant = b.fhir_instant(now)
    task["status"] = "in-progress"
    task["lastModified"] = instant
    task["businessStatus"] = {"text": "Cleaning"}
    task["executionPeriod"] = {**(task.get("executionPeriod") or {}), "start": instant}
    if owner:
        task["owner"] = owner
    change.update((task, version))
    return change


def bed_clean(current: Current, bed_ref: str, now: datetime) -> Change:
    """The bed is clean: available again, and every open cleaning Task of it completed (older ones
    left open elsewhere would show as ghost jobs on housekeeping's worklists)."""
    change = Change("bed-clean")
    change.update(_bed_status(current.location(bed_ref), codes.BED_UNOCCUPIED))
    instant = b.fhir_instant(now)
    for job in current.cleaning(bed_ref):
        task, version = edit(job)
        task["status"] = "completed"
        task["lastModified"] = instant
        task["businessStatus"] = {"text": "Clean"}
        task["executionPeriod"] = {"start": instant, **(task.get("executionPeriod") or {}), "end": instant}
        change.update((task, version))
    return change


def isolate(current: Current, bed_ref: str, patient: str | None, kind: str | None, now: datetime,
            alert_system: str) -> Change:
    """Bed isolated; an occupant without an isolation Flag of that kind gets one."""
    change = Change("isolate")
    change.update(_bed_status(current.location(bed_ref), codes.BED_ISOLATED))
    if patient and kind:
        if kind not in ISOLATION_KINDS:
            raise ValueError(f"'{kind}' is not an isolation kind")
        has = any(code_of(f.get("code")) == kind for f in current.isolation_flags)
        if not has:
            change.create(b.alert_flag(patient=patient, category=codes.FLAG_ISOLATION, code=kind,
                                       text=ISOLATION_KINDS[kind], alert_system=alert_system, start=now))
    return change


def end_isolation(current: Current, bed_ref: str, occupied: bool, now: datetime, new: NewTask) -> Change:
    """Isolation ends: an occupied bed is plainly occupied again and the occupant's isolation Flags
    end; an empty bed goes to housekeeping for a terminal clean."""
    change = Change("end-isolation")
    if occupied:
        change.update(_bed_status(current.location(bed_ref), codes.BED_OCCUPIED))
        for flag in current.isolation_flags:
            ended, version = edit(flag)
            ended["status"] = "inactive"
            ended["period"] = {**(ended.get("period") or {}), "end": b.fhir_instant(now)}
            change.update((ended, version))
    else:
        change.update(_bed_status(current.location(bed_ref), codes.BED_HOUSEKEEPING))
        if not current.cleaning(bed_ref):
            _create_cleaning(change, bed_ref, new, now, clean_type=codes.CLEAN_TERMINAL)
    return change


def block(current: Current, bed_ref: str, reason: str) -> Change:
    blocked, version = _bed_status(current.location(bed_ref), codes.BED_CLOSED)
    blocked["description"] = BLOCKED_PREFIX + reason.strip()
    change = Change("block")
    change.update((blocked, version))
    return change


def unblock(current: Current, bed_ref: str, ready: bool, now: datetime, new: NewTask) -> Change:
    """Back in service: available when it is ready, otherwise to housekeeping with a cleaning Task."""
    bed, version = _bed_status(current.location(bed_ref),
                               codes.BED_UNOCCUPIED if ready else codes.BED_HOUSEKEEPING)
    if str(bed.get("description", "")).startswith(BLOCKED_PREFIX):
        bed.pop("description")
    change = Change("unblock")
    change.update((bed, version))
    if not ready and not current.cleaning(bed_ref):
        _create_cleaning(change, bed_ref, new, now)
    return change


def blocked_reason(description: str) -> str | None:
    return description[len(BLOCKED_PREFIX):] if description.startswith(BLOCKED_PREFIX) else None


def _need(resource: dict[str, Any] | None) -> dict[str, Any]:
    if resource is None:
        raise ValueError("this change needs the encounter that was read")
    return resource
