"""The downtime census on a real sekmet-fhir server behind a proxy that stops answering: the board is the
kept census, marked with its time and read-only; the census sheet prints (PDF, audited); a census older
than census.downtime_keep_hours is not shown (and is deleted); the board is live again at the next poll."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator

import pypdfium2
import pytest

from kiosk.beds.downtime import READ_ONLY
from kiosk.beds.occupancy import BedState
from kiosk.census import census_store
from kiosk.fhir.gateway import FhirGateway
from tests.support.beds import BedUnit, audit_rows, csrf_token, page_text, signed_in
from tests.support.browser import SCREENSHOTS
from tests.support.clock import use_clock
from tests.support.outage_proxy import OutageProxy
from tests.support.sekmet import SekmetServer

Factory = Callable[..., BedUnit]
HTMX = {"HX-Request": "true"}


@pytest.fixture
def outage(sekmet: SekmetServer) -> Iterator[OutageProxy]:
    proxy = OutageProxy(sekmet.base_url).start()
    yield proxy
    proxy.stop()


def pdf_text(data: bytes) -> str:
    pdf = pypdfium2.PdfDocument(io.BytesIO(data))
    try:
        return " ".join(" ".join(page.get_textpage().get_text_range().split()) for page in pdf)
    finally:
        pdf.close()


def save_pdf_page(data: bytes, name: str) -> None:
    """The sheet's first page as a PNG beside the screenshots, to be looked at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pdf = pypdfium2.PdfDocument(io.BytesIO(data))
    try:
        pdf[0].render(scale=1.4).to_pil().save(SCREENSHOTS / f"{name}.png")
    finally:
        pdf.close()


def occupied(unit: BedUnit) -> tuple[str, str, str, str]:
    """A bed with a patient: its id, the patient's name ('LAST, First'), as on the tile ('LAST, F.'), MRN."""
    tile = next(t for t in unit.beds(BedState.OCCUPIED) if t.patient is not None and t.patient.mrn)
    assert tile.patient is not None and tile.patient.mrn
    return tile.id, tile.patient.name, tile.patient.short_name, tile.patient.mrn


def test_a_server_that_stops_answering_leaves_the_kept_census_marked_and_read_only(
        bed_unit: Factory, outage: OutageProxy) -> None:
    unit = bed_unit(KIOSK_FHIR_BASE_URL=outage.base_url)
    assert unit.app is not None
    client = signed_in(unit.app)
    bed_id, name, short, _ = occupied(unit)
    live = page_text(client.get("/beds/").get_data(as_text=True))
    assert short in live and "FHIR server unreachable" not in live
    token = csrf_token(client)

    outage.go_down()
    poll = client.get("/beds/board", headers=HTMX)
    with unit.app.app_context():
        assert census_store().unreachable_since() is not None
    text = page_text(poll.get_data(as_text=True))
    assert poll.status_code == 200
    assert re.search(r"FHIR server unreachable since \d\d:\d\d; census as of \d\d:\d\d Print the census sheet "
                     r"Read-only", text), text
    assert short in text and "Print the census sheet" in text
    assert 'href="/beds/census-sheet.pdf"' in poll.get_data(as_text=True)

    public = page_text(client.get("/beds/public").get_data(as_text=True))  # the rooms-and-initials view too
    assert re.search(r"Updated \d\d:\d\d:\d\d FHIR server unreachable since \d\d:\d\d; census as of", public), public

    panel = client.get(f"/beds/bed/{bed_id}", headers=HTMX)
    html = panel.get_data(as_text=True)
    assert panel.status_code == 200 and name in page_text(html)
    assert READ_ONLY in page_text(html) and "panel-actions" not in html and "?open=" not in html  # no action
    assert "panel-section" not in html and "patient-links" not in html  # no other workflow asks the server

    refused = client.post("/beds/act/block", headers=HTMX, data={"csrf_token": token, "panel": f"bed:{bed_id}",
                                                                "bed_id": bed_id, "reason": "Broken rail"})
    assert refused.status_code == 503 and "cannot be reached" in page_text(refused.get_data(as_text=True))

    outage.come_back()
    back = page_text(client.get("/beds/board", headers=HTMX).get_data(as_text=True))
    assert "FHIR server unreachable" not in back and short in back
    with unit.app.app_context():
        assert census_store().unreachable_since() is None  # the look that answered cleared it


def test_the_census_sheet_prints_every_bed_and_its_patient_and_is_audited(
        bed_unit: Factory, outage: OutageProxy) -> None:
    unit = bed_unit(KIOSK_FHIR_BASE_URL=outage.base_url)
    assert unit.app is not None
    client = signed_in(unit.app)
    bed_id, name, _, mrn = occupied(unit)
    board = unit.board()
    client.get("/beds/")

    outage.go_down()
    sheet = client.get("/beds/census-sheet.pdf")
    assert sheet.status_code == 200 and sheet.headers["Content-Type"] == "application/pdf"
    assert sheet.headers["Cache-Control"] == "no-store"
    text = pdf_text(sheet.get_data())
    save_pdf_page(sheet.get_data(), "beds-census-sheet")
    assert f"Downtime census: {board.unit_name}" in text
    assert "FHIR server unreachable since" in text and "census as of" in text
    for column in ("Bed", "Patient", "MRN", "Age/sex", "Attending", "Alerts", "Expected discharge"):
        assert column in text
    assert board.tiles[bed_id].name in text and name in text and mrn in text
    assert "Pending admissions" in text
    for tile in board.tiles.values():
        assert tile.name in text

    printed = [r for r in audit_rows(unit.app, "print") if "census sheet" in (r.detail or "")]
    assert len(printed) == 1
    assert printed[0].entity_label == f"census sheet of {board.unit_name}"
    assert "FHIR server unreachable" in (printed[0].detail or "") and mrn not in (printed[0].detail or "")


def test_a_census_older_than_the_keep_time_is_not_shown_and_is_deleted(
        bed_unit: Factory, outage: OutageProxy, gateway: FhirGateway) -> None:
    unit = bed_unit(KIOSK_FHIR_BASE_URL=outage.base_url, KIOSK_CENSUS_DOWNTIME_KEEP_HOURS="2")
    assert unit.app is not None
    client = signed_in(unit.app)
    clock = use_clock(unit.app)
    _, _, name, _ = occupied(unit)
    client.get("/beds/")
    unit_id = unit.gw.unit_location_id()

    outage.go_down()
    clock.advance(2 * 3600 - 60)  # still within the keep time (a new sign-in: the idle lock has passed)
    client = signed_in(unit.app)
    assert name in page_text(client.get("/beds/board", headers=HTMX).get_data(as_text=True))

    clock.advance(120)  # past it
    client = signed_in(unit.app)
    poll = client.get("/beds/board", headers=HTMX)
    assert poll.status_code == 503 and name not in page_text(poll.get_data(as_text=True))
    page = page_text(client.get("/beds/").get_data(as_text=True))
    assert "No census of this unit from the last 2 hours is kept" in page and name not in page
    assert client.get("/beds/census-sheet.pdf").status_code == 503
    with unit.app.app_context():
        assert census_store().version(unit_id) is None  # deleted from the database

