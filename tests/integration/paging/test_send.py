"""Sending a page from the compose screen: to a real SMTP server exactly as previewed, once however often
the form is sent, recorded on the FHIR server as a CommunicationRequest and a Communication."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from kiosk.auth import Role
from kiosk.extensions import database
from kiosk.fhir.gateway import FhirGateway
from kiosk.fhir.records import EncounterRecord
from kiosk.paging.models import Page, PageMessage
from tests.support.auth import sign_in_client
from tests.support.paging import (
    SmtpSink,
    compose_form,
    field_value,
    preview_text,
    recipients_on,
    send_page,
)


def compose_path(stay: EncounterRecord) -> str:
    return f"/paging/patients/{stay.patient.split('/')[1]}/encounters/{stay.id}"


def pages(app: Flask) -> list[tuple[Page, list[PageMessage]]]:
    with app.app_context(), database().session() as session:
        found = list(session.query(Page).order_by(Page.id))
        return [(p, list(session.query(PageMessage).filter_by(page_id=p.id).order_by(PageMessage.seq)))
                for p in found]


def test_the_attending_comes_first_and_the_page_reaches_smtp_as_previewed(paging_app: Flask, smtp: SmtpSink,
                                                                          stays: list[EncounterRecord],
                                                                          gateway: FhirGateway) -> None:
    stay = stays[0]
    client = sign_in_client(paging_app.test_client(), Role.UNIT_SECRETARY)
    html = client.get(compose_path(stay)).get_data(as_text=True)
    offered = recipients_on(html)
    assert offered[0][2].startswith("Attending ·")  # the patient's attending first
    groups = re.findall(r'<h2 class="recipient-group">([^<]+)</h2>', html)
    assert groups[0] == "Attending and care team" and "On call now" in groups
    assert "offers no CareTeam search, so the care team is the encounter&#39;s practitioners" in html

    response, previewed = send_page(client, compose_path(stay), lambda found: found[0][0], urgency="urgent",
                                    template="patient-question", free_text="BP 82/40 after the dose.")
    screen = response.get_data(as_text=True)
    assert response.status_code == 200 and "Page sent" in screen, screen
    [mail] = smtp.wait_for(1)
    assert mail.body.strip() == previewed
    assert mail.message["Subject"] == "URGENT page from 4 West"
    assert re.fullmatch(r"URGENT 4 West Bed 4W-\d+[AB]? [A-Z]\.[A-Z]\.: Question about the patient\. BP 82/40 after "
                        r"the dose\. Call 4 West at 4321\. Ack http://kiosk\.test/paging/a/[0-9a-f]{12}-0\.[\w-]{12}",
                        previewed), previewed
    assert len(previewed) <= 240

    [(page, [message])] = pages(paging_app)
    assert page.fhir_request_ref and message.communication_ref and not page.fhir_pending
    request = gateway.client.read("CommunicationRequest", page.fhir_request_ref.split("/")[1])
    assert request["status"] == "active" and request["priority"] == "urgent"
    assert request["subject"]["reference"] == stay.patient and request["encounter"]["reference"] == stay.reference
    assert request["recipient"][0]["reference"] == page.recipient_ref
    assert request["identifier"] == [{"system": "https://kiosk.example.org/fhir/sid/page", "value": page.public_id}]
    assert request["payload"][0]["contentString"] == previewed.split(" Ack ")[0]  # never the link
    communication = gateway.client.read("Communication", message.communication_ref.split("/")[1])
    assert communication["status"] == "completed" and communication["sent"]
    assert communication["basedOn"] == [{"reference": page.fhir_request_ref}]
    assert communication["subject"]["reference"] == stay.patient
    assert communication["identifier"][0]["value"] == f"{page.public_id}-0"
    assert "received" not in communication


def _form(client: FlaskClient, path: str, **choices: str) -> dict[str, str]:
    html = client.get(path).get_data(as_text=True)
    form = compose_form(html, recipient=recipients_on(html)[0][0], **choices)
    preview = client.post("/paging/preview", data=form, headers={"HX-Request": "true"}).get_data(as_text=True)
    form["preview_hash"] = field_value(preview, "preview_hash")
    return form


def test_a_form_sent_twice_pages_once(paging_app: Flask, smtp: SmtpSink, stays: list[EncounterRecord]) -> None:
    client = sign_in_client(paging_app.test_client(), Role.UNIT_SECRETARY)
    form = _form(client, compose_path(stays[1]), template="call-unit")
    first = client.post("/paging/send", data=form)
    again = client.post("/paging/send", data=form)
    assert "Page sent" in first.get_data(as_text=True)
    assert "This page was sent from this form before" in again.get_data(as_text=True)
    smtp.wait_for(1)
    assert len(pages(paging_app)) == 1 and len(smtp.mails) == 1


def test_what_does_not_fit_or_changed_since_the_preview_is_not_sent(paging_app: Flask, smtp: SmtpSink,
                                                                    stays: list[EncounterRecord]) -> None:
    client = sign_in_client(paging_app.test_client(), Role.UNIT_SECRETARY)
    long_text = "Ünïcode & <b>words</b> " * 12
    form = _form(client, compose_path(stays[2]), free_text=long_text)
    response = client.post("/paging/send", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "the pager shows 240" in html
    assert "Unicode &amp; &lt;b&gt;words&lt;/b&gt;" in preview_text_or_none(html)  # kept, folded, escaped
    assert "&lt;b&gt;" in html and "<b>words" not in html

    form = _form(client, compose_path(stays[2]), template="result")
    form["free_text"] = "Changed after the preview"
    response = client.post("/paging/send", data=form)
    assert response.status_code == 409 and "The message changed since it was shown" in response.get_data(as_text=True)

    form = _form(client, "/paging/new")  # neither a template nor words
    form["recipient"] = recipients_on(client.get("/paging/new").get_data(as_text=True))[0][0]
    response = client.post("/paging/send", data=form)
    assert response.status_code == 422 and "Choose a message or type one." in response.get_data(as_text=True)
    assert pages(paging_app) == [] and smtp.mails == []


def preview_text_or_none(html: str) -> str:
    return re.sub(r"\s+", " ", html[html.index("data-preview>"):html.index("</p>", html.index("data-preview>"))])


def test_the_screens_make_a_fixed_number_of_fhir_requests(paging_app: Flask, smtp: SmtpSink,
                                                          stays: list[EncounterRecord]) -> None:
    client = sign_in_client(paging_app.test_client(), Role.UNIT_SECRETARY)
    client.get("/paging/new")  # the unit's id is looked up once per process
    assert client.get("/paging/new").headers["X-FHIR-Requests"] == "2"  # on call now, the unit's roles
    assert client.get(compose_path(stays[0])).headers["X-FHIR-Requests"] == "4"  # + encounter, team's roles
    assert client.get("/paging/").headers["X-FHIR-Requests"] == "0"  # nothing waiting
    for stay in stays[:3]:
        send_page(client, compose_path(stay), lambda found: found[0][0], template="call-unit")
    smtp.wait_for(3)
    assert client.get("/paging/").headers["X-FHIR-Requests"] == "1"  # the open pages' records, one search
    assert client.get("/paging/pages").headers["X-FHIR-Requests"] == "1"
    # The preview is drawn from the form alone (it carries the room and initials): no FHIR request.
    html = client.get(compose_path(stays[0])).get_data(as_text=True)
    form = compose_form(html, recipient=recipients_on(html)[0][0], template="call-unit")
    preview = client.post("/paging/preview", data=form, headers={"HX-Request": "true"})
    assert preview.status_code == 200 and preview.headers["X-FHIR-Requests"] == "0"
    assert f"4 West Bed {form['about_room']}" in preview_text(preview.get_data(as_text=True))
