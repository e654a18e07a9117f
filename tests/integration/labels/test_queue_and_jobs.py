"""The Labels page (find a patient by armband or MRN, the queue), a job's page, who may see and cancel a
job, what is audited, and the label bytes removed after their retention period. Real kiosk, real
sekmet-fhir."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, timedelta

from flask import Flask
from flask.testing import FlaskClient

from kiosk import timeutil
from kiosk.audit.models import AuditRecord
from kiosk.auth import Role
from kiosk.extensions import database
from kiosk.fhir.gateway import FhirGateway
from kiosk.labels.models import PrintJob, utcnow
from kiosk.scheduler.lease import Lease
from tests.integration.labels.test_printing import _form, _page_url, text
from tests.support.auth import page_token
from tests.support.labels import RawPrinter, demo_inpatient


def _print(client: FlaskClient, stay, label_type: str = "adult-armband") -> int:  # type: ignore[no-untyped-def]
    url = _page_url(stay)
    response = client.post(url + "/print", data=_form(client, f"{url}?type={label_type}", identifiers_confirmed="y"))
    assert response.status_code == 302, text(response.get_data(as_text=True))[:800]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def _audit(app: Flask, action: str) -> list[AuditRecord]:
    with app.app_context(), database().session() as session:
        return session.query(AuditRecord).filter_by(action=action).order_by(AuditRecord.id).all()


def _set_job(app: Flask, job_id: int, **values: object) -> None:
    with app.app_context(), database().session() as session:
        job = session.get(PrintJob, job_id)
        assert job is not None
        for key, value in values.items():
            setattr(job, key, value)


def test_the_queue_shows_whose_label_in_local_time_and_plain_words(labels_app: Flask, client: FlaskClient,
                                                                   gateway: FhirGateway,
                                                                   printer_files) -> None:  # type: ignore[no-untyped-def]
    printed_stay, waiting_stay = demo_inpatient(gateway, index=11), demo_inpatient(gateway, index=12)
    zebra = RawPrinter(printer_files.tcp_port).start()
    try:
        printed = _print(client, printed_stay)
    finally:
        zebra.stop()
    waiting = _print(client, waiting_stay, "chart")
    timeutil.configure("Asia/Kolkata")  # UTC+05:30: a time shown in UTC would be visibly wrong
    try:
        response = client.get("/labels/queue")
        with labels_app.app_context(), database().session() as session:
            created = {j.id: j.created_at for j in session.query(PrintJob)}
    finally:
        timeutil.configure("")
    assert response.headers["X-FHIR-Requests"] == "1"  # every patient's name and MRN in one search
    html = response.get_data(as_text=True)
    page = text(html)
    assert "UTC" not in page
    for job_id in (printed, waiting):
        local = timeutil.zone_named("Asia/Kolkata")
        assert created[job_id].replace(tzinfo=UTC).astimezone(local).strftime("%H:%M") in page
    for stay in (printed_stay, waiting_stay):
        assert f"MRN {stay.mrn}" in page
    row = re.search(rf'<tr class="job-row status-queued" data-job="{waiting}">(.*?)</tr>', html, re.S)
    assert row is not None
    cells = text(row.group(1))
    assert "Waiting for printer" in cells and "The printer does not answer" in cells
    assert "For IT: The printer at 127.0.0.1" in cells
    assert "Automatic retries are stopped: a label waiting for its printer is not sent again" in page
    assert "For IT: the scheduler ( kiosk scheduler ) is not running" in page
    assert f'href="/labels/jobs/{waiting}"' in html and f'href="/labels/jobs/{printed}"' in html
    assert "TCP" not in page  # printers by name only


def test_the_queue_says_nothing_of_retries_while_the_scheduler_runs(labels_app: Flask, client: FlaskClient) -> None:
    with labels_app.app_context():
        lease = Lease(database(), 30)
        lease.acquire()
    try:
        assert "Automatic retries are stopped" not in text(client.get("/labels/queue").get_data(as_text=True))
    finally:
        with labels_app.app_context():
            lease.release()
    assert "Automatic retries are stopped" in text(client.get("/labels/queue").get_data(as_text=True))


def test_a_scan_or_typed_number_opens_the_patients_labels(labels_app: Flask, client: FlaskClient,
                                                           gateway: FhirGateway) -> None:
    stay = demo_inpatient(gateway, index=13)
    token = page_token(client, "/labels/queue")
    for code in (stay.mrn, stay.encounter_number, f"MRN:{stay.mrn}|ENC:{stay.encounter_number}"):
        response = client.post("/labels/find", data={"csrf_token": token, "code": code})
        assert response.status_code == 303
        assert response.headers["Location"] == _page_url(stay)  # ids only: the number is never in a URL
    unknown = client.post("/labels/find", data={"csrf_token": token, "code": "99999999"})
    page = text(unknown.get_data(as_text=True))
    assert unknown.status_code == 200 and "No patient with an open encounter has that MRN" in page
    assert 'value="99999999"' in unknown.get_data(as_text=True)  # what was typed stays in the field
    bad = client.post("/labels/find", data={"csrf_token": token, "code": "<script>"})
    assert bad.status_code == 422 and "not an MRN or an encounter number" in text(bad.get_data(as_text=True))
    empty = client.post("/labels/find", data={"csrf_token": token, "code": ""})
    assert empty.status_code == 422 and "Scan the patient&#39;s armband" in text(empty.get_data(as_text=True))


def test_job_pages_are_audited_and_kept_to_their_station(labels_app: Flask, client: FlaskClient,
                                                         signed_in_client: Callable[[Role], FlaskClient],
                                                         gateway: FhirGateway, zebra: RawPrinter) -> None:
    stay = demo_inpatient(gateway, index=14)
    job_id = _print(client, stay)
    before = len(_audit(labels_app, "view-patient"))
    page = client.get(f"/labels/jobs/{job_id}")
    assert page.status_code == 200 and f"MRN {stay.mrn}" in text(page.get_data(as_text=True))
    assert client.get(f"/labels/jobs/{job_id}/preview.png").status_code == 200
    views = _audit(labels_app, "view-patient")[before:]
    assert [(v.patient, v.entity, v.detail) for v in views] == [
        (f"Patient/{stay.patient_id}", f"PrintJob/{job_id}", "print job"),
        (f"Patient/{stay.patient_id}", f"PrintJob/{job_id}", "print job preview")]
    polled = client.get(f"/labels/jobs/{job_id}", headers={"HX-Request": "true"})
    assert stay.mrn not in polled.get_data(as_text=True)  # the status polling carries no patient data
    assert len(_audit(labels_app, "view-patient")) == before + 2
    # A job sent from another station: not for this station's secretary; a charge nurse may open it.
    _set_job(labels_app, job_id, station_id="3E-NS-1")
    refused = client.get(f"/labels/jobs/{job_id}")
    assert refused.status_code == 403 and "another station" in text(refused.get_data(as_text=True))
    assert client.get(f"/labels/jobs/{job_id}/preview.png").status_code == 403
    assert _audit(labels_app, "refused")[-1].entity == f"PrintJob/{job_id}"
    assert signed_in_client(Role.CHARGE_NURSE).get(f"/labels/jobs/{job_id}").status_code == 200


def test_cancel_is_audited_limited_and_goes_nowhere_else(labels_app: Flask, client: FlaskClient,
                                                         signed_in_client: Callable[[Role], FlaskClient],
                                                         gateway: FhirGateway) -> None:
    stay = demo_inpatient(gateway, index=15)
    job_id = _print(client, stay, "chart")  # no printer listens: it waits
    provider = signed_in_client(Role.PROVIDER)
    refused = provider.post(f"/labels/jobs/{job_id}/cancel", data={"csrf_token": page_token(provider, "/labels/queue")})
    assert refused.status_code == 403
    token = page_token(client, "/labels/queue")
    for target in ("https://evil.example/", "//evil.example", "/\\evil.example"):
        response = client.post(f"/labels/jobs/{job_id}/cancel", data={"csrf_token": token, "next": target,
                                                                        "return_to": target})
        assert response.status_code == 302 and response.headers["Location"] == f"/labels/jobs/{job_id}"
    cancels = _audit(labels_app, "cancel-print")
    assert [(c.outcome, c.detail) for c in cancels] == [("success", "cancelled while waiting"),
                                                        ("failure", "not cancelled: it was cancelled"),
                                                        ("failure", "not cancelled: it was cancelled")]
    assert cancels[0].patient == f"Patient/{stay.patient_id}" and cancels[0].entity == f"PrintJob/{job_id}"
    from_queue = client.post(f"/labels/jobs/{job_id}/cancel", data={"csrf_token": token, "return_to": "queue"})
    assert from_queue.headers["Location"] == "/labels/queue"


def test_the_label_bytes_go_after_the_retention_period_and_the_job_says_so(labels_app: Flask, client: FlaskClient,
                                                                           gateway: FhirGateway,
                                                                           zebra: RawPrinter) -> None:
    from kiosk.labels.jobs import retry_print_queue
    from tests.support.labels import job_context

    job_id = _print(client, demo_inpatient(gateway, index=16))
    _set_job(labels_app, job_id, updated_at=utcnow() - timedelta(days=8))
    assert "1 finished labels' bytes removed" in retry_print_queue(job_context(labels_app))
    page = text(client.get(f"/labels/jobs/{job_id}").get_data(as_text=True))
    assert "The label itself was removed 7 days after this job ended" in page
    assert client.get(f"/labels/jobs/{job_id}/preview.png").status_code == 410
    with labels_app.app_context(), database().session() as session:
        job = session.get(PrintJob, job_id)
        assert job is not None and job.payload == b"" and job.status == "printed"
