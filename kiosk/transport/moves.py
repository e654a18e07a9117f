"""What transport tells other workflows about a patient's moves (exported by kiosk/transport/__init__.py):
bed placement shows a request "in transit" once the transport to its assigned bed is picked up.

One search whatever the number of patients (kiosk/transport/fhir.py `legs_of_patients_since`). A server
without Task, or without that search, answers no moves with the sentence why: the caller keeps its own
way of saying it (placement's "On the way" button).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kiosk.fhir.errors import FhirNotAllowed
from kiosk.fhir.gateway import FhirGateway

from .board import state_of
from .fhir import LEG_RETURN, legs_of_patients_since


@dataclass(frozen=True)
class Move:
    """One leg of a patient's transport, as another workflow needs it."""

    task: str  # 'Task/<id>'
    number: str  # the kiosk's request number, 'TR-3AF53BE7'
    patient: str  # 'Patient/<id>'
    destination: str | None  # 'Location/<id>', None for a configured place
    status: str  # the Task's: requested, accepted, in-progress, on-hold, completed
    state: str  # in words: 'Waiting for a transporter', 'Picked up, on the way', 'Delivered'
    asked_at: datetime | None
    picked_up_at: datetime | None
    delivered_at: datetime | None

    @property
    def under_way(self) -> bool:
        """Picked up (on the way now, or delivered)."""
        return self.status in ("in-progress", "completed") or self.picked_up_at is not None


def moves_of_patients(gw: FhirGateway, patients: list[str], since: datetime) -> tuple[list[Move], str | None]:
    """The outbound legs of these patients ('Patient/<id>') asked for, under way or delivered, changed
    since a time, and None; or no moves and why the server cannot tell."""
    try:
        legs = legs_of_patients_since(gw, patients, since)
    except FhirNotAllowed as e:
        return [], e.message
    return [Move(job.reference, job.number or "", job.patient or "", job.destination.reference, job.status,
                 state_of(job)[1], job.authored_on, job.picked_up_at, job.delivered_at)
            for job in legs if job.leg != LEG_RETURN and job.patient], None
