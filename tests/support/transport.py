"""Transport test helpers: a unit of its own with a kiosk serving it, its patients, the request form
sent as a person sends it, jobs written in a known state (kiosk.transport.seeding) and read back."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from kiosk.auth import Role
from kiosk.auth.services import add_account
from kiosk.extensions import database
from kiosk.fhir.census import Census, unit_census
from kiosk.fhir.gateway import FhirGateway, UnitRef
from kiosk.transport.fhir import (
    SNOMED,
    TRANSPORT_CODE,
    JobRecord,
    JobSet,
    PlaceRef,
    Systems,
    jobs_of_request,
    read_job,
    staff_reference,
)
from kiosk.transport.seeding import JobSpec, job_transaction
from tests.support.auth import csrf_token, sign_in_client

#: A second transporter, for two transporters racing for one job.
SECOND_TRANSPORTER = ("100095", "Riley Moss", "5150")

#: The scheduler of the escalation tests: the transport-escalation job every second, a short lease.
ESCALATION_SCHEDULE = """\
[scheduler]
lease_seconds = 30
poll_seconds = 0.5

[jobs.transport-escalation]
interval_seconds = 1
"""



@dataclass(frozen=True)
class Occupant:
    bed: PlaceRef
    patient_id: str
    encounter_id: str
    mrn: str | None
    encounter_number: str | None
    birth_date: Any
    name: str


@dataclass
class TransportUnit:
    ref: UnitRef
    gw: FhirGateway
    app: Flask
    departments: dict[str, str] = field(default_factory=dict)

    @property
    def sys(self) -> Systems:
        return Systems(self.gw.identifiers.code_systems)

    def census(self) -> Census:
        return unit_census(self.gw, self.ref)

    def occupants(self) -> list[Occupant]:
        census = self.census()
        unit = census.unit
        out = []
        for bed in census.beds:
            for enc in census.encounters:
                if enc.status != "in-progress" or not enc.patient:
                    continue
                if any(loc.location == bed.reference and loc.status == "active" for loc in enc.locations):
                    patient = census.patients[enc.patient]
                    out.append(Occupant(PlaceRef(bed.name, bed.reference, unit=unit.reference, unit_name=unit.name,
                                                 is_bed=True), patient.id, enc.id, patient.mrn, enc.number,
                                        patient.birth_date, patient.name.last_first))
        return out

    def department(self, ident: str = "DEPT-IMG") -> PlaceRef:
        names = {"DEPT-IMG": "Imaging (Radiology)", "DEPT-ENDO": "Endoscopy", "DEPT-ECHO": "Echocardiography",
                 "DEPT-PT": "Physical therapy gym"}
        return PlaceRef(names[ident], self.departments[ident])

    def next_number(self) -> str:
        return f"TR-{uuid.uuid4().hex[:8].upper()}"

    def seed(self, occupant: Occupant, now: datetime | None = None, **spec: Any) -> JobSet:
        """Write one job in a known state; returns every leg of it as read back."""
        number = spec.pop("number", None) or self.next_number()
        spec.setdefault("destination", self.department())
        job = JobSpec(number=number, patient=f"Patient/{occupant.patient_id}",
                      encounter=f"Encounter/{occupant.encounter_id}", origin=occupant.bed, **spec)
        self.gw.client.transaction(job_transaction(job, self.sys, now or datetime.now(UTC).replace(microsecond=0),
                                                   {"display": "Test requester"}))
        return self.jobs(number)

    def legs_of(self, occupant: Occupant) -> list[JobRecord]:
        """Every leg of the patient's transports, whatever their status."""
        found = self.gw.client.search("Task", [("patient", f"Patient/{occupant.patient_id}"),
                                               ("code", f"{SNOMED}|{TRANSPORT_CODE}")], post=True)
        return [read_job(t, self.sys) for t in found.matches]

    def jobs(self, number: str) -> JobSet:
        return jobs_of_request(self.gw, number)

    def client(self, role: Role = Role.UNIT_SECRETARY) -> FlaskClient:
        return sign_in_client(self.app.test_client(), role)

    def transporter(self, badge: str, pin: str) -> FlaskClient:
        """A client signed in as another transporter account."""
        client = self.app.test_client()
        token = csrf_token(client.get("/sign-in").get_data(as_text=True))
        client.post("/sign-in/badge", data={"badge": badge, "csrf_token": token})
        token = csrf_token(client.get("/sign-in/pin").get_data(as_text=True))
        response = client.post("/sign-in/pin", data={"pin": pin, "csrf_token": token})
        assert response.status_code == 302, response.status_code
        return client

    def add_second_transporter(self) -> FlaskClient:
        badge, name, pin = SECOND_TRANSPORTER
        with self.app.app_context(), database().session() as db:
            add_account(db, badge=badge, display_name=name, role=Role.TRANSPORTER, pin=pin)
        return self.transporter(badge, pin)

    def owner(self, badge: str = "100007", name: str = "Jordan Blake") -> dict[str, Any]:
        return staff_reference(self.sys, badge, name, None)


def request_form(client: FlaskClient, occupant: Occupant, query: str = "") -> tuple[str, str]:
    """(page HTML, its request number) of the request form."""
    html = client.get(f"/transport/request/{occupant.patient_id}/{occupant.encounter_id}{query}").get_data(
        as_text=True)
    found = re.search(r'name="number" value="(TR-[0-9A-F]{8})"', html)
    assert found, html[:2000]
    return html, found.group(1)


def send_request(client: FlaskClient, occupant: Occupant, number: str, **fields: Any) -> Any:
    html = client.get("/transport/").get_data(as_text=True)
    data = {"csrf_token": csrf_token(html), "number": number, "purpose": "test", "mode": "wheelchair",
            "priority": "routine", "when": "now", **fields}
    return client.post(f"/transport/request/{occupant.patient_id}/{occupant.encounter_id}", data=data)


def act(client: FlaskClient, task_id: str, action: str, number: str, seen: str, screen: str = "phone",
        **fields: Any) -> Any:
    html = client.get("/transport/jobs").get_data(as_text=True)
    return client.post(f"/transport/jobs/{task_id}/{action}", data={
        "csrf_token": csrf_token(html), "number": number, "seen": seen, "screen": screen, **fields},
        headers={"HX-Request": "true"})


def seen_of(jobs: JobSet, task_id: str) -> str:
    """The versions a screen shows with a job (kiosk.transport.board.job_seen)."""
    from kiosk.transport.board import job_seen

    job = next(j for j in jobs.jobs if j.id == task_id)
    return job_seen(job, jobs)
