"""Paging on what Epic and Oracle Health publish (their CapabilityStatements, tests/fixtures/capability,
injected into the kiosk's gateway; sekmet-fhir answers what the kiosk then sends). Both take
Communication create but list no CommunicationRequest: the page is kept in the kiosk, each message is
recorded once as a Communication, and the screen says so."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask

from kiosk.auth import Role
from kiosk.extensions import database
from kiosk.fhir.gateway import FhirGateway
from kiosk.fhir.records import EncounterRecord
from kiosk.paging.models import Page, PageMessage
from tests.support.auth import sign_in_client
from tests.support.beds import app_gateway, vendor_statement
from tests.support.paging import SmtpSink, paging_env, recipients_on, send_page

LINK = re.compile(r"http://kiosk\.test(/paging/a/[0-9a-f]{12}-\d+\.[\w-]{12})")


@pytest.mark.parametrize(("vendor", "software"), [("epic", "Epic May 2026"), ("oracle", "Oracle Health")])
def test_pages_are_kept_in_the_kiosk_and_each_message_recorded_as_a_communication(
        vendor: str, software: str, make_app: Callable[..., Flask], smtp: SmtpSink, role_system: str,
        stays: list[EncounterRecord], gateway: FhirGateway) -> None:
    app = make_app(**paging_env(smtp.port))
    app_gateway(app).capabilities_cache.set(vendor_statement(vendor))
    client = sign_in_client(app.test_client(), Role.UNIT_SECRETARY)
    stay = stays[6]
    path = f"/paging/patients/{stay.patient.split('/')[1]}/encounters/{stay.id}"
    if vendor == "oracle":  # Oracle keeps no PractitionerRole: the attending's pager is on their own record
        attending = gateway.client.read("Practitioner", stay.participant("ATND").split("/")[1])
        if not attending.get("telecom"):
            attending = {**attending, "telecom": [{"system": "pager", "value": "555-0999", "rank": 1}]}
            gateway.client.update(attending, version=attending["meta"]["versionId"])
    html = client.get(path).get_data(as_text=True)
    offered = recipients_on(html)
    assert offered and offered[0][2].startswith("Attending")
    if vendor == "oracle":
        assert "Oracle Health does not offer PractitionerRole" in html and "On call now" not in html
        assert all(value.startswith("Practitioner/") for value, _, _ in offered)
    else:
        assert "On call now" in html and offered[0][0].startswith("PractitionerRole/")

    response, previewed = send_page(client, path, lambda found: found[0][0], template="call-unit")
    screen = response.get_data(as_text=True)
    assert "Page sent" in screen, screen
    assert f"{software} does not offer CommunicationRequest resources. Pages are kept in the kiosk" in screen
    assert "acknowledgements are kept in the kiosk only" in screen
    [mail] = smtp.wait_for(1)
    assert mail.body.strip() == previewed

    with app.app_context(), database().session() as session:
        page = session.query(Page).one()
        [message] = session.query(PageMessage).filter_by(page_id=page.id).all()
        assert page.fhir_request_ref is None and not page.fhir_pending and page.fhir_problem is None
        assert message.communication_ref is not None
    communication = gateway.client.read("Communication", message.communication_ref.split("/")[1])
    assert communication["status"] == "completed" and "basedOn" not in communication
    assert communication["subject"]["reference"] == stay.patient
    assert communication["payload"][0]["contentString"] == previewed.split(" Ack ")[0]

    pager = app.test_client()
    assert pager.post(LINK.search(mail.body).group(1)).status_code == 200
    with app.app_context(), database().session() as session:
        page = session.query(Page).one()
        assert page.status == "acknowledged" and not page.fhir_pending
    again = gateway.client.read("Communication", message.communication_ref.split("/")[1])
    assert again["meta"]["versionId"] == communication["meta"]["versionId"]  # never updated: no update there
    assert "Pages are kept in the kiosk" in client.get("/paging/").get_data(as_text=True)
