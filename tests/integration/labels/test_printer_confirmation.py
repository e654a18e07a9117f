"""Printed means the printer says so: through the real kiosk, the real FHIR server and the test Zebra over
real TCP, a paused printer's label waits, a printer that takes the label and then stops asks a person to check
(with the printer's own reason), and a label still printing is followed by the print-retry job to its end."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from kiosk.extensions import database
from kiosk.fhir.gateway import FhirGateway
from kiosk.labels.jobs import retry_print_queue
from kiosk.labels.models import JobStatus, PrintJob
from tests.integration.labels.test_printing import _form, _page_url, text
from tests.support.labels import PrinterFiles, RawPrinter, demo_inpatient, job_context, make_due


def _print(client: FlaskClient, stay) -> str:  # type: ignore[no-untyped-def]
    url = _page_url(stay)
    response = client.post(url + "/print", data=_form(client, url, identifiers_confirmed="y"))
    assert response.status_code == 302, text(response.get_data(as_text=True))[:800]
    return response.headers["Location"]


def _job(app: Flask) -> PrintJob:
    with app.app_context(), database().session() as session:
        return session.query(PrintJob).one()


def test_a_paused_printer_gets_nothing_and_the_label_waits_with_the_printers_reason(
        labels_app: Flask, client: FlaskClient, gateway: FhirGateway, zebra: RawPrinter) -> None:
    zebra.paused = True
    job_url = _print(client, demo_inpatient(gateway, index=17))
    page = text(client.get(job_url).get_data(as_text=True))
    assert "Waiting for printer" in page and "Printed" not in page
    assert "Not sent yet: Printer paused, and automatic retries are stopped: tell IT." in page
    assert "For IT: The printer at 127.0.0.1" in page and "reports Printer paused" in page
    assert zebra.jobs() == []
    zebra.paused = False
    assert make_due(labels_app) == 1
    assert "1 due, 1 printed" in retry_print_queue(job_context(labels_app))
    page = text(client.get(job_url).get_data(as_text=True))
    assert "Printed on Test Zebra at" in page and "the printer confirmed it" in page
    assert zebra.jobs() == [_job(labels_app).payload]


def test_a_printer_that_takes_the_label_and_runs_out_asks_for_a_person_and_is_never_resent(
        labels_app: Flask, client: FlaskClient, gateway: FhirGateway, zebra: RawPrinter) -> None:
    zebra.fault_on_format = "paper_out"
    job_url = _print(client, demo_inpatient(gateway, index=18))
    job = _job(labels_app)
    assert job.status == JobStatus.UNKNOWN and job.printer_reason == "Out of labels"
    page = text(client.get(job_url).get_data(as_text=True))
    assert "Check the printer" in page
    assert "Out of labels. The label may or may not have printed: check the printer" in page
    zebra.paper_out = False
    assert "0 due, 0 printed" in retry_print_queue(job_context(labels_app))
    queue = text(client.get("/labels/queue").get_data(as_text=True))
    assert "Check the printer Out of labels." in queue
    zebra.wait_for_closed()
    assert zebra.connections == 1 and zebra.jobs() == [job.payload]


def test_a_label_still_printing_is_sent_then_followed_to_printed(labels_app: Flask, client: FlaskClient,
                                                                 gateway: FhirGateway, zebra: RawPrinter,
                                                                 printer_files: PrinterFiles, tmp_path: Path) -> None:
    printer_files.confirm_wait = 0  # a label the printer has not finished at once is left "sent"
    printer_files.write(tmp_path / "printers.toml")
    zebra.prints_per_query = 0  # busy with earlier labels
    job_url = _print(client, demo_inpatient(gateway, index=19))
    page = client.get(job_url).get_data(as_text=True)
    assert "Sent, waiting for the printer" in text(page)
    assert "which has not confirmed it yet: The printer is still printing." in text(page)
    assert 'hx-trigger="every 3s"' in page  # the page keeps asking
    zebra.prints_per_query = None
    summary = retry_print_queue(job_context(labels_app))
    assert "1 sent jobs followed (1 confirmed, 0 still waiting for the printer)" in summary
    assert "Printed on Test Zebra" in text(client.get(job_url).get_data(as_text=True))
    assert len(zebra.jobs()) == 1
