"""Orders test helpers: a unit of its own with a kiosk serving it, its patients, and the order form sent
as a person sends it (form, read-back, send)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from kiosk.auth import Role
from kiosk.auth.services import find_account
from kiosk.extensions import database
from kiosk.fhir.census import unit_census
from kiosk.fhir.gateway import FhirGateway, UnitRef
from kiosk.fhir.orders import OrderSet, Systems, orders_of_encounter
from tests.support.auth import CREDENTIALS, csrf_token, sign_in_client

#: The unit's co-signature list: one search (Tasks with their orders and patients included), one for the
#: orders of the unit providers disagreed with lately (the same, cancelled on disagreement), and one for
#: those of its patients entered on other units (the patients of the unit's census, kept; one search per 100
#: patients); and, as the tests' kiosks run no census-check job, the census's look at the server's changes.
COSIGN_LIST_REQUESTS = "4"
#: The same for a provider: one more search, their co-signatures on every unit.
PROVIDER_COSIGN_LIST_REQUESTS = "5"
#: A patient's orders: the encounter with its patient, the alerts, the stay's orders, their co-signatures.
PATIENT_ORDERS_REQUESTS = "4"
ORDER_SYSTEM = "urn:oid:2.16.840.1.113883.3.9999.20"
ACCESSION_SYSTEM = "urn:oid:2.16.840.1.113883.3.9999.21"


@dataclass(frozen=True)
class Stay:
    patient_id: str
    encounter_id: str
    attending: str | None

    @property
    def base(self) -> str:
        return f"/orders/patients/{self.patient_id}/encounters/{self.encounter_id}"


@dataclass
class OrdersUnit:
    ref: UnitRef
    gw: FhirGateway
    app: Flask

    @property
    def sys(self) -> Systems:
        return Systems(self.gw.identifiers.code_systems, ORDER_SYSTEM, ACCESSION_SYSTEM)

    def stays(self) -> list[Stay]:
        census = unit_census(self.gw, self.ref)
        return [Stay(e.patient.split("/")[1], e.id, e.participant("ATND")) for e in census.encounters
                if e.status == "in-progress" and e.patient]

    def orders(self, stay: Stay) -> OrderSet:
        return orders_of_encounter(self.gw, self.sys, stay.encounter_id)

    def client(self, role: Role = Role.UNIT_SECRETARY) -> FlaskClient:
        return sign_in_client(self.app.test_client(), role)


def own_provider(gw: FhirGateway, app: Flask) -> str:
    """A Practitioner of the test's own, created on the server and linked to the app's provider account
    ('Practitioner/<id>'). A provider's co-signature list covers every unit of the server, which the tests
    share: a test that counts a provider's orders counts this one's."""
    value = f"PT{uuid.uuid4().hex[:10].upper()}"
    created = gw.client.create({"resourceType": "Practitioner", "active": True,
                                "identifier": [{"system": gw.identifiers.practitioner, "value": value}],
                                "name": [{"family": "Okafor", "given": ["Ada"], "prefix": ["Dr."]}]})
    ref = f"Practitioner/{created.id}"
    link_provider(app, ref)
    return ref


def link_provider(app: Flask, practitioner: str) -> None:
    """The app's provider account is this Practitioner ('Practitioner/<id>')."""
    with app.app_context(), database().session() as db:
        account = find_account(db, CREDENTIALS[Role.PROVIDER][0])
        assert account is not None
        account.practitioner_ref = practitioner


def order_form(client: FlaskClient, stay: Stay) -> tuple[str, str]:
    """(page HTML, its order number)."""
    html = client.get(f"{stay.base}/new").get_data(as_text=True)
    found = re.search(r'name="number" value="(OR-[0-9A-F]{10})"', html)
    assert found, html[:3000]
    return html, found.group(1)


def send_order(client: FlaskClient, stay: Stay, number: str, step: str = "send", **fields: Any) -> Any:
    html = client.get(stay.base).get_data(as_text=True)
    data = {"csrf_token": csrf_token(html), "number": number, "step": step, "item": "57021-8", "mode": "PC",
            "provider": stay.attending or "", "priority": "stat", "when": "now", **fields}
    return client.post(f"{stay.base}/new", data=data)


def read_back(html: str) -> str:
    found = re.search(r'<p class="read-back" id="read-back">(.*?)</p>', html, re.S)
    assert found, html[:3000]
    return found.group(1).strip()
