"""Acknowledgements: the link in a message works once (refused the second time, and when forged), the
messaging platform's signed acknowledgement, the secretary's "called back" and "cancel"; each timed and
recorded on the FHIR server (Communication.received, CommunicationRequest completed or revoked)."""

from __future__ import annotations

import json
import re

from flask import Flask
from flask.testing import FlaskClient

from kiosk.auth import Role
from kiosk.extensions import database
from kiosk.fhir.gateway import FhirGateway
from kiosk.fhir.records import EncounterRecord
from kiosk.paging.models import Page, PageMessage
from kiosk.web.signed import signed_headers
from tests.support.auth import sign_in_client
from tests.support.paging import WEBHOOK_SECRET, SmtpSink, WebhookReceiver, send_page

LINK = re.compile(r"http://kiosk\.test(/paging/a/[0-9a-f]{12}-\d+\.[\w-]{12})")


def page_about(client: FlaskClient, stay: EncounterRecord, **choices: str) -> str:
    path = f"/paging/patients/{stay.patient.split('/')[1]}/encounters/{stay.id}"
    response, previewed = send_page(client, path, lambda found: found[0][0], template="call-unit", **choices)
    assert response.status_code == 200
    return previewed


def the_page(app: Flask) -> tuple[Page, list[PageMessage]]:
    with app.app_context(), database().session() as session:
        page = session.query(Page).order_by(Page.id.desc()).first()
        assert page is not None
        return page, list(session.query(PageMessage).filter_by(page_id=page.id).order_by(PageMessage.seq))


def test_the_link_in_a_message_acknowledges_once_and_is_refused_after_or_forged(
        paging_app: Flask, smtp: SmtpSink, stays: list[EncounterRecord], gateway: FhirGateway) -> None:
    secretary = sign_in_client(paging_app.test_client(), Role.UNIT_SECRETARY)
    page_about(secretary, stays[3])
    [mail] = smtp.wait_for(1)
    path = LINK.search(mail.body).group(1)
    pager = paging_app.test_client()  # the person paged: not signed in

    opened = pager.get(path)
    assert opened.status_code == 200 and "Acknowledge" in opened.get_data(as_text=True)
    assert the_page(paging_app)[0].status == "open"  # opening the link (a link preview) changes nothing
    first = pager.post(path)
    html = first.get_data(as_text=True)
    assert first.status_code == 200 and "Acknowledged." in html and "Call 4 West at" in html
    second = pager.post(path)
    assert second.status_code == 409 and "This link was used already" in second.get_data(as_text=True)
    forged = pager.post(path[:-3] + ("abc" if not path.endswith("abc") else "abd"))
    assert forged.status_code == 404 and "This link is not valid" in forged.get_data(as_text=True)
    other_page = pager.post(path.replace("-0.", "-1."))  # a message number nobody signed
    assert other_page.status_code == 404

    page, [message] = the_page(paging_app)
    assert page.status == "acknowledged" and page.answered_how == "link" and message.ack_used_at is not None
    assert page.answered_at >= page.created_at and not page.fhir_pending
    for answer in (first, second, forged):  # the public page shows no patient data
        text = answer.get_data(as_text=True)
        assert page.about_initials not in text and page.about_room not in text
    request = gateway.client.read("CommunicationRequest", page.fhir_request_ref.split("/")[1])
    assert request["status"] == "completed" and "Acknowledged with the link" in request["note"][0]["text"]
    communication = gateway.client.read("Communication", message.communication_ref.split("/")[1])
    assert communication["status"] == "completed" and communication["received"]
    screen = secretary.get("/paging/").get_data(as_text=True)
    assert "Acknowledged by " in screen and "Answered today" in screen


def test_the_messaging_platform_acknowledges_with_a_signed_post(make_app, smtp: SmtpSink,  # type: ignore[no-untyped-def]
                                                                webhook: WebhookReceiver,
                                                                stays: list[EncounterRecord], role_system: str) -> None:
    from tests.support.paging import paging_env

    app: Flask = make_app(**paging_env(smtp.port, webhook.url))
    secretary = sign_in_client(app.test_client(), Role.UNIT_SECRETARY)
    path = "/paging/new"
    send_page(secretary, path, lambda found: next(v for v, who, _ in found if who == "Lena Ortiz"),
              template="call-unit")
    [post] = webhook.wait_for(1)
    key = post.json["id"]
    platform = app.test_client()
    body = json.dumps({"id": key, "by": "Lena Ortiz (phone)"}).encode()

    unsigned = platform.post("/paging/platform/ack", data=body, headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401 and unsigned.json["result"] == "refused"
    wrong = platform.post("/paging/platform/ack", data=body, headers=signed_headers("not-the-secret-xxxxxx", body))
    assert wrong.status_code == 401
    assert the_page(app)[0].status == "open"

    signed = platform.post("/paging/platform/ack", data=body, headers=signed_headers(WEBHOOK_SECRET, body))
    assert signed.status_code == 200 and signed.json == {"result": "acknowledged", "late": False}
    again = platform.post("/paging/platform/ack", data=body, headers=signed_headers(WEBHOOK_SECRET, body))
    assert again.status_code == 409 and again.json["result"] == "used"
    odd = json.dumps({"id": "not-a-message"}).encode()
    unknown = platform.post("/paging/platform/ack", data=odd, headers=signed_headers(WEBHOOK_SECRET, odd))
    assert unknown.status_code == 404 and unknown.json["result"] == "unknown"
    page, _ = the_page(app)
    assert page.status == "acknowledged" and page.answered_how == "platform"
    assert page.answered_by == "Lena Ortiz (phone)"


def test_called_back_and_cancel_are_recorded_with_the_versions_on_screen(
        paging_app: Flask, smtp: SmtpSink, stays: list[EncounterRecord], gateway: FhirGateway) -> None:
    secretary = sign_in_client(paging_app.test_client(), Role.UNIT_SECRETARY)
    page_about(secretary, stays[4])
    page, _ = the_page(paging_app)
    screen = secretary.get("/paging/").get_data(as_text=True)
    seen = re.search(rf'action="/paging/pages/{page.id}/called-back".*?name="seen" value="([^"]+)"', screen, re.S)
    assert seen and seen.group(1) == f"{page.fhir_request_ref}@{page.fhir_request_version}"
    token = re.search(r'name="csrf_token" value="([^"]+)"', screen).group(1)

    done = secretary.post(f"/paging/pages/{page.id}/called-back", data={"csrf_token": token, "seen": seen.group(1)})
    assert done.status_code == 200 and "Recorded: called back." in done.get_data(as_text=True)
    again = secretary.post(f"/paging/pages/{page.id}/called-back", data={"csrf_token": token, "seen": seen.group(1)})
    assert again.status_code == 409
    page, _ = the_page(paging_app)
    assert page.status == "called-back" and page.called_back_by == "Dana Reyes"
    request = gateway.client.read("CommunicationRequest", page.fhir_request_ref.split("/")[1])
    assert request["status"] == "completed" and request["note"][-1]["text"].startswith("Called back")

    page_about(secretary, stays[5])
    cancelled, _ = the_page(paging_app)
    record = gateway.client.read("CommunicationRequest", cancelled.fhir_request_ref.split("/")[1])
    changed = {**record, "note": [{"text": "Seen by the ward clerk at another station"}]}
    gateway.client.update(changed, version=record["meta"]["versionId"])  # another station changes the record
    stale = f"{cancelled.fhir_request_ref}@{record['meta']['versionId']}"
    answer = secretary.post(f"/paging/pages/{cancelled.id}/cancel", data={"csrf_token": token, "seen": stale})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Cancelled: nothing more is sent for it." in html
    assert "changed at another station" in html  # the FHIR record was not overwritten
    cancelled, _ = the_page(paging_app)
    assert cancelled.status == "cancelled" and cancelled.fhir_problem
    now = gateway.client.read("CommunicationRequest", cancelled.fhir_request_ref.split("/")[1])
    assert now["status"] == "active" and now["note"][0]["text"] == "Seen by the ward clerk at another station"


def test_a_page_cancelled_at_the_kiosk_is_revoked_on_the_fhir_server(
        paging_app: Flask, smtp: SmtpSink, stays: list[EncounterRecord], gateway: FhirGateway) -> None:
    secretary = sign_in_client(paging_app.test_client(), Role.UNIT_SECRETARY)
    page_about(secretary, stays[6])
    smtp.wait_for(1)
    page, [message] = the_page(paging_app)
    before = gateway.client.read("CommunicationRequest", page.fhir_request_ref.split("/")[1])
    assert before["status"] == "active"
    screen = secretary.get("/paging/").get_data(as_text=True)
    seen = re.search(rf'action="/paging/pages/{page.id}/cancel".*?name="seen" value="([^"]+)"', screen, re.S)
    assert seen and seen.group(1) == f"{page.fhir_request_ref}@{before['meta']['versionId']}"
    token = re.search(r'name="csrf_token" value="([^"]+)"', screen).group(1)

    answer = secretary.post(f"/paging/pages/{page.id}/cancel", data={"csrf_token": token, "seen": seen.group(1)})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Cancelled: nothing more is sent for it." in html
    assert "changed at another station" not in html
    page, _ = the_page(paging_app)
    assert page.status == "cancelled" and page.answered_how == "cancelled" and page.answered_by == "Dana Reyes"
    assert not page.fhir_pending and page.fhir_problem is None
    request = gateway.client.read("CommunicationRequest", page.fhir_request_ref.split("/")[1])
    assert request["status"] == "revoked" and request["meta"]["versionId"] != before["meta"]["versionId"]
    assert request["note"][-1]["text"].startswith("Cancelled at the kiosk")
    # The message had left already: its Communication stays completed (sent), never received.
    communication = gateway.client.read("Communication", message.communication_ref.split("/")[1])
    assert communication["status"] == "completed" and "received" not in communication
    again = secretary.post(f"/paging/pages/{page.id}/cancel", data={"csrf_token": token, "seen": seen.group(1)})
    assert again.status_code == 409
    assert gateway.client.read("CommunicationRequest", page.fhir_request_ref.split("/")[1])["meta"]["versionId"] == \
        request["meta"]["versionId"]
