"""Printing through a real CUPS server: the kiosk prints to a cups-pdf queue, the test finds the PDF
CUPS wrote and decodes its barcode."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask

from kiosk.auth import Role
from kiosk.extensions import database
from kiosk.fhir.gateway import FhirGateway
from kiosk.labels.models import JobStatus, PrintJob
from printers.verify import decode, rasterize_pdf
from tests.support.cups import CupsPdfQueue
from tests.support.labels import PrinterFiles, demo_inpatient
from tests.support.sekmet import free_port


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
    with cups_app.app_context(), database().session() as session:
        job = session.query(PrintJob).one()
        assert job.status == JobStatus.PRINTED, job.last_error
        assert job.receipt and job.receipt.startswith("CUPS job ")
    pdf = cups_pdf_queue.wait_for_pdf()[0]
    pages = rasterize_pdf(pdf.read_bytes())
    assert [(d.kind, d.text) for d in decode(pages[0])] == [("Code128", "S26-CUPS-0042")]
