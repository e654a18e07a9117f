"""The bed board over HTTP (Flask test client) on a real sekmet-fhir server: request counts, polling,
actions with their notices, two stations at once, scans, the public view and other vendors' servers."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from flask.testing import FlaskClient
from markupsafe import escape

from kiosk.auth import Role
from kiosk.beds.occupancy import BedState
from kiosk.fhir import builders as b
from kiosk.fhir import codes
from kiosk.fhir.client import FhirClient, Transaction
from kiosk.fhir.patients import NAME_MATCHES, folded
from kiosk.timeutil import today
from tests.support.beds import (
    BOARD_REQUESTS,
    MOVE_OFFER_REQUESTS,
    UNCHANGED_REQUESTS,
    BedUnit,
    app_gateway,
    audit_rows,
    csrf_token,
    page_text,
    seen_of,
    signed_in,
    vendor_statement,
)
from tests.support.fhir_faults import KeepsTheFirstEntry
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
    # Nothing changed since the first render: the census (with the marks and the drawn board) is kept, and
    # each costs the look at the server's changes only.
    panel_requests = str(int(UNCHANGED_REQUESTS) + MOVE_OFFER_REQUESTS)  # an occupied bed: a patient's panel
    assert counts[20] == counts[200] == (UNCHANGED_REQUESTS, panel_requests, UNCHANGED_REQUESTS)


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
    assert write.detail.startswith("admit: wrote hospital stay (Encounter/")
    assert f"{bed.name} (Location/{bed.id})" in write.detail
    family = patient.name.split(",")[0]
    assert all(family.lower() not in (r.detail or "").lower() for r in audit_rows(unit.app))
    viewed = [r for r in audit_rows(unit.app, "view-patient") if r.patient == f"Patient/{patient.patient_id}"]
    assert viewed, "opening the panel of a patient is recorded"


def test_cancel_a_reservation_through_the_panel(bed_unit: Factory) -> None:
    unit = bed_unit()
    client = client_of(unit)
    bed = next(t for t in unit.beds(BedState.RESERVED))
    patient = bed.reserved_for[0]
    panel = page_text(client.get(f"/beds/bed/{bed.id}", headers=htmx(client)).get_data(as_text=True))
    assert "Cancel reservation" in panel
    form = client.get(f"/beds/bed/{bed.id}?open=cancel-reservation", headers=htmx(client)).get_data(as_text=True)
    assert f'value="{patient.encounter_id}"' in form and "checked" in form and "Keep it" in form
    response = client.post("/beds/act/cancel-reservation", headers=htmx(client, csrf_token(client)), data={
        "panel": f"bed:{bed.id}", "bed": bed.id, "encounter": patient.encounter_id, "seen": seen_of(form)})
    assert response.status_code == 200
    text = page_text(response.get_data(as_text=True))
    assert f"The reservation of bed {bed.name} for {patient.name} is cancelled" in text and "Available" in text
    [write] = audit_rows(unit.app, "fhir-write")
    assert write.outcome == "success" and write.detail.startswith("cancel-reservation: wrote hospital stay (Encounter/")
    assert write.entity_label == f"hospital stay in bed {bed.name}"


def test_set_and_clear_the_expected_discharge_through_the_panel(bed_unit: Factory) -> None:
    unit = bed_unit()
    client = client_of(unit)
    bed = next(t for t in unit.beds(BedState.OCCUPIED) if t.patient and not t.patient.expected_discharge)
    patient = bed.patient
    form = client.get(f"/beds/bed/{bed.id}?open=expected-discharge", headers=htmx(client)).get_data(as_text=True)
    assert "Tomorrow" in form and 'name="day_other"' in form
    tomorrow = (today() + timedelta(days=1)).isoformat()
    data = {"panel": f"bed:{bed.id}", "bed": bed.id, "encounter": patient.encounter_id, "seen": seen_of(form)}
    response = client.post("/beds/act/expected-discharge", headers=htmx(client, csrf_token(client)),
                           data={**data, "day": tomorrow})
    assert response.status_code == 200 and "expected discharge:" in page_text(response.get_data(as_text=True))
    assert unit.board().tile(bed.id).patient.expected_discharge.isoformat() == tomorrow

    # A day in the past is refused next to the field, and what was typed is kept.
    form = client.get(f"/beds/bed/{bed.id}?open=expected-discharge", headers=htmx(client)).get_data(as_text=True)
    past = (today() - timedelta(days=2)).isoformat()
    refused = client.post("/beds/act/expected-discharge", headers=htmx(client, csrf_token(client)),
                          data={**data, "seen": seen_of(form), "day_other": past})
    assert "cannot be in the past" in page_text(refused.get_data(as_text=True))
    assert f'value="{past}"' in refused.get_data(as_text=True)
    assert unit.board().tile(bed.id).patient.expected_discharge.isoformat() == tomorrow

    cleared = client.post("/beds/act/expected-discharge", headers=htmx(client, csrf_token(client)),
                          data={**data, "seen": seen_of(form), "day": "unknown"})
    assert "expected discharge: not known" in page_text(cleared.get_data(as_text=True))
    assert unit.board().tile(bed.id).patient.expected_discharge is None


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
    assert re.search(r'value="snf"\s+checked', html)  # the choice is kept
    enc = unit.read("Encounter", patient.encounter_id)
    assert enc["status"] == "in-progress"
    stored = unit.read("Location", bed.id)
    assert stored["meta"]["versionId"] == bed_version and stored["operationalStatus"]["code"] == codes.BED_ISOLATED
    outcomes = [(r.detail, r.outcome) for r in audit_rows(unit.app, "fhir-write")]
    assert ("discharge: changed at another station (412), nothing written", "failure") in outcomes


def test_a_refusal_because_of_another_station_redraws_the_tiles_too(bed_unit: Factory) -> None:
    unit = bed_unit()
    first, second = client_of(unit), client_of(unit)
    bed = unit.beds(BedState.HOUSEKEEPING)[0]
    form_1 = first.get(f"/beds/bed/{bed.id}", headers=htmx(first)).get_data(as_text=True)
    form_2 = second.get(f"/beds/bed/{bed.id}", headers=htmx(second)).get_data(as_text=True)
    done = first.post("/beds/act/bed-clean", headers=htmx(first, csrf_token(first)), data={
        "panel": f"bed:{bed.id}", "bed": bed.id, "seen": seen_of(form_1)})
    assert done.status_code == 200
    told = second.post("/beds/act/cleaning-started", headers=htmx(second, csrf_token(second)), data={
        "panel": f"bed:{bed.id}", "bed": bed.id, "seen": seen_of(form_2)})
    assert told.status_code == 409 and "Changed at another station" in page_text(told.get_data(as_text=True))
    assert told.headers.get("HX-Trigger") == "board-changed"


def test_only_secretaries_and_charge_nurses_change_beds(bed_unit: Factory) -> None:
    unit = bed_unit()
    provider = client_of(unit, Role.PROVIDER)
    bed = unit.beds(BedState.OCCUPIED)[0]
    assert provider.get("/beds/").status_code == 200
    html = provider.get(f"/beds/bed/{bed.id}", headers=htmx(provider)).get_data(as_text=True)
    panel = page_text(html)
    # One calm notice, no wall of disabled buttons.
    assert panel.count("You can look here; only a unit secretary or a charge nurse changes beds.") == 1
    assert "Not available" not in panel and "button-large" not in html and "/beds/act/" not in html
    refused = provider.post("/beds/act/discharge", headers=htmx(provider, csrf_token(provider)), data={
        "panel": f"bed:{bed.id}", "bed": bed.id, "encounter": bed.patient.encounter_id, "disposition": "home"})
    assert refused.status_code == 403
    assert unit.read("Encounter", bed.patient.encounter_id)["status"] == "in-progress"
    nurse = client_of(unit, Role.CHARGE_NURSE)
    nurse_panel = page_text(nurse.get(f"/beds/bed/{bed.id}", headers=htmx(nurse)).get_data(as_text=True))
    assert "You can look here" not in nurse_panel and "Discharge" in nurse_panel


def test_refusals_keep_the_form(bed_unit: Factory) -> None:
    unit = bed_unit()
    client = client_of(unit)
    bed = unit.beds(BedState.AVAILABLE, free=True)[0]
    form = client.get(f"/beds/bed/{bed.id}?open=block", headers=htmx(client)).get_data(as_text=True)
    response = client.post("/beds/act/block", headers=htmx(client, csrf_token(client)), data={
        "panel": f"bed:{bed.id}", "bed": bed.id, "reason": "other", "reason_other": "x" * 130, "seen": seen_of(form)})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "under 120 characters" in page_text(html) and 'value="' + "x" * 130 + '"' in html
    assert re.search(r'value="other"\s+checked', html)  # "Other" stays chosen, its text field shown


def test_a_server_that_does_not_offer_the_census_searches_says_which(bed_unit: Factory) -> None:
    """Oracle Health's statement lists no Location search by partof (nor Flag or Task at all): the board
    and the home screen say so, before any search is sent."""
    unit = bed_unit()
    app_gateway(unit.app).capabilities_cache.set(vendor_statement("oracle"))
    client = client_of(unit)
    page = client.get("/beds/")
    text = page_text(page.get_data(as_text=True))
    assert page.status_code == 200 and page.get_data(as_text=True).count('class="bed ') == 0
    assert "The bed board is not available" in text
    assert "The bed board needs Location search by partof, which Oracle Health does not offer." in text
    assert page.headers["X-FHIR-Requests"] == "0"
    poll = client.get("/beds/board", headers=htmx(client))
    assert poll.status_code == 503 and poll.headers["HX-Reswap"] == "none"
    assert "Location search by partof" in poll.headers["X-Poll-Problem"]
    home = page_text(client.get("/").get_data(as_text=True))
    assert "Unit counts are not available" in home and "Oracle Health does not offer" in home


def test_a_server_that_refuses_these_writes_still_shows_the_census(bed_unit: Factory) -> None:
    """Epic's statement lists every search the census makes except the _revincludes that bring the beds
    in the rooms and the patients' alerts: the census makes one more Location search and one Flag search,
    and each refused write says why."""
    unit = bed_unit()
    app_gateway(unit.app).capabilities_cache.set(vendor_statement("epic"))
    client = client_of(unit)
    client.get("/beds/")  # resolves the unit's identifier once
    page = client.get("/beds/")
    assert page.status_code == 200 and page.get_data(as_text=True).count('class="bed ') == 20
    assert page.headers["X-FHIR-Requests"] == "9"  # the census with two more searches, and the transport marks

    bed = unit.beds(BedState.OCCUPIED)[0]
    panel = page_text(client.get(f"/beds/bed/{bed.id}", headers=htmx(client)).get_data(as_text=True))
    assert "Not available: Epic May 2026 does not allow updates of Encounter." in panel
    refused = client.post("/beds/act/discharge", headers=htmx(client, csrf_token(client)), data={
        "panel": f"bed:{bed.id}", "bed": bed.id, "encounter": bed.patient.encounter_id, "disposition": "home"})
    assert refused.status_code == 409
    assert "Epic May 2026 does not allow updates of Encounter. Nothing was changed." in \
        page_text(refused.get_data(as_text=True))
    assert unit.read("Encounter", bed.patient.encounter_id)["status"] == "in-progress"


def sekmet_statement(unit: BedUnit) -> dict[str, Any]:
    return unit.gw.client.metadata()


def test_an_action_the_server_may_refuse_in_one_of_its_variants_is_not_offered(bed_unit: Factory) -> None:
    """Isolating an occupied bed also creates the patient's isolation Flag: on a server that allows
    Location updates but not Flag creates, "Isolate bed" says why instead of failing on click."""
    unit = bed_unit()
    statement = sekmet_statement(unit)
    for resource in statement["rest"][0]["resource"]:
        if resource["type"] == "Flag":
            resource["interaction"] = [i for i in resource["interaction"] if i["code"] != "create"]
    app_gateway(unit.app).capabilities_cache.set(statement)
    client = client_of(unit)
    bed = unit.beds(BedState.OCCUPIED)[0]
    html = client.get(f"/beds/bed/{bed.id}", headers=htmx(client)).get_data(as_text=True)
    assert "Not available: SEKMET FHIR R4 Tester 0.1.0 does not allow creating Flag." in page_text(html)
    assert "?open=isolate" not in html


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
    assert "cannot be reached" in poll.headers["X-Poll-Problem"]


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
    listed = client.get("/beds/list/admissions", headers=htmx(client)).get_data(as_text=True)
    assert "<B>SMITH</B>" not in board_html + listed and "&lt;B&gt;SMITH&lt;/B&gt; &amp; SONS^~" in listed
    panel = client.get(f"/beds/encounter/{encounter_id}?open=admit", headers=htmx(client)).get_data(as_text=True)
    shown = f"{family.upper()}, Zoë Ana-María"
    assert shown in page_text(panel)
    bed = unit.beds(BedState.AVAILABLE, free=True)[0]
    done = client.post("/beds/act/admit", headers=htmx(client, csrf_token(client)), data={
        "panel": f"encounter:{encounter_id}", "encounter": encounter_id, "target": bed.id, "seen": seen_of(panel)})
    assert done.status_code == 200
    assert f"{shown} is admitted to bed {bed.name}" in page_text(done.get_data(as_text=True))
    # The board as it was (the look only), the two records, one transaction, and the board again: the
    # kiosk wrote to the unit's census, so it is read again (the look, the census, the marks).
    assert done.headers["X-FHIR-Requests"] == str(int(UNCHANGED_REQUESTS) + 3 + int(BOARD_REQUESTS)
                                                  + MOVE_OFFER_REQUESTS)  # the panel after: a patient's
    # On the tile: "FAMILY, G.", the family name whole (it wraps; it is never cut), escaped.
    tile = re.search(rf'data-bed-id="{bed.id}">(.*?)</button>', client.get("/beds/").get_data(as_text=True), re.S)
    assert tile and str(escape(f"{family.upper()}, Z.")) in tile.group(1)
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
    assert "1 record from the FHIR server could not be read; the bed it names is marked “Check record”." in text
    tile = unit.board().tile(bed.id)
    assert tile is not None and any("could not be read" in w for w in tile.warnings)
    panel = page_text(client.get(f"/beds/bed/{bed.id}", headers=htmx(client)).get_data(as_text=True))
    assert "could not be read from the FHIR server" in panel


def test_the_patient_panel_links_to_the_labels_workflow(bed_unit: Factory) -> None:
    unit = bed_unit()
    client = client_of(unit)
    bed = unit.beds(BedState.OCCUPIED)[0]
    html = client.get(f"/beds/bed/{bed.id}", headers=htmx(client)).get_data(as_text=True)
    href = f"/labels/patients/{bed.patient.patient_id}/encounters/{bed.patient.encounter_id}"
    assert f'href="{href}"' in html and "Print armband / labels" in html
    assert client.get(href).status_code == 200


def test_the_refresh_interval_comes_from_the_settings(bed_unit: Factory) -> None:
    """The board refreshes on its stream's census events, and checks every 30 s while the stream is not
    open (static/js/live.js); no scheduler looks at the server here, so also while it is."""
    unit = bed_unit(KIOSK_BEDS_REFRESH_SECONDS="30")
    html = client_of(unit).get("/beds/").get_data(as_text=True)
    assert 'hx-trigger="sse:census, board-changed from:body"' in html
    assert 'data-check-seconds="30" data-live-check-seconds="30"' in html


def test_a_corridor_screen_needs_no_sign_in_but_the_right_token(bed_unit: Factory) -> None:
    token = "corridor-screen-0123456789abcdef"
    unit = bed_unit(20, KIOSK_BEDS_PUBLIC_DISPLAY_TOKEN=token)
    assert unit.app is not None
    anonymous = unit.app.test_client()
    assert anonymous.get("/beds/display").status_code == 404  # no cookie yet
    setup = anonymous.get(f"/beds/display/{token}")
    # The secret leaves the address at once: it becomes a cookie, and the screen lives at /beds/display.
    assert setup.status_code == 302 and setup.headers["Location"] == "/beds/display"
    assert "HttpOnly" in setup.headers["Set-Cookie"] and token not in setup.headers["Set-Cookie"]
    page = anonymous.get("/beds/display")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert token not in html and "/beds/display/board" in html and "data-signed-in" not in html  # never idle-locks
    board = unit.board()
    occupant = next(t.patient for t in board.tiles.values() if t.patient)
    text = page_text(html)
    assert occupant.initials in text and occupant.name not in text and occupant.name.split(",")[0] not in text
    assert anonymous.get("/beds/display/board").status_code == 200
    events = anonymous.get(f"/beds/display/events?unit={board.unit_id}", buffered=False)
    assert events.status_code == 200 and events.mimetype == "text/event-stream"
    events.close()
    assert anonymous.get("/beds/display/not-the-token-0123456789abcdef").status_code == 404
    other = unit.app.test_client()
    other.set_cookie("kiosk_display", "forged", path="/beds/display")
    assert other.get("/beds/display").status_code == 404
    forged = other.get("/beds/display/board", headers={"HX-Request": "true"})  # a poll: no swap, no data
    assert forged.status_code == 503 and forged.data == b""
    assert other.get(f"/beds/display/events?unit={board.unit_id}").status_code == 404
    assert anonymous.get("/beds/public").status_code == 302  # the in-kiosk public view still needs a sign-in


def test_no_corridor_screen_unless_configured(bed_unit: Factory) -> None:
    unit = bed_unit(20)
    assert unit.app is not None
    assert unit.app.test_client().get("/beds/display/anything-at-all-0123456789").status_code == 404


def test_an_action_without_the_versions_the_panel_showed_writes_nothing(bed_unit: Factory) -> None:
    unit = bed_unit()
    client = client_of(unit)
    bed = unit.beds(BedState.AVAILABLE, free=True)[0]
    before = unit.read("Location", bed.id)["meta"]["versionId"]
    response = client.post("/beds/act/block", headers=htmx(client, csrf_token(client)), data={
        "panel": f"bed:{bed.id}", "bed": bed.id, "reason": "Not staffed"})  # no "seen"
    assert response.status_code == 409
    assert "cannot tell which version" in page_text(response.get_data(as_text=True))
    assert unit.read("Location", bed.id)["meta"]["versionId"] == before


class FailingPoll(Exception):
    """Stands for anything but the FHIR server going wrong during a poll (a bug, a locked database)."""


@pytest.mark.parametrize("where", ["board", "sign-in check"])
def test_a_poll_that_fails_for_any_reason_leaves_the_board_on_screen(
        bed_unit: Factory, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    unit = bed_unit()
    client = client_of(unit)

    def fail(*_args: object, **_kwargs: object) -> None:
        raise FailingPoll("database is locked")

    if where == "board":
        monkeypatch.setattr("kiosk.beds.views.load_board", fail)
    else:
        monkeypatch.setattr("kiosk.auth.session.load_session", fail)
    for url in ("/beds/board", "/beds/public/board"):
        poll = client.get(url, headers={**htmx(client), "X-Board-Fingerprint": "0" * 32})
        assert poll.status_code == 503 and poll.get_data() == b""
        assert poll.headers["HX-Reswap"] == "none"
        assert poll.headers["X-Poll-Problem"] == "The kiosk could not refresh the board (error 500)."
    # The same failure elsewhere still gets the ordinary error page.
    assert client.get("/beds/", headers={}).status_code == 500


class LosesTransactionAnswers(httpx.BaseTransport):
    """Sends every request to the server; for a transaction the answer is lost on the way back (the
    change is saved, the kiosk cannot know it). With `reads_too`, the answer to the kiosk's re-read
    (a batch) is lost as well."""

    def __init__(self, base_url: str, reads_too: bool = False):
        self.inner = httpx.HTTPTransport()
        self.path = httpx.URL(base_url).path.rstrip("/")
        self.reads_too = reads_too

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method == "POST" and request.url.path.rstrip("/") == self.path and (
                self.reads_too or b'"type": "transaction"' in request.read()):
            response.read()
            response.close()
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response


def discharge_with(unit: BedUnit, transport: httpx.BaseTransport) -> tuple[str, str, Any]:
    """Discharge a patient through the kiosk over `transport`: the answer's HTML, its text, the patient."""
    return discharge_with_status(unit, transport, 200)


def discharge_with_status(unit: BedUnit, transport: httpx.BaseTransport, status: int) -> tuple[str, str, Any]:
    gw = app_gateway(unit.app)
    gw.client = FhirClient(unit.gw.client.base_url, transport=transport)
    client = client_of(unit)
    bed = unit.beds(BedState.OCCUPIED)[0]
    form = client.get(f"/beds/bed/{bed.id}?open=discharge", headers=htmx(client)).get_data(as_text=True)
    response = client.post("/beds/act/discharge", headers=htmx(client, csrf_token(client)), data={
        "panel": f"bed:{bed.id}", "bed": bed.id, "encounter": bed.patient.encounter_id, "disposition": "home",
        "seen": seen_of(form)})
    assert response.status_code == status and response.headers["HX-Trigger"] == "board-changed"
    html = response.get_data(as_text=True)
    return html, page_text(html), bed.patient


def test_a_change_whose_answer_was_lost_shows_the_current_state_and_offers_nothing_to_repeat(
        bed_unit: Factory) -> None:
    unit = bed_unit()
    transport = LosesTransactionAnswers(unit.gw.client.base_url, reads_too=True)
    html, text, patient = discharge_with(unit, transport)
    assert "This may have been saved" in text and "Here is the current state" in text
    assert "could not check what the FHIR server holds now" in text  # the re-read was lost too
    assert "action-form" not in html and 'value="home"' not in html  # nothing kept to send again
    assert "Dirty" in text  # it was saved: the bed as it is now
    assert unit.read("Encounter", patient.encounter_id)["status"] == "finished"
    [write] = audit_rows(unit.app, "fhir-write")
    assert (write.outcome, write.detail) == (
        "unknown", "discharge: no answer from the FHIR server: may have been saved (re-read failed)")


def test_a_lost_answer_is_read_again_and_a_change_found_saved_is_called_saved(bed_unit: Factory) -> None:
    """The kiosk never guesses: after a lost answer it reads back what the change touched, in one
    request, and says what it found."""
    unit = bed_unit()
    html, text, patient = discharge_with(unit, LosesTransactionAnswers(unit.gw.client.base_url))
    assert "Saved" in text and "the kiosk read the records again" in text and "is discharged" in text
    assert "This may have been saved" not in text and "action-form" not in html
    assert unit.read("Encounter", patient.encounter_id)["status"] == "finished"
    [write] = audit_rows(unit.app, "fhir-write")
    assert write.outcome == "success"
    assert write.detail.startswith("discharge: no answer from the FHIR server; read again: written hospital stay "
                                   "(Encounter/")


def test_a_server_that_keeps_part_of_a_change_is_shown_as_it_is(bed_unit: Factory) -> None:
    """A server that breaks transaction atomicity keeps the discharge's first entry (the stay) and fails
    the rest: the panel says exactly that, offers nothing to send again, and the board shows it."""
    unit = bed_unit()
    html, text, patient = discharge_with_status(unit, KeepsTheFirstEntry(unit.gw.client.base_url), 502)
    assert "The FHIR server did not accept it" in text
    assert "Saved on the FHIR server: hospital stay. Not saved:" in text and "a new job" in text
    assert "Nothing was written" not in text and 'value="home"' not in html
    assert unit.read("Encounter", patient.encounter_id)["status"] == "finished"
    [write] = audit_rows(unit.app, "fhir-write")
    assert write.outcome == "failure"
    assert "written hospital stay (Encounter/" in write.detail and "(Location/" in write.detail.split("not written")[1]


def test_a_transfer_from_a_bed_that_is_not_the_patients_is_refused(bed_unit: Factory) -> None:
    unit = bed_unit()
    client = client_of(unit)
    token = csrf_token(client)
    first, second = unit.beds(BedState.OCCUPIED)[:2]
    target = unit.beds(BedState.AVAILABLE, free=True)[0]
    form = client.get(f"/beds/bed/{first.id}?open=transfer", headers=htmx(client)).get_data(as_text=True)
    cases = {
        second.id: f"{first.patient.name} is no longer in bed {second.name}.",  # another patient's bed
        "no-such-bed-0000": f"{first.patient.name} is no longer in that bed.",  # a bed id that is nothing
    }
    for posted, message in cases.items():
        response = client.post("/beds/act/transfer", headers=htmx(client, token), data={
            "panel": f"bed:{first.id}", "bed": posted, "encounter": first.patient.encounter_id, "target": target.id,
            "seen": seen_of(form)})
        assert response.status_code == 409, posted
        assert message in page_text(response.get_data(as_text=True))
    unknown_target = client.post("/beds/act/transfer", headers=htmx(client, token), data={
        "panel": f"bed:{first.id}", "bed": first.id, "encounter": first.patient.encounter_id,
        "target": "no-such-bed-0000", "seen": seen_of(form)})
    assert unknown_target.status_code == 409
    assert "That bed is not on the FHIR server" in page_text(unknown_target.get_data(as_text=True))
    assert unit.read("Location", second.id)["operationalStatus"]["code"] == codes.BED_OCCUPIED
    assert unit.read("Encounter", first.patient.encounter_id)["status"] == "in-progress"


def test_the_armband_data_matrix_opens_the_patient_and_a_patient_elsewhere_is_audited(bed_unit: Factory) -> None:
    from printers.layout import datamatrix_content

    here, there = bed_unit(), bed_unit(with_app=False)
    client = client_of(here)
    token = csrf_token(client)
    bed = here.beds(BedState.OCCUPIED)[0]
    payload = datamatrix_content(bed.patient.mrn, bed.patient.encounter_number)
    found = client.post("/beds/scan", headers=htmx(client, token), data={"code": payload})
    assert found.status_code == 200 and bed.patient.name in page_text(found.get_data(as_text=True))

    other = there.beds(BedState.OCCUPIED)[0]
    elsewhere = client.post("/beds/scan", headers=htmx(client, token), data={
        "code": datamatrix_content(other.patient.mrn, other.patient.encounter_number)})
    assert "is not on Test Unit" in page_text(elsewhere.get_data(as_text=True))
    viewed = [r for r in audit_rows(here.app, "view-patient") if r.patient == f"Patient/{other.patient.patient_id}"]
    assert [(r.entity, r.detail) for r in viewed] == [
        (f"Encounter/{other.patient.encounter_id}", "bed board scan, patient on another unit")]

    unknown = client.post("/beds/scan", headers=htmx(client, token), data={"code": "ZZ-NOT-A-NUMBER"})
    assert "has the MRN or encounter number ZZ-NOT-A-NUMBER" in page_text(unknown.get_data(as_text=True))


def test_an_unknown_bed_opens_a_panel_that_says_so(bed_unit: Factory) -> None:
    unit = bed_unit()
    client = client_of(unit)
    page = client.get("/beds/bed/no-such-bed")
    text = page_text(page.get_data(as_text=True))
    assert page.status_code == 404 and page.get_data(as_text=True).count('class="bed ') == 20
    assert "There is no bed with that id on Test Unit" in text
    fragment = client.get("/beds/bed/no-such-bed", headers=htmx(client))
    assert fragment.status_code == 404 and "There is no bed with that id" in page_text(fragment.get_data(as_text=True))


def test_missing_choices_are_said_next_to_them_without_browser_bubbles(bed_unit: Factory) -> None:
    unit = bed_unit()
    client = client_of(unit)
    bed = unit.beds(BedState.AVAILABLE, free=True)[0]
    form = client.get(f"/beds/bed/{bed.id}?open=block", headers=htmx(client)).get_data(as_text=True)
    assert "novalidate" in form and " required" not in form
    assert f"Why block bed {bed.name}?" in page_text(form)
    assert all(f'value="{r}"' in form for r in ("Not staffed", "Awaiting maintenance", "other"))
    response = client.post("/beds/act/block", headers=htmx(client, csrf_token(client)), data={
        "panel": f"bed:{bed.id}", "bed": bed.id, "reason": "other", "reason_other": " ", "seen": seen_of(form)})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'<p class="field-error"[^>]*>Choose or type why the bed is blocked.</p>', html)
    assert fhir_writes(unit) == []  # a choice still to make is not a change that failed
    chosen = client.post("/beds/act/block", headers=htmx(client, csrf_token(client)), data={
        "panel": f"bed:{bed.id}", "bed": bed.id, "reason": "Not staffed", "seen": seen_of(form)})
    assert chosen.status_code == 200
    assert unit.read("Location", bed.id)["description"] == "Blocked: Not staffed"
    assert fhir_writes(unit) == [("fhir-write", "success")]
    # The trail names the bed, in words written with the row, not by its server id alone.
    trail = page_text(client_of(unit, Role.CHARGE_NURSE).get("/audit/").get_data(as_text=True))
    assert f"Changed a record bed {bed.name} block: wrote {bed.name} (Location/{bed.id})" in trail


def fhir_writes(unit: BedUnit) -> list[tuple[str, str]]:
    """The FHIR writes in the unit's audit trail: (action, outcome), oldest first."""
    assert unit.app is not None
    return [(r.action, r.outcome) for r in reversed(audit_rows(unit.app, "fhir-write"))]


def test_the_public_view_leads_staff_back_to_the_board_but_not_the_corridor_screen(bed_unit: Factory) -> None:
    token = "corridor-screen-0123456789abcdef"
    unit = bed_unit(20, KIOSK_BEDS_PUBLIC_DISPLAY_TOKEN=token)
    client = client_of(unit)
    assert "Back to the bed board" in page_text(client.get("/beds/public").get_data(as_text=True))
    assert "Back to the bed board" in page_text(client.get("/beds/public/board", headers=htmx(client))
                                                .get_data(as_text=True))
    client.get(f"/beds/display/{token}")
    for url in ("/beds/display", "/beds/display/board"):
        assert "Back to the bed board" not in page_text(client.get(url).get_data(as_text=True))


def test_home_and_board_count_every_bed_once_in_the_same_words(bed_unit: Factory) -> None:
    unit = bed_unit()
    client = client_of(unit)
    home = client.get("/").get_data(as_text=True)
    board = client.get("/beds/").get_data(as_text=True)
    words = ["Occupied", "Available", "Reserved", "Dirty / cleaning", "Blocked", "Pending admissions"]
    home_counts = dict((label, int(n)) for n, label in re.findall(
        r'<span class="count-n">(\d+)</span><span class="count-label">([^<]+)</span>', home))
    board_counts = dict((label, int(n)) for n, label in re.findall(
        r'<span class="bc-n">(\d+)</span><span class="bc-l">([^<]+)</span>', board))
    assert list(home_counts) == list(board_counts) == words
    assert home_counts == board_counts
    assert sum(home_counts[w] for w in words[:5]) == 20
    assert len(re.findall(r'<a class="count count-[a-z]+" href="/beds/">', home)) == 6


def test_other_workflows_put_marks_on_the_tiles_and_a_failing_source_never_blanks_the_board(
        bed_unit: Factory) -> None:
    from kiosk.fhir.errors import FhirUnavailable
    from kiosk.nav import BedMark, UnitBeds, add_bed_marks

    unit = bed_unit()
    bed = unit.beds(BedState.OCCUPIED)[0]
    seen: list[UnitBeds] = []

    def transport(beds: UnitBeds) -> dict[str, list[BedMark]]:
        seen.append(beds)
        return {bed.ref: [BedMark("transport", "Transport", urgent=True)]}

    def broken(_beds: UnitBeds) -> dict[str, list[BedMark]]:
        raise FhirUnavailable("The FHIR server did not answer the call-light search.")

    add_bed_marks(unit.app, transport)
    add_bed_marks(unit.app, broken)
    client = client_of(unit)
    html = client.get("/beds/").get_data(as_text=True)
    [tile] = [t for t in html.split("<button") if f'data-bed-id="{bed.id}"' in t]
    assert '<span class="mark mark-transport is-urgent">Transport</span>' in tile
    assert html.count("mark-transport") == 1
    assert "Some marks are missing from the beds: The FHIR server did not answer" in page_text(html)
    assert seen[0].occupants[bed.ref] == (f"Patient/{bed.patient.patient_id}", f"Encounter/{bed.patient.encounter_id}")
    public = client.get("/beds/public").get_data(as_text=True)
    assert "mark-transport" not in public and len(seen) == 1  # the corridor view asks no workflow for marks


def test_a_link_can_open_the_transfer_form_with_its_bed_chosen(bed_unit: Factory) -> None:
    """Other workflows (a transport delivered to a new bed) offer the move in one tap."""
    unit = bed_unit()
    client = client_of(unit)
    source = unit.beds(BedState.OCCUPIED)[0]
    target = unit.beds(BedState.AVAILABLE, free=True)[0]
    html = client.get(f"/beds/bed/{source.id}?open=transfer&target={target.id}", headers=htmx(client)).get_data(
        as_text=True)
    assert re.search(rf'name="target" value="{target.id}"\s+checked', html)
    page = client.get(f"/beds/bed/{source.id}?open=transfer&target={target.id}").get_data(as_text=True)
    assert re.search(rf'name="target" value="{target.id}"\s+checked', page)


def test_an_expired_discharge_takes_a_second_tap_on_its_own_confirm(bed_unit: Factory) -> None:
    unit = bed_unit()
    client = client_of(unit)
    bed = unit.beds(BedState.OCCUPIED)[0]
    patient = bed.patient
    assert patient is not None
    form = client.get(f"/beds/bed/{bed.id}?open=discharge", headers=htmx(client)).get_data(as_text=True)
    data = {"panel": f"bed:{bed.id}", "bed": bed.id, "encounter": patient.encounter_id, "disposition": "exp",
            "seen": seen_of(form)}
    asked = client.post("/beds/act/discharge", headers=htmx(client, csrf_token(client)), data=data)
    html = asked.get_data(as_text=True)
    assert asked.status_code == 422
    assert "Record a death?" in page_text(html) and "Yes, record the death" in page_text(html)
    assert 'name="expired_confirmed" value="yes"' in html and re.search(r'value="exp"\s+checked', html)
    assert unit.read("Encounter", patient.encounter_id)["status"] == "in-progress"  # nothing written
    assert fhir_writes(unit) == []
    done = client.post("/beds/act/discharge", headers=htmx(client, csrf_token(client)),
                       data={**data, "expired_confirmed": "yes"})
    assert done.status_code == 200 and "is discharged (expired)" in page_text(done.get_data(as_text=True))
    enc = unit.read("Encounter", patient.encounter_id)
    assert enc["status"] == "finished"
    assert enc["hospitalization"]["dischargeDisposition"]["coding"][0]["code"] == "exp"


def test_bed_is_clean_and_end_isolation_ask_first(bed_unit: Factory) -> None:
    unit = bed_unit()
    client = client_of(unit)
    dirty = unit.beds(BedState.HOUSEKEEPING)[0]
    panel = client.get(f"/beds/bed/{dirty.id}", headers=htmx(client)).get_data(as_text=True)
    assert '?open=bed-clean"' in panel  # the button opens the question, it changes nothing
    asked = page_text(client.get(f"/beds/bed/{dirty.id}?open=bed-clean", headers=htmx(client)).get_data(as_text=True))
    assert f"Is bed {dirty.name} clean?" in asked and f"Yes, bed {dirty.name} is clean" in asked
    isolated = unit.beds(BedState.ISOLATED)[0]
    asked = page_text(client.get(f"/beds/bed/{isolated.id}?open=end-isolation",
                                 headers=htmx(client)).get_data(as_text=True))
    assert f"End isolation of bed {isolated.name}" in asked
    assert fhir_writes(unit) == []


class GoneAfterTheWrite(httpx.BaseTransport):
    """The real server, which cannot be reached any more once it has answered a transaction: the write
    is done, the board cannot be read again."""

    def __init__(self, base_url: str):
        self.inner = httpx.HTTPTransport()
        self.base = base_url.rstrip("/")
        self.gone = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.gone:
            raise httpx.ConnectError("connection refused", request=request)
        response = self.inner.handle_request(request)
        if request.method == "POST" and str(request.url).rstrip("/") == self.base:
            self.gone = True
        return response


def ways_on(html: str) -> list[str]:
    """The buttons and links of a message panel other than Close."""
    return [page_text(m) for m in re.findall(r'<(?:a|button)[^>]*class="button[^"]*"[^>]*>(.*?)</(?:a|button)>', html)
            if page_text(m) != "Close"]


def test_every_message_panel_offers_a_way_on(bed_unit: Factory) -> None:
    unit = bed_unit()
    client = client_of(unit)
    token = csrf_token(client)
    answers = [
        client.get("/beds/bed/no-such-bed", headers=htmx(client)),
        client.get("/beds/encounter/no-such-stay", headers=htmx(client)),
        client.post("/beds/scan", headers=htmx(client, token), data={"code": "<script>"}),
        client.post("/beds/scan", headers=htmx(client, token), data={"code": "99999999"}),
        client.post("/beds/act/discharge", headers=htmx(client, token), data={"bed": "x"}),
    ]
    for answer in answers:
        html = answer.get_data(as_text=True)
        assert "data-panel-message" in html
        assert "Show the board" in ways_on(html) and 'href="/beds/"' in html

    # Saved, but the board cannot be read again: back to the bed it was about, as well as the board.
    gw = app_gateway(unit.app)
    transport = GoneAfterTheWrite(unit.gw.client.base_url)
    gw.client = FhirClient(unit.gw.client.base_url, transport=transport, read_retries=0)
    bed = unit.beds(BedState.OCCUPIED)[0]
    form = client.get(f"/beds/bed/{bed.id}?open=discharge", headers=htmx(client)).get_data(as_text=True)
    response = client.post("/beds/act/discharge", headers=htmx(client, token), data={
        "panel": f"bed:{bed.id}", "bed": bed.id, "encounter": bed.patient.encounter_id, "disposition": "home",
        "seen": seen_of(form)})
    html = response.get_data(as_text=True)
    assert transport.gone and "could not be read again" in page_text(html)
    assert ways_on(html) == ["Back to the bed", "Show the board"]
    assert f'hx-get="/beds/bed/{bed.id}"' in html


def test_find_a_patient_by_name_or_date_of_birth_here_and_on_other_units(
        bed_unit: Factory, caplog: pytest.LogCaptureFixture) -> None:
    here, there = bed_unit(), bed_unit(with_app=False)
    family = "Quist" + "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:8])
    _, ours = add_pending_patient(here, family, ["Jana"])
    _, theirs = add_pending_patient(there, family, ["Joel"])
    add_pending_patient(here, family, ["Maria"])  # another initial: not listed
    client = client_of(here)
    token = csrf_token(client)
    caplog.set_level(logging.DEBUG)
    response = client.post("/beds/scan", headers=htmx(client, token), data={"code": f"{family.upper()}, j"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = page_text(html)
    assert f"{family.upper()}, Jana" in text and f"{family.upper()}, Joel" in text and "Maria" not in text
    assert f'hx-get="/beds/encounter/{ours}"' in html  # on this unit: opens the panel
    assert f"/beds/encounter/{theirs}" not in html  # on another unit: says where
    assert f"not on {here.board().unit_name}: planned for {there.board().unit_name}" in text
    assert response.headers["X-FHIR-Requests"] in ("1", "2")  # the search (and the server's statement once)
    rows = [r for r in audit_rows(here.app, "view-patient") if r.detail and "find by name" in r.detail]
    assert {r.entity for r in rows} == {f"Encounter/{ours}", f"Encounter/{theirs}"}
    assert any("another unit" in (r.detail or "") for r in rows)

    by_birth = client.post("/beds/scan", headers=htmx(client, token), data={"code": "02/03/1961"})
    assert f"{family.upper()}, Jana" in page_text(by_birth.get_data(as_text=True))
    assert f"{family.upper()}, Maria" in page_text(by_birth.get_data(as_text=True))
    assert "born 03 Feb 1961" in page_text(by_birth.get_data(as_text=True))

    nobody = client.post("/beds/scan", headers=htmx(client, token), data={"code": f"{family}x, J"})
    assert "No patient found" in page_text(nobody.get_data(as_text=True))
    assert "Show the board" in nobody.get_data(as_text=True)
    assert family.lower() not in caplog.text.lower() and "1961" not in caplog.text
    assert client.get("/beds/scan").status_code == 405


def test_a_patient_on_this_unit_is_found_whatever_the_number_of_namesakes_elsewhere(bed_unit: Factory) -> None:
    """A common name on a big hospital: more open stays of that name on other units than the server lists
    on one page (NAME_MATCHES). The patient on this unit is found all the same (from the board itself),
    listed first, and the list says there are more; typed without accents and in any case."""
    here, there = bed_unit(), bed_unit(with_app=False)
    family = "Núñez" + "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:8])
    for n in range(NAME_MATCHES + 3):  # older than ours: a server lists them first
        add_pending_patient(there, family, [f"Rosa{chr(ord('a') + n % 26)}"])
    _, ours = add_pending_patient(here, family, ["Rafael"])
    client = client_of(here)
    response = client.post("/beds/scan", headers=htmx(client, csrf_token(client)),
                           data={"code": f"{folded(family).upper()}, r"})
    html = response.get_data(as_text=True)
    found_here = re.search(r'<ul class="panel-list found-here">(.*?)</ul>', html, re.S)
    assert found_here is not None, page_text(html)[:500]
    assert f"{family.upper()}, Rafael" in page_text(found_here.group(1))
    assert f'hx-get="/beds/encounter/{ours}"' in found_here.group(1)
    assert "There are more: type more of the family name" in page_text(html)
    assert page_text(html).count(f"not on {here.board().unit_name}") == NAME_MATCHES


def test_a_family_name_with_a_period_is_found_as_the_board_shows_it(bed_unit: Factory) -> None:
    """'St. Pierre' is on the board as 'ST. PIERRE, Jean-Luc': typed that way, it finds him (it was "Scan
    not read": the period was not taken as part of a name)."""
    unit = bed_unit()
    family = "St. Qu" + "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:8])
    _, stay = add_pending_patient(unit, family, ["Jean-Luc"])
    client = client_of(unit)
    response = client.post("/beds/scan", headers=htmx(client, csrf_token(client)),
                           data={"code": f"{family.upper()}, J"})
    assert response.status_code == 200
    assert f"{family.upper()}, Jean-Luc" in page_text(response.get_data(as_text=True))
    assert f'hx-get="/beds/encounter/{stay}"' in response.get_data(as_text=True)
