"""Sending a page from the compose screen: to a real SMTP server, exactly as previewed, recorded on the
FHIR server as a CommunicationRequest and a Communication."""

from __future__ import annotations

from flask import Flask

from kiosk.auth import Role
from kiosk.fhir.gateway import FhirGateway
from kiosk.fhir.records import EncounterRecord
from tests.support.auth import sign_in_client
from tests.support.paging import SmtpSink, send_page


def test_a_page_about_a_patient_reaches_the_smtp_server_as_previewed(paging_app: Flask, smtp: SmtpSink,
                                                                      stays: list[EncounterRecord],
                                                                      gateway: FhirGateway) -> None:
    stay = stays[0]
    client = sign_in_client(paging_app.test_client(), Role.UNIT_SECRETARY)
    path = f"/paging/patients/{stay.patient.split('/')[1]}/encounters/{stay.id}"
    response, previewed = send_page(client, path, lambda found: found[0][0], urgency="urgent",
                                    template="patient-question", free_text="BP 82/40 after the dose.")
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert "Page sent" in html
    mails = smtp.wait_for(1)
    assert len(mails) == 1
    assert mails[0].body.strip() == previewed
    print(previewed)
