"""What can be done to a transport job, each declared once in `JOB_ACTIONS` (label, the Task statuses
it applies to, who may do it, what it needs the server to allow, whether it asks for a reason or an
armband scan first), and the change each one writes.

Every action is an update of the leg's Task with the version the person saw as its If-Match: two
transporters accepting one job, the second is refused by the server itself. An action that ends the
last open leg of a request also closes the request (ServiceRequest completed, or revoked when no leg
was delivered), and cancelling a leg before the patient left cancels the way back too; those go in the
same transaction, where the server takes transactions and ServiceRequest updates (otherwise the Task
alone is written and the request stays active: docs/decisions.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kiosk.auth import Role
from kiosk.fhir import builders as b
from kiosk.fhir.capability import Capabilities
from kiosk.fhir.change import TRANSACTION, Change, Needs, edit

from .fhir import (
    DELAY_PREFIX,
    LEG_OUT,
    OUT_ACCEPTED,
    OUT_IDENTITY,
    JobRecord,
    JobSet,
    Systems,
    set_business,
    set_output,
    target_period,
)

TASK_UPDATE = ("Task", "update")
REQUEST_UPDATE = ("ServiceRequest", "update")
#: The variant that also closes the request and the other legs (one transaction).
CLOSING = Needs.of(TASK_UPDATE, REQUEST_UPDATE, TRANSACTION)

DELAY_REASONS = ("Patient not ready", "Waiting for the nurse", "Waiting for equipment", "Elevator delay",
                 "Patient in a procedure", "Another stat job first")
CANCEL_REASONS = ("Test or procedure cancelled", "Patient refused", "Patient not ready", "Patient moved already",
                  "Asked for twice")
OTHER_REASON = "other"


@dataclass(frozen=True)
class JobAction:
    name: str
    label: str
    #: The Task statuses it applies to.
    statuses: frozenset[str]
    roles: tuple[Role, ...]
    #: What it needs the server to allow at the least (the Task update).
    needs: Needs
    #: It may end the request (its last open leg): then it closes the request too, where allowed.
    closes: bool = False
    #: "reason" or "scan": a form comes first.
    form: str | None = None
    #: A transporter may do it only to a job they accepted.
    own_only: bool = False
    danger: bool = False
    #: The words of the sheet's button, where the label alone would be unclear ("Cancel" beside "Close").
    submit: str | None = None

    @property
    def submit_label(self) -> str:
        return self.submit or self.label

    def refused(self, caps: Capabilities) -> str | None:
        return self.needs.refused(caps)

    def closing(self, caps: Capabilities) -> bool:
        """Does this server let the action close the request and the other legs with it?"""
        return self.closes and CLOSING.refused(caps) is None


class ActionSet(dict[str, JobAction]):
    def __init__(self, *actions: JobAction):
        super().__init__((a.name, a) for a in actions)


T = Role.TRANSPORTER
DESK = (Role.UNIT_SECRETARY, Role.CHARGE_NURSE)
TASK = Needs.of(TASK_UPDATE)

JOB_ACTIONS = ActionSet(
    JobAction("accept", "Accept", frozenset({"requested"}), (T,), TASK),
    JobAction("pickup", "Picked up", frozenset({"accepted"}), (T,), TASK, form="scan", own_only=True),
    JobAction("deliver", "Delivered", frozenset({"in-progress"}), (T,), TASK, closes=True, own_only=True),
    JobAction("delay", "Delayed", frozenset({"accepted", "in-progress"}), (T,), TASK, form="reason", own_only=True),
    JobAction("release", "Ready to come back", frozenset({"draft"}), (*DESK, T), TASK),
    JobAction("cancel", "Cancel", frozenset({"draft", "requested", "accepted", "in-progress"}), (T, *DESK), TASK,
              closes=True, form="reason", own_only=True, danger=True, submit="Cancel the job"),
)


@dataclass(frozen=True)
class ActionInput:
    """What came with the action: the transporter (as Task.owner), a reason, how the patient's
    identity was checked at pickup, and the target of a released way back."""

    owner: dict[str, Any] | None = None
    reason: str | None = None
    identity: str | None = None
    target_minutes: int = 45


def _status_after(action: str, job: JobRecord) -> str:
    if action == "cancel":
        return "failed" if job.status == "in-progress" else "cancelled"
    return {"accept": "accepted", "pickup": "in-progress", "deliver": "completed", "release": "requested"}.get(
        action, job.status)


def leg_change(action: str, job: JobRecord, raw: dict[str, Any], sys: Systems, now: datetime,
               given: ActionInput) -> tuple[dict[str, Any], str]:
    """The leg's Task as the action leaves it, and the version it was read at."""
    task, version = edit(raw)
    stamp = b.fhir_instant(now)
    task["status"] = _status_after(action, job)
    task["lastModified"] = stamp
    period = dict(task.get("executionPeriod") or {})
    if action == "accept":
        task["owner"] = given.owner
        set_business(task, sys, "dispatched")
        set_output(task, sys, OUT_ACCEPTED, {"valueDateTime": stamp})
    elif action == "pickup":
        period["start"] = stamp
        set_business(task, sys, "picked-up")
        set_output(task, sys, OUT_IDENTITY, {"valueString": given.identity or ""})
    elif action == "deliver":
        period["end"] = stamp
        set_business(task, sys, "arrived")
    elif action == "delay":
        set_business(task, sys, "delayed")
        task["note"] = [*(task.get("note") or []), {"time": stamp, "text": DELAY_PREFIX + (given.reason or ""),
                                                     **({"authorString": given.owner.get("display")}
                                                        if given.owner and given.owner.get("display") else {})}]
    elif action == "release":
        set_business(task, sys, "pending")
        task["restriction"] = {"period": target_period(now, given.target_minutes)}
    elif action == "cancel":
        set_business(task, sys, "cancelled")
        task["statusReason"] = {"text": given.reason or "Cancelled"}
        if job.status == "in-progress":
            period["end"] = stamp
    if period:
        task["executionPeriod"] = period
    return task, version


def build_change(action: JobAction, job: JobRecord, jobs: JobSet, sys: Systems, caps: Capabilities,
                 now: datetime, given: ActionInput) -> Change:
    """The change for one action on one leg; where the server allows it, the request and the other
    legs it ends go with it."""
    closing = action.closing(caps)
    change = Change(f"transport-{action.name}", CLOSING if closing else action.needs)
    change.update(leg_change(action.name, job, jobs.raw[job.reference], sys, now, given), name="the transport job")
    if not closing:
        return change
    siblings = [j for j in jobs.jobs if j.number == job.number and j.id != job.id]
    open_after = [j for j in siblings if j.is_open]
    if action.name == "cancel" and job.leg == LEG_OUT and job.status != "in-progress":
        # The patient never left: the way back is cancelled with it.
        for other in open_after:
            change.update(leg_change("cancel", other, jobs.raw[other.reference], sys, now,
                                     ActionInput(reason=given.reason)), name="the way back")
        open_after = []
    request = jobs.requests.get(job.request or "")
    if not open_after and request is not None and request.get("status") == "active":
        delivered = action.name == "deliver" or any(j.status == "completed" for j in siblings)
        edited, version = edit(request)
        edited["status"] = "completed" if delivered else "revoked"
        change.update((edited, version), name="the transport request")
    return change
