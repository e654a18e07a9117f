"""The name alert: on a fresh unit of the real FHIR server, a patient whose family name and first initial another
patient on the unit shares gets the hospital's wording on armbands and specimen labels (read here from the PDF
label's text layer), at a fixed cost of the unit's census (4 requests) on top of the page's 2; chart labels
make no extra request, and a patient whose name nobody shares gets no alert."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pypdfium2
import pytest
from flask import Flask
from flask.testing import FlaskClient

from kiosk.fhir.census import unit_census
from kiosk.fhir.gateway import FhirGateway, UnitRef
from tests.integration.labels.test_printing import _form, _page_url, text
from tests.support.beds import signed_in, unit_env, unit_gateway
from tests.support.labels import DemoStay, PrinterFiles


def _pdf_text(folder: Path) -> list[str]:
    pdfs = sorted(folder.glob("*.pdf"), key=lambda p: p.stat().st_mtime)
    pdf = pypdfium2.PdfDocument(pdfs[-1].read_bytes())
    try:
        return [" ".join(line.split()) for line in pdf[0].get_textpage().get_text_range().split("\n")]
    finally:
        pdf.close()


@pytest.fixture
def same_name_unit(gateway: FhirGateway, make_unit: Callable[..., UnitRef], make_app: Callable[..., Flask],
                   printer_files: PrinterFiles, tmp_path: Path) -> tuple[Flask, DemoStay, DemoStay]:
    """A fresh unit where a new patient shares family name and initial with one already there; the hospital
    says "NAME ALERT". Returns the app and (that patient's stay, a stay whose name nobody shares)."""
    printer_files.extra.append('\n[alerts]\nsame_name = "NAME ALERT"\n')
    printer_files.write(tmp_path / "printers.toml")
    ref = make_unit(12)
    gw = unit_gateway(gateway, ref)
    census = unit_census(gw)
    stays = [(e, census.patients[e.patient]) for e in census.encounters
             if e.status == "in-progress" and e.patient in census.patients and e.locations]
    (first_enc, first), (other_enc, other) = stays[0], stays[1]
    assert first.name.family != other.name.family
    suffix = uuid.uuid4().int % 10**7
    twin = gw.client.create({
        "resourceType": "Patient", "birthDate": "1960-02-03", "gender": "male",
        "name": [{"family": first.name.family.upper(), "given": [first.name.given[0][0] + "zra"]}],
        "identifier": [{"system": gw.identifiers.mrn, "value": f"4{suffix:07d}"}],
    })
    bed = first_enc.locations[0].location
    gw.client.create({
        "resourceType": "Encounter", "status": "in-progress",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
        "subject": {"reference": f"Patient/{twin.id}"},
        "identifier": [{"system": gw.identifiers.encounter, "value": f"08{suffix:07d}"}],
        "location": [{"location": {"reference": bed}, "status": "active"}],
        "period": {"start": "2026-11-27T09:00:00Z"},
    })
    app = make_app(**unit_env(ref))
    return (app, DemoStay(first.id, first_enc.id, first_enc.number or "", first.mrn or ""),
            DemoStay(other.id, other_enc.id, other_enc.number or "", other.mrn or ""))


def _print_pdf(client: FlaskClient, stay: DemoStay, label_type: str, **fields: str) -> None:
    url = _page_url(stay)
    form = _form(client, f"{url}?type={label_type}", printer_id="TEST-FOLDER-PDF", identifiers_confirmed="y",
                 **fields)
    response = client.post(url + "/print", data=form)
    assert response.status_code == 302, text(response.get_data(as_text=True))[:800]


def test_armbands_and_specimen_labels_carry_the_name_alert(same_name_unit, printer_files: PrinterFiles) -> None:  # type: ignore[no-untyped-def]
    app, shared, _ = same_name_unit
    client = signed_in(app)
    first = client.get(_page_url(shared))  # the process's first census also reads the statement and the unit's id
    page = client.get(_page_url(shared))
    assert first.status_code == page.status_code == 200
    assert page.headers["X-FHIR-Requests"] == "8", first.headers["X-FHIR-Requests"]  # 2: the patient; 6: the unit
    _print_pdf(client, shared, "adult-armband")
    assert any(line.startswith("NAME ALERT") for line in _pdf_text(printer_files.folder))
    _print_pdf(client, shared, "specimen", accession="S26-7701", test="CBC", container="Lavender top (EDTA)")
    assert any(line.startswith("NAME ALERT") for line in _pdf_text(printer_files.folder))
    chart = client.get(_page_url(shared) + "?type=chart")
    assert chart.headers["X-FHIR-Requests"] == "2"  # chart labels print no name alert: no census


def test_a_name_nobody_on_the_unit_shares_gets_no_alert(same_name_unit, printer_files: PrinterFiles) -> None:  # type: ignore[no-untyped-def]
    app, _, alone = same_name_unit
    client = signed_in(app)
    _print_pdf(client, alone, "adult-armband")
    assert not any("NAME ALERT" in line for line in _pdf_text(printer_files.folder))
