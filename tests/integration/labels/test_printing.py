"""Printing from a patient's page through the real kiosk, a real FHIR server and a real TCP socket."""

from __future__ import annotations

import hashlib
import re

from flask import Flask
from flask.testing import FlaskClient

from kiosk.audit.models import AuditRecord
from kiosk.auth import Role
from kiosk.extensions import database, settings
from kiosk.fhir.gateway import FhirGateway
from kiosk.labels.jobs import retry_print_queue
from kiosk.labels.models import JobStatus, PrintJob
from printers.verify import decode, first_format, rasterize_zpl
from tests.support.auth import CREDENTIALS
from tests.support.clock import TestClock, set_app_clock
from tests.support.labels import PrinterFiles, RawPrinter, demo_inpatient, job_context, make_due


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _page_url(stay) -> str:  # type: ignore[no-untyped-def]
    return f"/labels/patients/{stay.patient_id}/encounters/{stay.encounter_id}"


def _field(html: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html)
    assert found, html[:2000]
    return found.group(1)


def _form(client: FlaskClient, url: str, **fields: str) -> dict[str, str]:
    """The print form as the page sends it after its preview refreshed for these fields (htmx)."""
    html = client.get(url).get_data(as_text=True)
    form = {"csrf_token": _field(html, "csrf_token"), "label_type": _field(html, "label_type"),
            "print_token": _field(html, "print_token"), "printer_id": "TEST-ZEBRA", "copies": "1", **fields}
    path = url.split("?")[0]
    panel = client.post(path + "/preview", data=form, headers={"HX-Request": "true"}).get_data(as_text=True)
    return {**form, "preview_sha256": _field(panel, "preview_sha256")}


def test_the_patient_page_previews_the_armband_in_eight_fhir_requests(labels_app: Flask, client: FlaskClient,
                                                                    gateway: FhirGateway) -> None:
    """2 for the patient's encounter and flags, 4 for the unit's census (the name alert, kiosk.labels.names)."""
    stay = demo_inpatient(gateway, with_allergy=True)
    client.get(_page_url(stay))  # the process's first census also reads the statement and the unit's id
    response = client.get(_page_url(stay))
    assert response.status_code == 200
    assert response.headers["X-FHIR-Requests"] == "8"  # the patient (2) and the unit's census for the name alert (6)
    page = text(response.get_data(as_text=True))
    assert "Exactly what will print" in page
    assert f"Barcodes read back: {stay.encounter_number} · MRN:{stay.mrn}|ENC:{stay.encounter_number}" in page
    assert "I checked the name" in page and "Allergy" in page
    assert 'src="data:image/png;base64,' in response.get_data(as_text=True)


def test_printing_sends_the_exact_previewed_bytes_to_the_raw_socket(labels_app: Flask, client: FlaskClient,
                                                                     gateway: FhirGateway, zebra: RawPrinter) -> None:
    stay = demo_inpatient(gateway, index=1)
    url = _page_url(stay)
    form = _form(client, url, identifiers_confirmed="y")
    response = client.post(url + "/print", data=form)
    assert response.status_code == 302, text(response.get_data(as_text=True))[:1500]
    job_page = client.get(response.headers["Location"])
    assert "Printed" in text(job_page.get_data(as_text=True))
    with labels_app.app_context(), database().session() as session:
        job = session.query(PrintJob).one()
        assert job.status == JobStatus.PRINTED and job.attempts == 1
        payload = job.payload
    assert zebra.jobs() == [payload]
    assert hashlib.sha256(payload).hexdigest() == form["preview_sha256"]
    found = {d.text for d in decode(rasterize_zpl(first_format(zebra.jobs()[0]), 300)[0])}
    assert found == {stay.encounter_number, f"MRN:{stay.mrn}|ENC:{stay.encounter_number}"}
    with labels_app.app_context(), database().session() as session:
        printed = session.query(AuditRecord).filter_by(action="print", intent_id=None).one()
        assert printed.patient == f"Patient/{stay.patient_id}" and printed.entity == f"PrintJob/{job.id}"
        assert printed.detail == "adult-armband x1 to TEST-ZEBRA" and printed.outcome == "pending"
        closed = session.query(AuditRecord).filter_by(intent_id=printed.id).one()
        assert (closed.action, closed.outcome, closed.detail) == ("print", "success", "printed")
        assert printed.actor_badge == CREDENTIALS[Role.UNIT_SECRETARY][0] == job.requested_by
        assert session.query(AuditRecord).filter_by(action="view-patient").count() >= 1


def test_printing_needs_the_identifiers_confirmed_and_keeps_what_was_entered(labels_app: Flask,
                                                                              client: FlaskClient,
                                                                              gateway: FhirGateway) -> None:
    stay = demo_inpatient(gateway, index=2)
    url = _page_url(stay) + "?type=specimen"
    form = _form(client, url, accession="S26-004512", test="Basic metabolic panel", container="Gold top (SST)",
                 copies="2")
    response = client.post(_page_url(stay) + "/print", data=form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Check the name and date of birth" in html
    assert 'value="S26-004512"' in html and 'value="Basic metabolic panel"' in html and 'value="2"' in html
    with labels_app.app_context(), database().session() as session:
        assert session.query(PrintJob).count() == 0


def test_printer_down_queues_the_job_and_the_retry_prints_it_exactly_once(labels_app: Flask, client: FlaskClient,
                                                                          gateway: FhirGateway, zebra_port: int,
                                                                          printer_files: PrinterFiles) -> None:
    stay = demo_inpatient(gateway, index=3)
    clock = set_app_clock(labels_app, TestClock())
    url = _page_url(stay) + "?type=chart"
    form = _form(client, url, identifiers_confirmed="y", copies="3")
    response = client.post(_page_url(stay) + "/print", data=form)
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "Waiting for printer" in page and "The printer does not answer" in page
    assert "automatic retries are stopped: tell IT" in page  # no scheduler runs in this test
    assert "For IT: The printer at 127.0.0.1" in page and "cannot be reached" in page
    ctx = job_context(labels_app)
    assert retry_print_queue(ctx).startswith("print queue: 0 due")  # not due yet: backoff
    clock.advance(printer_files.first_delay_s - 0.001)
    assert retry_print_queue(ctx).startswith("print queue: 0 due")  # a moment before the backoff ends
    listener = RawPrinter(zebra_port).start()
    try:
        assert make_due(labels_app) == 1
        summary = retry_print_queue(ctx)
        assert "1 due, 1 printed" in summary
        assert make_due(labels_app) == 0
        assert "0 due, 0 printed" in retry_print_queue(ctx)
        jobs = listener.jobs()  # printed: the printer confirmed it after taking every byte
    finally:
        listener.stop()
    with labels_app.app_context(), database().session() as session:
        job = session.query(PrintJob).one()
        assert job.status == JobStatus.PRINTED and job.attempts == 2
        assert jobs == [job.payload]
        assert job.payload.count(b"^XA") == 1 and b"^PQ3,0,0,N\n^XZ" in job.payload  # one format, three labels
    assert "Printed" in text(client.get(response.headers["Location"]).get_data(as_text=True))


def test_a_queued_job_can_be_cancelled_and_is_never_sent(labels_app: Flask, client: FlaskClient,
                                                         gateway: FhirGateway, zebra_port: int,
                                                         printer_files: PrinterFiles) -> None:
    stay = demo_inpatient(gateway, index=4)
    set_app_clock(labels_app, TestClock())
    form = _form(client, _page_url(stay), identifiers_confirmed="y")
    response = client.post(_page_url(stay) + "/print", data=form)
    job_url = response.headers["Location"]
    job_id = int(job_url.rsplit("/", 1)[1])
    cancel = client.post(f"/labels/jobs/{job_id}/cancel", data={"csrf_token": form["csrf_token"]})
    assert cancel.status_code == 302
    assert "Cancelled" in text(client.get(job_url).get_data(as_text=True))
    listener = RawPrinter(zebra_port).start()
    try:
        assert make_due(labels_app) == 0  # nothing left waiting
        assert "0 due" in retry_print_queue(job_context(labels_app))
    finally:
        listener.stop()
    assert listener.jobs() == []


def test_a_second_print_is_a_reprint_and_needs_a_reason(labels_app: Flask, client: FlaskClient,
                                                        gateway: FhirGateway, zebra: RawPrinter) -> None:
    stay = demo_inpatient(gateway, index=5)
    url = _page_url(stay)
    assert client.post(url + "/print", data=_form(client, url, identifiers_confirmed="y")).status_code == 302
    again = client.post(url + "/print", data=_form(client, url, identifiers_confirmed="y"))
    assert again.status_code == 422
    assert "choose the reason for the reprint" in text(again.get_data(as_text=True))
    ok = client.post(url + "/print", data=_form(client, url, identifiers_confirmed="y", reprint_reason="damaged"))
    assert ok.status_code == 302
    with labels_app.app_context(), database().session() as session:
        jobs = session.query(PrintJob).order_by(PrintJob.id).all()
        assert [j.reprint_reason for j in jobs] == [None, "damaged"]
        rows = session.query(AuditRecord).filter(AuditRecord.action.in_(["print", "reprint"]),
                                                 AuditRecord.intent_id.is_(None)).order_by(AuditRecord.id).all()
        assert [(r.action, r.entity) for r in rows] == [("print", f"PrintJob/{jobs[0].id}"),
                                                        ("reprint", f"PrintJob/{jobs[1].id}")]
        assert rows[1].detail == "adult-armband x1 to TEST-ZEBRA (reason: damaged)"
    assert len(zebra.jobs()) == 2


def test_a_queued_job_survives_a_restart(labels_app: Flask, client: FlaskClient, gateway: FhirGateway,
                                         zebra_port: int, printer_files: PrinterFiles) -> None:
    from kiosk import create_app

    stay = demo_inpatient(gateway, index=6)
    clock = set_app_clock(labels_app, TestClock())
    assert client.post(_page_url(stay) + "/print",
                       data=_form(client, _page_url(stay), identifiers_confirmed="y")).status_code == 302
    with labels_app.app_context():
        same_settings = settings()
        database().dispose()
    restarted = create_app(same_settings, testing=True)
    set_app_clock(restarted, clock)
    listener = RawPrinter(zebra_port).start()
    try:
        assert make_due(restarted) == 1
        assert "1 printed" in retry_print_queue(job_context(restarted))
    finally:
        listener.stop()
    assert len(listener.jobs()) == 1


def test_the_queue_page_lists_jobs_and_the_printers_page_sends_a_test_label(labels_app: Flask,
                                                                            signed_in_client,  # type: ignore[no-untyped-def]
                                                                            printer_files: PrinterFiles) -> None:
    secretary = signed_in_client(Role.UNIT_SECRETARY)
    assert secretary.get("/labels/printers").status_code == 403
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', secretary.get("/labels/queue").get_data(as_text=True))
    assert secretary.post("/labels/printers/TEST-FOLDER-PDF/test",
                          data={"csrf_token": token.group(1)}).status_code == 403  # type: ignore[union-attr]
    client = signed_in_client(Role.ADMINISTRATOR)
    page = client.get("/labels/printers")
    html = page.get_data(as_text=True)
    assert "Test Zebra" in html and "Test folder PDF" in html
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    response = client.post("/labels/printers/TEST-FOLDER-PDF/test", data={"csrf_token": token})
    assert response.status_code == 302
    assert "Printed" in text(client.get(response.headers["Location"]).get_data(as_text=True))
    written = list(printer_files.folder.glob("*.pdf"))
    assert len(written) == 1 and written[0].read_bytes().startswith(b"%PDF")
    queue = text(client.get("/labels/queue").get_data(as_text=True))
    assert "Test label not a patient Adult armband Test folder PDF Printed" in queue
    preview = client.get(response.headers["Location"] + "/preview.png")
    assert preview.status_code == 200 and preview.data.startswith(b"\x89PNG")
