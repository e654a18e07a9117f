"""Transport jobs written as they would be at some point of their life (waiting, accepted, delayed, on
the way, delivered, cancelled), with the same shapes the kiosk writes: for the demo (`make run`) and for
tests and benchmarks that need jobs with known times. Each job is one transaction of conditional
creates on its request number, so writing it twice creates nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kiosk.fhir import builders as b
from kiosk.fhir.client import Transaction, identifier_query

from .fhir import (
    DELAY_PREFIX,
    LEG_OUT,
    LEG_RETURN,
    OUT_ACCEPTED,
    OUT_IDENTITY,
    Need,
    NewTransport,
    PlaceRef,
    Systems,
    job_task,
    service_request,
    set_business,
    set_output,
)

#: The states a seeded job can be in: the outbound leg's, and for a round trip the way back's.
STATES = ("requested", "accepted", "delayed", "picked-up", "delivered", "cancelled", "back-waiting",
          "back-requested")


@dataclass(frozen=True)
class JobSpec:
    """A job to write. Times are minutes relative to `now`: asked `asked_ago` minutes ago, to be picked
    up `pickup_in` minutes after it was asked (0: at once), then accepted, picked up and delivered that
    many minutes after it could be picked up."""

    number: str
    patient: str
    encounter: str
    origin: PlaceRef
    destination: PlaceRef
    state: str = "requested"
    priority: str = "routine"
    purpose: str = "test"
    mode: str = "wheelchair"
    needs: tuple[Need, ...] = ()
    asked_ago: float = 5
    pickup_in: float = 0
    accepted_after: float = 3
    picked_after: float = 8
    delivered_after: float = 18
    round_trip: bool = False
    target_minutes: int = 45
    owner: dict[str, Any] | None = None
    reason: str = "Patient not ready"
    note: str = ""


def _accept(task: dict[str, Any], sys: Systems, owner: dict[str, Any] | None, at: datetime) -> None:
    task["status"] = "accepted"
    if owner:
        task["owner"] = owner
    set_business(task, sys, "dispatched")
    set_output(task, sys, OUT_ACCEPTED, {"valueDateTime": b.fhir_instant(at)})
    task["lastModified"] = b.fhir_instant(at)


def _pick_up(task: dict[str, Any], sys: Systems, at: datetime) -> None:
    task["status"] = "in-progress"
    task["executionPeriod"] = {"start": b.fhir_instant(at)}
    set_business(task, sys, "picked-up")
    set_output(task, sys, OUT_IDENTITY, {"valueString": "armband Data Matrix: MRN and encounter number"})
    task["lastModified"] = b.fhir_instant(at)


def _deliver(task: dict[str, Any], sys: Systems, at: datetime) -> None:
    task["status"] = "completed"
    task["executionPeriod"] = {**task.get("executionPeriod", {}), "end": b.fhir_instant(at)}
    set_business(task, sys, "arrived")
    task["lastModified"] = b.fhir_instant(at)


def job_transaction(spec: JobSpec, sys: Systems, now: datetime, requester: dict[str, Any]) -> Transaction:
    """The request and its legs in the state asked for, as one transaction of conditional creates."""
    asked = now - timedelta(minutes=spec.asked_ago)
    due = asked + timedelta(minutes=spec.pickup_in)
    back_at = due + timedelta(minutes=spec.delivered_after + 30) if spec.state == "back-requested" else None
    new = NewTransport(number=spec.number, patient=spec.patient, encounter=spec.encounter, origin=spec.origin,
                       destination=spec.destination, purpose=spec.purpose, mode=spec.mode, needs=spec.needs,
                       oxygen_lpm=2.0 if any(n.code == "oxygen" for n in spec.needs) else None,
                       priority=spec.priority, requested_at=asked, pickup_at=due, target_minutes=spec.target_minutes,
                       round_trip=spec.round_trip or spec.state.startswith("back-"), return_at=back_at,
                       note=spec.note, requester=requester)
    tx = Transaction()
    sr = service_request(new, sys)
    state = spec.state
    if state in ("delivered", "cancelled") and not new.round_trip:
        sr["status"] = "completed" if state == "delivered" else "revoked"
    sr_urn = tx.create(sr, if_none_exist=identifier_query(sys.request, spec.number))
    outbound = job_task(new, sys, sr_urn, LEG_OUT)
    at = {k: due + timedelta(minutes=m) for k, m in (("accepted", spec.accepted_after),
                                                      ("picked", spec.picked_after),
                                                      ("delivered", spec.delivered_after))}
    if state in ("accepted", "delayed", "picked-up", "delivered", "back-waiting", "back-requested"):
        _accept(outbound, sys, spec.owner, at["accepted"])
    if state == "delayed":
        set_business(outbound, sys, "delayed")
        outbound["note"] = [*outbound.get("note", []), {"time": b.fhir_instant(at["accepted"]),
                                                         "text": DELAY_PREFIX + spec.reason}]
    if state in ("picked-up", "delivered", "back-waiting", "back-requested"):
        _pick_up(outbound, sys, at["picked"])
    if state in ("delivered", "back-waiting", "back-requested"):
        _deliver(outbound, sys, at["delivered"])
    if state == "cancelled":
        outbound["status"] = "cancelled"
        outbound["statusReason"] = {"text": spec.reason}
        set_business(outbound, sys, "cancelled")
    out_urn = tx.create(outbound, if_none_exist=identifier_query(sys.job, f"transport/{spec.number}/{LEG_OUT}"))
    if new.round_trip:
        back = job_task(new, sys, sr_urn, LEG_RETURN, after=out_urn)
        tx.create(back, if_none_exist=identifier_query(sys.job, f"transport/{spec.number}/{LEG_RETURN}"))
    return tx
