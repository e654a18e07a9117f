"""Printing through a real CUPS server: a job is printed when CUPS says its IPP job-state is completed, is "sent,
waiting for the printer" while CUPS still has it (the print-retry job follows it), and is for a person to check
when CUPS stopped, aborted or cancelled it, or never finished it in time. The kiosk prints to cups-pdf queues (the
test finds the PDF CUPS wrote and decodes its barcode) and to a raw queue whose device is the test Zebra."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask

from kiosk.auth import Role
from kiosk.db import Database
from kiosk.extensions import database
from kiosk.fhir.census import unit_census
from kiosk.fhir.gateway import FhirGateway, UnitRef
from kiosk.labels.jobs import retry_print_queue
from kiosk.labels.models import JobProblem, JobStatus, PrintJob
from kiosk.labels.queue import JobRequest, PrintQueue
from printers import Media, RenderedLabel, parse_printers_config
from printers.verify import decode, rasterize_pdf
from tests.support.cups import CupsPdfQueue, CupsQueues, disable, job_state, wait_for_job_state
from tests.support.labels import PrinterFiles, RawPrinter, demo_inpatient, job_context
from tests.support.sekmet import free_port

IPP_JOB_PENDING, IPP_JOB_PROCESSING, IPP_JOB_CANCELED, IPP_JOB_COMPLETED = 3, 5, 7, 9
PDF = RenderedLabel("pdf", b"%PDF-1.4\n%kiosk test label\n", 0, Media("chart", 50, 25), 1)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 29, 8, 0, 0)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'kiosk.db'}")
    database.upgrade()
    return database


def cups_config(queue: str, language: str = "pdf", confirm_wait: float = 0):  # type: ignore[no-untyped-def]
    media = {t: {"name": t, "width_in": 2, "height_in": 1} for t in ("adult-armband", "infant-armband", "chart",
                                                                       "specimen")}
    return parse_printers_config({
        "retry": {"stale_claim_s": 60, "confirm_within_s": 300},
        "media": media,
        "printers": {"CUPS": {"name": "CUPS", "transport": "cups", "language": language, "queue": queue,
                              "confirm_wait": confirm_wait, "labels": ["chart"]}},
    }, "test", Path("/tmp"))


def request() -> JobRequest:
    return JobRequest("4W-NS-1", "S1001", "p1", "e1", "chart", "CUPS")


@pytest.fixture
def cups_app(app: Flask, cups_pdf_queue: CupsPdfQueue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Flask:
    files = PrinterFiles(tcp_port=free_port(), folder=tmp_path / "pdf", cups_queue=cups_pdf_queue.name)
    monkeypatch.setenv("KIOSK_PRINTERS_CONFIG", str(files.write(tmp_path / "printers.toml")))
    return app


def test_a_specimen_label_printed_through_cups_comes_out_as_a_pdf_whose_barcode_reads_back(
        cups_app: Flask, signed_in_client, gateway: FhirGateway, cups_pdf_queue: CupsPdfQueue) -> None:  # type: ignore[no-untyped-def]
    client = signed_in_client(Role.UNIT_SECRETARY)
    stay = demo_inpatient(gateway, index=7)
    url = f"/labels/patients/{stay.patient_id}/encounters/{stay.encounter_id}"
    html = client.get(url + "?type=specimen").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    print_token = re.search(r'name="print_token" type="hidden" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    form = {"csrf_token": token, "print_token": print_token, "label_type": "specimen", "printer_id": "TEST-CUPS-PDF",
            "copies": "1",
            "accession": "S26-CUPS-0042", "test": "Lipid panel", "container": "Gold top (SST)"}
    panel = client.post(url + "/preview", data=form).get_data(as_text=True)
    sha = re.search(r'name="preview_sha256"[^>]*value="([^"]+)"', panel).group(1)  # type: ignore[union-attr]
    response = client.post(url + "/print", data={**form, "preview_sha256": sha, "identifiers_confirmed": "y"})
    assert response.status_code == 302
    pdf = cups_pdf_queue.wait_for_pdf()[0]
    pages = rasterize_pdf(pdf.read_bytes())
    assert [(d.kind, d.text) for d in decode(pages[0])] == [("Code128", "S26-CUPS-0042")]
    with cups_app.app_context(), database().session() as session:
        job = session.query(PrintJob).one()
        status, receipt, cups_job = job.job_status, job.receipt or "", job.printer_job
    # Printed at once when CUPS finished within the send's wait; otherwise sent, and followed to the end.
    assert status in (JobStatus.PRINTED, JobStatus.SENT), receipt
    if status is JobStatus.SENT:
        assert cups_job is not None
        wait_for_job_state(int(cups_job), {IPP_JOB_COMPLETED})
        assert "1 confirmed" in retry_print_queue(job_context(cups_app))
    with cups_app.app_context(), database().session() as session:
        job = session.query(PrintJob).one()
        assert job.job_status is JobStatus.PRINTED, job.last_error
        assert re.fullmatch(r"CUPS job \d+ on KIOSK_TEST_PDF_\w+: job-state 9.*", job.receipt or "")


def test_a_job_on_a_stopped_queue_is_never_printed_and_ends_for_a_person_to_check(
        db: Database, cups_queues: CupsQueues) -> None:
    pdf = cups_queues.pdf()
    disable(pdf.name, "Jammed at the nurses' station")
    clock = Clock()
    queue = PrintQueue(db, cups_config(pdf.name), clock)
    job_id = queue.submit(request(), PDF)
    outcome = queue.send(job_id)
    job = queue.get(job_id)
    assert outcome.status is JobStatus.SENT and not outcome.printed
    assert job.printer_reason == "The print server has stopped this printer: Jammed at the nurses' station"  # type: ignore[union-attr]
    assert job_state(int(job.printer_job))["job-state"] == IPP_JOB_PENDING  # type: ignore[union-attr, arg-type]
    clock.now += timedelta(seconds=299)
    assert queue.retry_due().waiting == 1
    clock.now += timedelta(seconds=1)
    queue.retry_due()
    job = queue.get(job_id)
    assert job.status == JobStatus.UNKNOWN and job.problem == JobProblem.UNCONFIRMED  # type: ignore[union-attr]
    assert job.printer_reason == ("Not confirmed by the printer within 5 minutes (last: The print server has "  # type: ignore[union-attr]
                                  "stopped this printer: Jammed at the nurses' station)")
    assert list(pdf.output.glob("*.pdf")) == []


def test_a_job_cancelled_at_the_print_server_is_for_a_person_to_check(db: Database, cups_queues: CupsQueues) -> None:
    import cups

    pdf = cups_queues.pdf()
    disable(pdf.name, "Paused by IT")
    queue = PrintQueue(db, cups_config(pdf.name), Clock())
    job_id = queue.submit(request(), PDF)
    assert queue.send(job_id).status is JobStatus.SENT
    cups_job = int(queue.get(job_id).printer_job)  # type: ignore[union-attr, arg-type]
    cups.Connection().cancelJob(cups_job)
    wait_for_job_state(cups_job, {IPP_JOB_CANCELED})
    assert queue.follow(job_id) is JobStatus.UNKNOWN
    assert queue.get(job_id).printer_reason == "Cancelled at the print server"  # type: ignore[union-attr]


def test_a_raw_zpl_job_cups_is_still_sending_is_followed_until_cups_says_completed(
        db: Database, cups_queues: CupsQueues) -> None:
    """CUPS sends the ZPL to the test Zebra and waits for it to close; while it holds the connection the job is
    "sent, waiting for the printer", and once CUPS reports it completed, the print-retry job records it printed."""
    port = free_port()
    zebra = RawPrinter(port, hold_open=True).start()
    try:
        queue_name = cups_queues.raw_to(port)
        queue = PrintQueue(db, cups_config(queue_name, language="zpl"), Clock())
        label = RenderedLabel("zpl", b"^XA^FO10,10^GB100,100,100^FS^XZ\n", 203, Media("chart", 50, 25), 1)
        job_id = queue.submit(request(), label)
        assert queue.send(job_id).status is JobStatus.SENT
        zebra.wait_for(lambda: zebra.jobs() == [label.data])  # the printer has it, CUPS waits for it to finish
        cups_job = int(queue.get(job_id).printer_job)  # type: ignore[union-attr, arg-type]
        assert job_state(cups_job)["job-state"] == IPP_JOB_PROCESSING
        summary = queue.retry_due()
        assert (summary.followed, summary.confirmed, summary.waiting) == (1, 0, 1)
        assert queue.get(job_id).printer_reason == "Printing"  # type: ignore[union-attr]
        zebra.release()
        wait_for_job_state(cups_job, {IPP_JOB_COMPLETED})
        summary = queue.retry_due()
        assert (summary.followed, summary.confirmed) == (1, 1)
        assert queue.get(job_id).status == JobStatus.PRINTED  # type: ignore[union-attr]
    finally:
        zebra.stop()


def test_an_arabic_name_prints_through_cups_on_a_pdf_label_in_reading_order(
        cups_app: Flask, signed_in_client, gateway: FhirGateway, make_unit: Callable[..., UnitRef],  # type: ignore[no-untyped-def]
        cups_pdf_queue: CupsPdfQueue) -> None:
    ref = make_unit(4)
    census = unit_census(gateway, ref)
    stay = next(e for e in census.encounters if e.status == "in-progress" and e.patient)
    patient = gateway.client.read("Patient", (stay.patient or "").split("/")[1])
    patient["name"] = [{"use": "official", "family": "حداد", "given": ["ليلى"]}]
    gateway.client.update(patient, version=patient["meta"]["versionId"])
    client = signed_in_client(Role.UNIT_SECRETARY)
    url = f"/labels/patients/{patient['id']}/encounters/{stay.id}"
    html = client.get(url + "?type=chart").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    print_token = re.search(r'name="print_token" type="hidden" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    form = {"csrf_token": token, "print_token": print_token, "label_type": "chart", "printer_id": "TEST-CUPS-PDF",
            "copies": "1"}
    panel = client.post(url + "/preview", data=form).get_data(as_text=True)
    assert "written right to left" not in panel
    sha = re.search(r'name="preview_sha256"[^>]*value="([^"]+)"', panel).group(1)  # type: ignore[union-attr]
    response = client.post(url + "/print", data={**form, "preview_sha256": sha, "identifiers_confirmed": "y"})
    assert response.status_code == 302
    pdf = cups_pdf_queue.wait_for_pdf()[0]
    pages = rasterize_pdf(pdf.read_bytes())
    assert [(d.kind, d.text) for d in decode(pages[0])] == [("Code128", stay.number)]
    # The name's dots, dot for dot, are proven on the kiosk's own PDF (tests/unit/printers/test_right_to_left.py);
    # cups-pdf writes the page again, as outlines.
    with cups_app.app_context(), database().session() as session:
        job = session.query(PrintJob).one()
        assert job.job_status in (JobStatus.PRINTED, JobStatus.SENT), job.last_error
