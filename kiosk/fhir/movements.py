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
and sent with If-Match on the version read: one PUT or POST when it touches one resource, otherwise
one transaction Bundle with `ifMatch` on every update. Builders are pure functions, so the exact
shapes are unit-tested; `apply` is the only function here that writes.

Location entries follow one rule on admit and transfer: the destination bed's entry becomes active,
entries for its room and unit that were planned become active too, and planned or reserved entries
for anything else are dropped (they were plans that did not happen; the server's history keeps them).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from . import builders as b
from . import codes
from .capability import Capabilities
from .client import Transaction, WriteResult, version_of
from .gateway import FhirGateway
from .records import code_of, ref_key

#: Task statuses in which a cleaning job is still open.
OPEN_TASK_STATUSES = ("draft", "requested", "received", "accepted", "ready", "in-progress", "on-hold")
CLEANING = "bed-cleaning"
#: How a blocked bed's reason is kept in Location.description (R4 Location has no status reason).
BLOCKED_PREFIX = "Blocked: "

ISOLATION_KINDS: dict[str, str] = {
    "isolation-contact": "Contact isolation",
    "isolation-droplet": "Droplet isolation",
    "isolation-airborne": "Airborne isolation",
}


# ---------------------------------------------------------------- the current state


@dataclass
class Current:
    """The current version of every resource a change may touch, read just before the change."""

    encounter: dict[str, Any] | None = None
    locations: dict[str, dict[str, Any]] = field(default_factory=dict)
    cleaning_tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    isolation_flags: list[dict[str, Any]] = field(default_factory=list)

    def location(self, ref: str) -> dict[str, Any]:
        return self.locations[ref]

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

    def versions(self) -> dict[str, str | None]:
        """'Type/id' -> versionId of everything read."""
        found: dict[str, str | None] = {}
        resources = [self.encounter, *self.locations.values(), *self.cleaning_tasks.values(),
                     *self.isolation_flags]
        for r in resources:
            if r:
                found[f"{r['resourceType']}/{r['id']}"] = version_of(r)
        return found


def read_current(gw: FhirGateway, *, encounter_id: str | None = None, location_ids: Sequence[str] = (),
                 cleaning_for: Sequence[str] = (), isolation_flags_of: str | None = None,
                 alert_system: str | None = None) -> Current:
    """At most four requests: the Encounter, the Locations with their rooms and units, the open
    cleaning Tasks of some beds, and a patient's active isolation Flags."""
    current = Current()
    if encounter_id:
        current.encounter = gw.client.read("Encounter", encounter_id)
    ids = sorted(set(location_ids))
    if ids:
        found = gw.client.search("Location", [
            ("_id", ",".join(ids)),
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
            ("status", ",".join(OPEN_TASK_STATUSES)),
        ])
        for task in tasks.matches:
            if code_of(task.get("code")) != CLEANING:
                continue
            focus = ref_key(task.get("focus"))
            newest = current.cleaning_tasks.get(focus or "")
            if focus and (newest is None or str(task.get("authoredOn", "")) > str(newest.get("authoredOn", ""))):
                current.cleaning_tasks[focus] = task
    if isolation_flags_of:
        flags = gw.client.search("Flag", [("patient", isolation_flags_of), ("status", "active")])
        current.isolation_flags = [f for f in flags.matches if is_isolation_flag(f, alert_system)]
    return current


def is_isolation_flag(flag: dict[str, Any], alert_system: str | None = None) -> bool:
    categories = {code_of(c, codes.FLAG_CATEGORY) for c in flag.get("category") or []}
    code = code_of(flag.get("code"), alert_system) if alert_system else code_of(flag.get("code"))
    return codes.FLAG_ISOLATION in categories or (code or "").startswith("isolation-")


# ---------------------------------------------------------------- a change


@dataclass
class Change:
    """What one action writes: updates (each with the version read) and creates."""

    action: str
    updates: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    creates: list[dict[str, Any]] = field(default_factory=list)

    def update(self, edited: tuple[dict[str, Any], str]) -> None:
        """Add an update: the changed resource and the version it was read at (sent as If-Match)."""
        self.updates.append(edited)

    def create(self, resource: dict[str, Any]) -> None:
        self.creates.append(resource)

    def interactions(self) -> list[tuple[str, str]]:
        """(resource type, interaction) pairs this change needs the server to allow."""
        needed = [(r["resourceType"], "update") for r, _ in self.updates]
        needed += [(r["resourceType"], "create") for r in self.creates]
        if len(self.updates) + len(self.creates) > 1:
            needed.append(("", "transaction"))
        return list(dict.fromkeys(needed))

    def refused_by(self, caps: Capabilities) -> str | None:
        """The first reason the server gives for not allowing this change, or None."""
        for resource_type, interaction in self.interactions():
            reason = caps.reason(resource_type, interaction)
            if reason:
                return reason
        return None

    def resource(self, resource_type: str) -> dict[str, Any] | None:
        """The first updated resource of a type (tests and audit read what was sent)."""
        return next((r for r, _ in self.updates if r["resourceType"] == resource_type), None)


def apply(gw: FhirGateway, change: Change) -> list[str]:
    """Send a change: one request for one resource, else one transaction. Returns the references
    written. A version that moved on raises FhirConflict and nothing is written."""
    count = len(change.updates) + len(change.creates)
    if count == 0:
        return []
    if count == 1:
        result: WriteResult
        if change.updates:
            resource, version = change.updates[0]
            result = gw.client.update(resource, version=version)
        else:
            result = gw.client.create(change.creates[0])
        return [result.reference]
    tx = Transaction()
    for resource, version in change.updates:
        tx.update(resource, version)
    for resource in change.creates:
        tx.create(resource)
    return [r.reference or "" for r in gw.client.transaction(tx)]


# ---------------------------------------------------------------- shapes


def _edit(resource: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """A copy to change and send (without the meta the server sets), and the version it was read at."""
    version = version_of(resource)
    if not version:
        raise ValueError(f"{resource.get('resourceType')}/{resource.get('id')} was read without a version")
    out = copy.deepcopy(resource)
    meta = {k: v for k, v in (out.pop("meta", None) or {}).items() if k not in ("versionId", "lastUpdated")}
    if meta:
        out["meta"] = meta
    return out, version


def _bed_status(bed: dict[str, Any], status_code: str) -> tuple[dict[str, Any], str]:
    new, version = _edit(bed)
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


def cleaning_task(bed_ref: str, task_kind_system: str, now: datetime, status: str = "requested",
                  requester: str | None = None) -> dict[str, Any]:
    task = b.cleaning_task(bed=bed_ref, task_kind_system=task_kind_system, authored=now, status=status,
                           requester=requester)
    if status == "in-progress":
        task["executionPeriod"] = {"start": b.fhir_instant(now)}
    return task


# ---------------------------------------------------------------- the changes


def reserve(current: Current, bed_ref: str) -> Change:
    """Reserve a bed for a pending admission: its other unused reservations are replaced."""
    enc, version = _edit(_need(current.encounter))
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
    return change


def admit(current: Current, bed_ref: str, now: datetime) -> Change:
    """Arrival: Encounter in-progress with its arrival time, bed entry active, bed occupied."""
    enc, version = _edit(_need(current.encounter))
    enc["status"] = "in-progress"
    enc["period"] = {**(enc.get("period") or {}), "start": b.fhir_instant(now)}
    _place(enc, bed_ref, current.containers(bed_ref), now)
    change = Change("admit")
    change.update((enc, version))
    change.update(_bed_status(current.location(bed_ref), codes.BED_OCCUPIED))
    return change


def transfer(current: Current, from_ref: str, to_ref: str, now: datetime, task_kind_system: str,
             requester: str | None = None) -> Change:
    """Move an admitted patient from one bed to another (on this unit or another)."""
    enc, version = _edit(_need(current.encounter))
    destination = current.containers(to_ref)
    _complete_active(enc, now, keep=destination)
    _place(enc, to_ref, destination, now)
    old_bed = current.location(from_ref)
    isolated = (old_bed.get("operationalStatus") or {}).get("code") == codes.BED_ISOLATED
    change = Change("transfer")
    change.update((enc, version))
    change.update(_bed_status(old_bed, codes.BED_HOUSEKEEPING))
    change.update(_bed_status(current.location(to_ref), codes.BED_ISOLATED if isolated else codes.BED_OCCUPIED))
    change.create(cleaning_task(from_ref, task_kind_system, now, requester=requester))
    return change


def discharge(current: Current, bed_ref: str | None, disposition: str, now: datetime, task_kind_system: str,
              requester: str | None = None) -> Change:
    """Encounter finished with a standard discharge disposition; its bed to housekeeping."""
    if disposition not in codes.DISCHARGE_DISPOSITIONS:
        raise ValueError(f"'{disposition}' is not a discharge disposition")
    enc, version = _edit(_need(current.encounter))
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
        change.update(_bed_status(current.location(bed_ref), codes.BED_HOUSEKEEPING))
        change.create(cleaning_task(bed_ref, task_kind_system, now, requester=requester))
    return change


def start_cleaning(current: Current, bed_ref: str, now: datetime, task_kind_system: str,
                   performer: str | None = None) -> Change:
    """Housekeeping has started on the bed: its cleaning Task in-progress (created if there was none)."""
    change = Change("cleaning-started")
    task = current.cleaning_tasks.get(bed_ref)
    if task is None:
        change.create(cleaning_task(bed_ref, task_kind_system, now, status="in-progress", requester=performer))
        return change
    new, version = _edit(task)
    instant = b.fhir_instant(now)
    new["status"] = "in-progress"
    new["lastModified"] = instant
    new["businessStatus"] = {"text": "Cleaning"}
    new["executionPeriod"] = {**(new.get("executionPeriod") or {}), "start": instant}
    change.update((new, version))
    return change


def bed_clean(current: Current, bed_ref: str, now: datetime) -> Change:
    """The bed is clean: available again, its cleaning Task completed."""
    change = Change("bed-clean")
    change.update(_bed_status(current.location(bed_ref), codes.BED_UNOCCUPIED))
    task = current.cleaning_tasks.get(bed_ref)
    if task is not None:
        new, version = _edit(task)
        instant = b.fhir_instant(now)
        new["status"] = "completed"
        new["lastModified"] = instant
        new["businessStatus"] = {"text": "Clean"}
        new["executionPeriod"] = {"start": instant, **(new.get("executionPeriod") or {}), "end": instant}
        change.update((new, version))
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


def end_isolation(current: Current, bed_ref: str, occupied: bool, now: datetime, task_kind_system: str) -> Change:
    """Isolation ends: an occupied bed is plainly occupied again and the occupant's isolation Flags
    end; an empty bed goes to housekeeping for a terminal clean."""
    change = Change("end-isolation")
    if occupied:
        change.update(_bed_status(current.location(bed_ref), codes.BED_OCCUPIED))
        for flag in current.isolation_flags:
            new, version = _edit(flag)
            new["status"] = "inactive"
            new["period"] = {**(new.get("period") or {}), "end": b.fhir_instant(now)}
            change.update((new, version))
    else:
        change.update(_bed_status(current.location(bed_ref), codes.BED_HOUSEKEEPING))
        if bed_ref not in current.cleaning_tasks:
            change.create(cleaning_task(bed_ref, task_kind_system, now))
    return change


def block(current: Current, bed_ref: str, reason: str) -> Change:
    new, version = _bed_status(current.location(bed_ref), codes.BED_CLOSED)
    new["description"] = BLOCKED_PREFIX + reason.strip()
    change = Change("block")
    change.update((new, version))
    return change


def unblock(current: Current, bed_ref: str, ready: bool, now: datetime, task_kind_system: str) -> Change:
    """Back in service: available when it is ready, otherwise to housekeeping with a cleaning Task."""
    new, version = _bed_status(current.location(bed_ref),
                               codes.BED_UNOCCUPIED if ready else codes.BED_HOUSEKEEPING)
    if str(new.get("description", "")).startswith(BLOCKED_PREFIX):
        new.pop("description")
    change = Change("unblock")
    change.update((new, version))
    if not ready and bed_ref not in current.cleaning_tasks:
        change.create(cleaning_task(bed_ref, task_kind_system, now))
    return change


def blocked_reason(description: str) -> str | None:
    return description[len(BLOCKED_PREFIX):] if description.startswith(BLOCKED_PREFIX) else None


def _need(resource: dict[str, Any] | None) -> dict[str, Any]:
    if resource is None:
        raise ValueError("this change needs the encounter that was read")
    return resource


#: What each action needs the server to allow, checked before it is offered (the change itself is
#: checked again, exactly, before it is sent).
ACTION_NEEDS: dict[str, tuple[tuple[str, str], ...]] = {
    "reserve": (("Encounter", "update"),),
    "admit": (("Encounter", "update"), ("Location", "update"), ("", "transaction")),
    "transfer": (("Encounter", "update"), ("Location", "update"), ("Task", "create"), ("", "transaction")),
    "discharge": (("Encounter", "update"), ("Location", "update"), ("Task", "create"), ("", "transaction")),
    "cleaning-started": (("Task", "update"),),
    "bed-clean": (("Location", "update"), ("Task", "update"), ("", "transaction")),
    "isolate": (("Location", "update"),),
    "end-isolation": (("Location", "update"),),
    "block": (("Location", "update"),),
    "unblock": (("Location", "update"),),
}


def refused_action(caps: Capabilities, action: str) -> str | None:
    """Why the server will not allow an action, or None when it does."""
    for resource_type, interaction in ACTION_NEEDS[action]:
        reason = caps.reason(resource_type, interaction)
        if reason:
            return reason
    return None
