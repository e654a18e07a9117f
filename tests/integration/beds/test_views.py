"""The bed board over HTTP (Flask test client) on a real sekmet-fhir server: request counts, polling,
actions with their notices, two stations at once, scans, the public view and other vendors' servers."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable

import httpx
import pytest
from flask.testing import FlaskClient

from kiosk.auth import Role
from kiosk.beds.occupancy import BedState
from kiosk.fhir import builders as b
from kiosk.fhir import codes
from kiosk.fhir.client import FhirClient, Transaction
from tests.support.beds import (
    BedUnit,
    app_gateway,
    audit_rows,
    csrf_token,
    page_text,
    seen_of,
    signed_in,
    vendor_statement,
)
from tests.support.sekmet import free_port

Factory = Callable[..., BedUnit]


def client_of(unit: BedUnit, role: Role = Role.UNIT_SECRETARY) -> FlaskClient:
    assert unit.app is not None
    return signed_in(unit.app, role)


def htmx(client: FlaskClient, token: str | None = None) -> dict[str, str]:
    headers = {"HX-Request": "true"}
    if token:
        headers["X-CSRFToken"] = token
    return headers


def test_a_render_costs_the_same_few_requests_for_20_and_200_beds(bed_unit: Factory) -> None:
    counts = {}
    for size in (20, 200):
        unit = bed_unit(size)
        client = client_of(unit)
        client.get("/beds/")  # the first render also resolves the unit's identifier once
        page = client.get("/beds/")
        assert page.status_code == 200
        assert page.get_data(as_text=True).count('class="bed ') == size
        bed = unit.beds(BedState.OCCUPIED)[0]
        client.get(f"/beds/bed/{bed.id}", headers=htmx(client))  # reads the CapabilityStatement once
        panel = client.get(f"/beds/bed/{bed.id}", headers=htmx(client))
        poll = client.get("/beds/board", headers=htmx(client))
        counts[size] = (page.headers["X-FHIR-Requests"], panel.headers["X-FHIR-Requests"],
                        poll.headers["X-FHIR-Requests"])
    assert counts[20] == counts[200] == ("4", "4", "4")


def test_the_poll_answers_204_until_something_changes(bed_unit: Factory) -> None:
    unit = bed_unit()
    client = client_of(unit)
    first = client.get("/beds/board", headers=htmx(client))
    fingerprint = re.search(r'"X-Board-Fingerprint": "([0-9a-f]+)"', first.get_data(as_text=True)).group(1)
    same = client.get("/beds/board", headers={**htmx(client), "X-Board-Fingerprint": fingerprint})
    assert same.status_code == 204 and same.get_data() == b"" and same.headers["X-Board-Refreshed"]

    bed = unit.beds(BedState.AVAILABLE, free=True)[0]
    unit.act("block", bed_id=bed.id, reason="Awaiting maintenance")
    changed = client.get("/beds/board", headers={**htmx(client), "X-Board-Fingerprint": fingerprint})
    assert changed.status_code == 200 and "Awaiting maintenance" in page_text(changed.get_data(as_text=True))


def test_admit_through_the_panel(bed_unit: Factory) -> None:
    unit = bed_unit()
    client = client_of(unit)
    token = csrf_token(client)
    bed = next(t for t in unit.beds(BedState.RESERVED))
    patient = bed.reserved_for[0]
    form = client.get(f"/beds/bed/{bed.id}?open=admit", headers=htmx(client)).get_data(as_text=True)
    assert f'value="{patient.encounter_id}"' in form and "checked" in form
    response = client.post("/beds/act/admit", headers=htmx(client, token), data={
        "panel": f"bed:{bed.id}", "bed": bed.id, "encounter": patient.encounter_id, "seen": seen_of(form)})
    assert response.status_code == 200 and response.headers["HX-Trigger"] == "board-changed"
    text = page_text(response.get_data(as_text=True))
    assert f"{patient.name} is admitted to bed {bed.name}" in text and "Occupied" in text
    assert unit.read("Encounter", patient.encounter_id)["status"] == "in-progress"

    [write] = audit_rows(unit.app, "fhir-write")
    assert (write.outcome, write.entity, write.patient, write.actor_role) == (
        "success", f"Encounter/{patient.encounter_id}", f"Patient/{patient.patient_id}", "unit_secretary")
    assert write.detail.startswith("admit: wrote Encounter/") and f"Location/{bed.id}" in write.detail
    family = patient.name.split(",")[0]
    assert all(family.lower() not in (r.detail or "").lower() for r in audit_rows(unit.app))
    viewed = [r for r in audit_rows(unit.app, "view-patient") if r.patient == f"Patient/{patient.patient_id}"]
    assert viewed, "opening the panel of a patient is recorded"


def test_a_second_station_is_told_and_nothing_is_lost(bed_unit: Factory) -> None:
    unit = bed_unit()
    first, second = client_of(unit), client_of(unit)
    bed = unit.beds(BedState.OCCUPIED)[0]
    patient = bed.patient
    # Both stations open the same occupied bed.
    form_1 = first.get(f"/beds/bed/{bed.id}?open=isolate", headers=htmx(first)).get_data(as_text=True)
    form_2 = second.get(f"/beds/bed/{bed.id}?open=discharge", headers=htmx(second)).get_data(as_text=True)
    done = first.post("/beds/act/isolate", headers=htmx(first, csrf_token(first)), data={
        "panel": f"bed:{bed.id}", "bed": bed.id, "kind": "isolation-contact", "seen": seen_of(form_1)})
    assert done.status_code == 200
    bed_version = unit.read("Location", bed.id)["meta"]["versionId"]

    told = second.post("/beds/act/discharge", headers=htmx(second, csrf_token(second)), data={
        "panel": f"bed:{bed.id}", "bed": bed.id, "encounter": patient.encounter_id, "disposition": "snf",
        "seen": seen_of(form_2)})
    assert told.status_code == 409
    html = told.get_data(as_text=True)
    text = page_text(html)
    assert "Changed at another station" in text and "Nothing was written" in text
    assert "Isolated" in text  # the current state
    assert re.search(r'value="snf"\s+required\s+checked', html)  # the choice is kept
    enc = unit.read("Encounter", patient.encounter_id)
    assert enc["status"] == "in-progress"
    stored = unit.read("Location", bed.id)
    assert stored["meta"]["versionId"] == bed_version and stored["operationalStatus"]["code"] == codes.BED_ISOLATED
    outcomes = [(r.detail, r.outcome) for r in audit_rows(unit.app, "fhir-write")]
    assert ("discharge: changed at another station (412), nothing written", "failure") in outcomes


def test_only_secretaries_and_charge_nurses_change_beds(bed_unit: Factory) -> None:
    unit = bed_unit()
    provider = client_of(unit, Role.PROVIDER)
    bed = unit.beds(BedState.OCCUPIED)[0]
    assert provider.get("/beds/").status_code == 200
    panel = page_text(provider.get(f"/beds/bed/{bed.id}", headers=htmx(provider)).get_data(as_text=True))
    assert "Not available: Only a unit secretary or a charge nurse may change beds." in panel
    refused = provider.post("/beds/act/discharge", headers=htmx(provider, csrf_token(provider)), data={
        "panel": f"bed:{bed.id}", "bed": bed.id, "encounter": bed.patient.encounter_id, "disposition": "home"})
    assert refused.status_code == 403
    assert unit.read("Encounter", bed.patient.encounter_id)["status"] == "in-progress"
    nurse = client_of(unit, Role.CHARGE_NURSE)
    assert "Not available" not in page_text(nurse.get(f"/beds/bed/{bed.id}", headers=htmx(nurse))
                                            .get_data(as_text=True))


def test_refusals_keep_the_form(bed_unit: Factory) -> None:
    unit = bed_unit()
    client = client_of(unit)
    bed = unit.beds(BedState.AVAILABLE, free=True)[0]
    form = client.get(f"/beds/bed/{bed.id}?open=block", headers=htmx(client)).get_data(as_text=True)
    response = client.post("/beds/act/block", headers=htmx(client, csrf_token(client)), data={
        "panel": f"bed:{bed.id}", "bed": bed.id, "reason": "x" * 130, "seen": seen_of(form)})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "under 120 characters" in page_text(html) and 'value="' + "x" * 130 + '"' in html


@pytest.mark.parametrize(("vendor", "software"), [("epic", "Epic May 2026"), ("oracle", "Oracle Health")])
def test_a_server_that_refuses_these_writes_still_shows_the_census(bed_unit: Factory, vendor: str,
                                                                    software: str) -> None:
    unit = bed_unit()
    app_gateway(unit.app).capabilities_cache.set(vendor_statement(vendor))
    client = client_of(unit)
    page = client.get("/beds/")
    assert page.status_code == 200 and page.get_data(as_text=True).count('class="bed ') == 20

    bed = unit.beds(BedState.OCCUPIED)[0]
    panel = page_text(client.get(f"/beds/bed/{bed.id}", headers=htmx(client)).get_data(as_text=True))
    assert f"Not available: {software} does not allow updates of Encounter." in panel
    refused = client.post("/beds/act/discharge", headers=htmx(client, csrf_token(client)), data={
        "panel": f"bed:{bed.id}", "bed": bed.id, "encounter": bed.patient.encounter_id, "disposition": "home"})
    assert refused.status_code == 409
    assert f"{software} does not allow updates of Encounter. Nothing was changed." in \
        page_text(refused.get_data(as_text=True))
    assert unit.read("Encounter", bed.patient.encounter_id)["status"] == "in-progress"


def test_a_scan_opens_the_patient_without_putting_the_number_in_a_url_or_log(
        bed_unit: Factory, caplog: pytest.LogCaptureFixture) -> None:
    unit = bed_unit()
    client = client_of(unit)
    token = csrf_token(client)
    bed = unit.beds(BedState.OCCUPIED)[0]
    patient = bed.patient
    caplog.set_level(logging.DEBUG)
    for code in (patient.mrn, patient.encounter_number):
        response = client.post("/beds/scan", headers=htmx(client, token), data={"code": code})
        assert response.status_code == 200
        text = page_text(response.get_data(as_text=True))
        assert patient.name in text and f"Bed {bed.name}" in text
    assert patient.mrn not in caplog.text and patient.encounter_number not in caplog.text

    missing = client.post("/beds/scan", headers=htmx(client, token), data={"code": "99999999"})
    assert "No patient with an open encounter" in page_text(missing.get_data(as_text=True))
    bad = client.post("/beds/scan", headers=htmx(client, token), data={"code": "<script>"})
    assert bad.status_code == 422 and "not an MRN" in page_text(bad.get_data(as_text=True))
    assert bad.headers["X-FHIR-Requests"] == "0"
    assert client.get("/beds/scan").status_code == 405


def test_a_scan_of_a_patient_on_another_unit_says_where_they_are(bed_unit: Factory) -> None:
    here, there = bed_unit(), bed_unit(with_app=False)
    other = there.beds(BedState.OCCUPIED)[0]
    client = client_of(here)
    response = client.post("/beds/scan", headers=htmx(client, csrf_token(client)), data={"code": other.patient.mrn})
    assert f"{other.patient.name.split(',')[0]}" in page_text(response.get_data(as_text=True)).upper()
    assert "is not on Test Unit" in page_text(response.get_data(as_text=True))
    assert other.name in page_text(response.get_data(as_text=True))


def test_the_public_view_shows_no_full_names(bed_unit: Factory) -> None:
    unit = bed_unit()
    client = client_of(unit)
    census_names = [(t.patient or t.reserved_for[0]).name for t in unit.board().tiles.values()
                    if t.patient or t.reserved_for]
    for url in ("/beds/public", "/beds/public/board"):
        html = client.get(url, headers=htmx(client) if url.endswith("board") else {}).get_data(as_text=True)
        text = page_text(html).upper()
        for name in census_names:
            family, given = name.split(", ", 1)
            assert family.upper() not in text and given.upper() not in text.replace(".", " ")
            assert family.upper() not in html.upper()
    occupant = next(t.patient for t in unit.board().tiles.values() if t.patient)
    assert occupant.initials in page_text(client.get("/beds/public").get_data(as_text=True))


def test_a_server_that_is_down_leaves_a_readable_board(bed_unit: Factory) -> None:
    unit = bed_unit()
    gw = app_gateway(unit.app)
    gw.client = FhirClient(f"http://127.0.0.1:{free_port()}/fhir", read_retries=0)
    gw._unit_ids.clear()
    client = client_of(unit)
    page = client.get("/beds/")
    assert page.status_code == 200
    assert "The bed board is not available" in page_text(page.get_data(as_text=True))
    poll = client.get("/beds/board", headers=htmx(client))
    assert poll.status_code == 503 and poll.headers["HX-Reswap"] == "none"
    assert "cannot be reached" in poll.headers["X-Board-Problem"]


def add_pending_patient(unit: BedUnit, family: str, given: list[str]) -> tuple[str, str]:
    """A planned admission to the unit for a new patient; returns (patient id, encounter id)."""
    ids = unit.gw.identifiers
    tag = uuid.uuid4().hex[:10]
    tx = Transaction()
    patient = tx.create({"resourceType": "Patient", "identifier": [b.identifier(ids.mrn, f"X{tag}")],
                         "name": [{"use": "official", "family": family, "given": given}], "gender": "female",
                         "birthDate": "1961-02-03"})
    tx.create({"resourceType": "Encounter", "identifier": [b.identifier(ids.encounter, f"E{tag}")],
               "status": "planned", "class": b.inpatient_class(), "subject": {"reference": patient},
               "location": [b.encounter_location(f"Location/{unit.board().unit_id}", "planned")]})
    results = unit.gw.client.transaction(tx)
    return str(results[0].reference).split("/")[1], str(results[1].reference).split("/")[1]


def test_names_with_markup_characters_accents_and_80_characters_are_shown_whole_and_escaped(
        bed_unit: Factory) -> None:
    unit = bed_unit()
    family = "O'Néill-<b>Smith</b> & Sons^~ Hernández-Villanueva de los Santos y Ó Súilleabháin"
    assert len(family) >= 80
    _patient_id, encounter_id = add_pending_patient(unit, family, ["Zoë", "Ana-María"])
    client = client_of(unit)
    board_html = client.get("/beds/").get_data(as_text=True)
    assert "<B>SMITH</B>" not in board_html and "&lt;B&gt;SMITH&lt;/B&gt; &amp; SONS^~" in board_html
    panel = client.get(f"/beds/encounter/{encounter_id}?open=admit", headers=htmx(client)).get_data(as_text=True)
    shown = f"{family.upper()}, Zoë Ana-María"
    assert shown in page_text(panel)
    bed = unit.beds(BedState.AVAILABLE, free=True)[0]
    done = client.post("/beds/act/admit", headers=htmx(client, csrf_token(client)), data={
        "panel": f"encounter:{encounter_id}", "encounter": encounter_id, "target": bed.id, "seen": seen_of(panel)})
    assert done.status_code == 200
    assert f"{shown} is admitted to bed {bed.name}" in page_text(done.get_data(as_text=True))
    assert done.headers["X-FHIR-Requests"] == "11"  # census, the two records, one transaction, census again
    public = page_text(client.get("/beds/public").get_data(as_text=True))
    assert "NÉILL" not in public.upper() and "Z.O." in public


def test_an_unreadable_record_is_reported_and_the_board_stays(bed_unit: Factory) -> None:
    unit = bed_unit()
    bed = unit.beds(BedState.AVAILABLE, free=True)[0]
    # Another system stores an Encounter whose bed entry has a status R4 does not have (sekmet-fhir takes it).
    broken = {"resourceType": "Encounter", "status": "in-progress", "class": {"code": "IMP"},
              "location": [{"location": {"reference": bed.ref}, "status": "moved-in"}]}
    httpx.post(f"{unit.gw.client.base_url}/Encounter", json=broken, timeout=10).raise_for_status()
    client = client_of(unit)
    page = client.get("/beds/")
    text = page_text(page.get_data(as_text=True))
    assert page.status_code == 200 and page.get_data(as_text=True).count('class="bed ') == 20
    assert "1 record from the FHIR server could not be read and is not shown on this board." in text


def test_the_patient_panel_links_to_the_labels_workflow(bed_unit: Factory) -> None:
    unit = bed_unit()
    client = client_of(unit)
    bed = unit.beds(BedState.OCCUPIED)[0]
    html = client.get(f"/beds/bed/{bed.id}", headers=htmx(client)).get_data(as_text=True)
    href = f"/labels/patients/{bed.patient.patient_id}/encounters/{bed.patient.encounter_id}"
    assert f'href="{href}"' in html and "Print armband / labels" in html
    assert client.get(href).status_code == 200


def test_the_refresh_interval_comes_from_the_settings(bed_unit: Factory) -> None:
    unit = bed_unit(KIOSK_BEDS_REFRESH_SECONDS="30")
    html = client_of(unit).get("/beds/").get_data(as_text=True)
    assert 'hx-trigger="every 30s, board-changed from:body"' in html
