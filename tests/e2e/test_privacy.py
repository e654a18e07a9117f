"""A full browser session over the demo data with logging at DEBUG: no patient name or MRN may appear
in any log line (the HTTP libraries log full URLs; exception messages may carry data)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from kiosk.auth import Role
from kiosk.config import Settings
from kiosk.db import Database
from kiosk.demo.extras import DemoContext
from kiosk.demo.orders import seed as seed_orders
from kiosk.demo.people import PATIENT_NAMES
from kiosk.demo.transport import seed as seed_transport
from kiosk.fhir.census import unit_census
from kiosk.fhir.gateway import FhirGateway
from kiosk.fhir.patients import parse_name_query
from kiosk.fhir.records import PatientRecord
from kiosk.placement import Admission, admission_transaction
from tests.support.auth import sign_in
from tests.support.browser import LiveServer
from tests.support.paging import load_roles
from tests.support.scanner import scan

#: The station's whiteboard screen and the corridor's board, set up once with their tokens (no sign-in).
STATION_TOKEN = "privacy-station-whiteboard-0123456789"
CORRIDOR_TOKEN = "privacy-corridor-board-0123456789abc"


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def debug_server(make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[LiveServer,
                                                                                                    Collect]]:
    monkeypatch.setenv("KIOSK_LOG_LEVEL", "DEBUG")
    app = make_app(KIOSK_WHITEBOARD_DISPLAY_TOKEN=STATION_TOKEN, KIOSK_BEDS_PUBLIC_DISPLAY_TOKEN=CORRIDOR_TOKEN)
    collect = Collect()
    collect.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(collect)
    server = LiveServer(app).start()
    yield server, collect
    server.stop()
    root.removeHandler(collect)
    root.setLevel(logging.INFO)


def patient_data(gw: FhirGateway) -> set[str]:
    """Names, MRNs, encounter numbers and birth dates (as stored and as shown) of the demo unit."""
    census = unit_census(gw)
    values: set[str] = set()
    for p in census.patients.values():
        values |= {p.name.family, p.name.last_first, p.mrn or ""}
        values |= {g for g in p.name.given if len(g) > 3}
        if p.birth_date:
            values |= {p.birth_date.isoformat(), p.birth_date.strftime("%d %b %Y")}
    values |= {e.number for e in census.encounters if e.number}
    return {v.lower() for v in values if v and len(v) > 3}


def test_no_patient_data_in_debug_logs(debug_server: tuple[LiveServer, Collect], gateway: FhirGateway,
                                       demo_settings: Settings, page: Page, browser: Browser) -> None:
    """Every workflow, looked at the way staff use it, with the log at DEBUG; only looking (the demo unit
    is shared with other tests), after the demo's own transport jobs are seeded as `make run` does."""
    server, collect = debug_server
    # A bed request for the unit, its stay not yet planned on the unit (the shared demo unit's counts stay).
    asked = Admission(number="PL-0PR1VACY", mrn="31415926", encounter_number="271828182", family="Quintavalle",
                      given=("Ottoline",), gender="female", birth_date="1957-06-21", origin="ed",
                      needs=("isolation-droplet",), requester="ED charge nurse")
    gateway.client.transaction(admission_transaction(asked, f"Location/{gateway.unit_location_id()}",
                                                     gateway.identifiers, datetime.now(UTC)))
    secrets = patient_data(gateway) | {"quintavalle", "ottoline", asked.mrn, asked.encounter_number, "1957-06-21"}
    assert len(secrets) > 100
    census = unit_census(gateway)
    # One of the demo's own patients: other tests on this shared server admit patients whose names are not
    # typed in a find field ("O'Néill-<b>Smith</b> & Sons^~ ...").
    demo_families = {family for family, _given, _sex in PATIENT_NAMES}

    def typeable(person: PatientRecord) -> bool:
        """A demo family name, and a first given name whose initial can be typed after it ("SMITH, J")."""
        return (person.name.family in demo_families and bool(person.name.given) and person.birth_date is not None
                and parse_name_query(f"{person.name.family}, {person.name.given[0][0]}") is not None)

    occupied = next(e for e in census.encounters if e.status == "in-progress" and e.patient
                    and typeable(census.patients[e.patient]))
    patient = census.patients[occupied.patient]
    assert patient.mrn

    # The demo's transport jobs (`make run` seeds them too): names on every transport screen.
    database = Database(demo_settings.database_url)
    seed_transport(DemoContext(demo_settings, gateway, database, lambda _line: None))
    seed_orders(DemoContext(demo_settings, gateway, database, lambda _line: None))
    database.dispose()
    sign_in(page, server.url, Role.CHARGE_NURSE)
    expect(page.locator(".unit-name")).to_be_visible()
    # The bed board, a patient's panel, and an armband scan.
    page.goto(server.url + "/beds/")
    expect(page.locator(".bed").first).to_be_visible()
    page.locator(".bed.bed-occupied").first.tap()
    expect(page.locator("#panel .panel-title")).to_be_visible()
    # The panel's discharge milestones: one ticked (kept with who and when, audited).
    page.locator("#panel .discharge-section .dm-button").first.tap()
    expect(page.locator("#panel .discharge-section")).to_contain_text("Ticked by")
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    scan(page, patient.mrn)  # an armband scanned, nothing focused
    expect(page.locator("#panel")).to_contain_text(patient.mrn)
    # The panel's sections (care team, readiness, discharge milestones, housekeeping) load after it: let them
    # finish, so that the next page does not find the process's FHIR slots still taken by them ("the FHIR
    # server is slow").
    page.wait_for_load_state("networkidle")
    # A patient found by family name and initial, then by date of birth, typed in the board's find field.
    for typed in (f"{patient.name.family}, {patient.name.given[0][0]}", f"{patient.birth_date:%Y-%m-%d}"):
        # The field is emptied once the last search's answer is in (kiosk/static/js/beds.js): typed before
        # that, the search would be emptied too and sent blank.
        expect(page.locator("#scan-code")).to_have_value("")
        page.locator("#scan-code").fill(typed)
        page.locator("#scan-form button[type=submit]").tap()
        expect(page.locator("#panel .panel-title")).to_have_text("Patients found")
    # Labels: the patient's page with its verified preview, and a search by MRN.
    page.goto(f"{server.url}/labels/patients/{patient.id}/encounters/{occupied.id}")
    expect(page.locator(".patient-more")).to_contain_text(patient.mrn)
    page.goto(server.url + "/labels/queue")
    page.locator(".find-input").tap()
    page.keyboard.type(patient.mrn, delay=60)
    page.locator(".find-form button[type=submit]").tap()
    expect(page.locator(".patient-more")).to_contain_text(patient.mrn)
    # Paging: a page about the patient (its compose screen, sent to a pager whose server is down, so it
    # waits in the outbox), the pages screen, an acknowledgement link nobody signed; call lights and figures.
    load_roles(gateway, demo_settings)
    page.goto(f"{server.url}/paging/patients/{patient.id}/encounters/{occupied.id}")
    page.locator(".recipient").first.tap()
    page.locator(".template-choice", has_text="Patient question").tap()
    # Send what the screen shows: the preview redrawn for the template (a tap on Send before it is redrawn is
    # refused as "the message changed since it was shown", rightly).
    expect(page.locator("[data-preview]")).to_contain_text("Question about the patient.")
    page.locator(".send-button").tap()
    expect(page.locator(".page-card").first).to_be_visible()
    page.goto(server.url + "/paging/a/000000000000-0.AAAAAAAAAAAA")
    page.goto(server.url + "/calls/")
    page.locator(".bed-choice").first.tap()
    page.locator(".reason-button", has_text="Pain").tap()
    expect(page.locator(".call-card").first).to_be_visible()
    page.goto(server.url + "/calls/figures")
    # The whiteboard, the shift's assignments, a patient's care team, room readiness and a bed's checklist.
    page.goto(server.url + "/whiteboard/")
    expect(page.locator(".whiteboard")).to_be_visible()
    page.goto(server.url + "/whiteboard/assign")
    expect(page.locator(".assign-bed").first).to_be_visible()
    page.goto(f"{server.url}/whiteboard/care-team/{occupied.id}")
    expect(page.locator(".care-team")).to_be_visible()
    page.goto(server.url + "/readiness/")
    page.locator(".readiness-bed").first.tap()
    expect(page.locator("#checklist")).to_be_visible()
    # The station's whiteboard screen and the corridor's board: set up with their tokens, no one signed in,
    # each drawn and then polled once.
    wall = browser.new_context(viewport={"width": 1920, "height": 1080})
    try:
        station = wall.new_page()
        station.goto(f"{server.url}/whiteboard/display/{STATION_TOKEN}")
        expect(station.locator(".whiteboard")).to_be_visible()
        assert station.request.get(server.url + "/whiteboard/display/board").status == 200
        station.goto(f"{server.url}/beds/display/{CORRIDOR_TOKEN}")
        expect(station.locator(".public-rooms")).to_be_visible()
        assert station.request.get(server.url + "/beds/display/board").status == 200
    finally:
        wall.close()
    # Transport: the demo's jobs on the board, the phone list, a request form, the figures.
    page.goto(server.url + "/transport/")
    expect(page.locator(".job-row").first).to_be_visible()
    page.locator(".job-row").get_by_role("button", name="Cancel…").first.tap()  # the desk's cancel sheet
    expect(page.locator("#job-sheet .sheet-title")).to_have_text("Cancel the job")
    page.locator("#job-sheet").get_by_role("button", name="Close").tap()
    page.goto(server.url + "/transport/jobs")
    expect(page.locator(".job-card").first).to_be_visible()
    # A transporter's action sheets on a phone: a pickup with an armband scanned (this patient's MRN: not the
    # job's patient, refused; or the job's, then the date of birth is asked; nothing written either way), a
    # delay with a reason typed, a cancel.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    try:
        mobile = phone.new_page()
        sign_in(mobile, server.url, Role.TRANSPORTER)
        mobile.goto(server.url + "/transport/jobs")
        mine = mobile.locator("section[aria-label='My jobs'] .job-card")
        mine.get_by_role("button", name="Picked up…").first.tap()
        mobile.locator("#scan-code").tap()
        mobile.keyboard.type(patient.mrn, delay=20)
        mobile.keyboard.press("Enter")
        expect(mobile.locator("#job-sheet .field-error").first).to_be_visible()
        mobile.locator("#job-sheet").get_by_role("button", name="Close").tap()
        mine.get_by_role("button", name="Delayed…").first.tap()
        mobile.locator("#job-sheet label.choice", has_text=re.compile(r"^Other$")).tap()
        mobile.locator("#reason-other").fill(f"waiting for {patient.name.family}")
        mobile.locator("#job-sheet").get_by_role("button", name="Close").tap()
        mine.get_by_role("button", name="Cancel…").first.tap()
        expect(mobile.locator("#job-sheet .sheet-title")).to_have_text("Cancel the job")
        mobile.locator("#job-sheet").get_by_role("button", name="Close").tap()
        expect(mobile.locator("#job-sheet .sheet-title")).to_have_count(0)
    finally:
        phone.close()
    page.goto(f"{server.url}/transport/request/{patient.id}/{occupied.id}")
    expect(page.locator(".patient-title")).to_be_visible()
    page.locator("label.choice", has_text="Imaging (Radiology)").tap()
    page.locator("button.request-submit").tap()  # refused: nothing chosen for the mode; the form comes back
    expect(page.locator(".field-error").first).to_be_visible()
    page.goto(server.url + "/transport/figures")
    expect(page.locator(".figures-table").first).to_be_visible()
    # Orders: the patient's orders, the order form with a catalog search and its read-back (not sent), the
    # unit's co-signatures, and an armband scan that opens a patient's orders.
    page.goto(f"{server.url}/orders/patients/{patient.id}/encounters/{occupied.id}")
    expect(page.locator(".patient-title")).to_be_visible()
    page.goto(f"{server.url}/orders/patients/{patient.id}/encounters/{occupied.id}/new")
    page.locator("#catalog-q").tap()
    page.keyboard.type("troponin", delay=40)
    page.locator("#catalog-results label.choice").first.tap()
    page.locator("label.choice", has_text="Telephone").tap()
    page.locator(".order-submit").tap()
    expect(page.locator("#read-back")).to_contain_text(patient.mrn)
    page.goto(server.url + "/orders/cosign")
    expect(page.locator(".order-row").first).to_be_visible()
    page.goto(server.url + "/orders/scan")
    page.locator("#code").tap()
    page.keyboard.type(patient.mrn, delay=40)
    page.locator(".scan-form button[type=submit]").tap()
    expect(page.locator(".patient-title")).to_be_visible()
    # Housekeeping: the desk's list of cleaning jobs, the phone list, the figures, the home panel, a
    # dirty bed's panel section.
    page.goto(server.url + "/housekeeping/")
    expect(page.locator(".hk-card").first).to_be_visible()
    page.goto(server.url + "/housekeeping/jobs")
    expect(page.locator(".hk-card").first).to_be_visible()
    page.goto(server.url + "/housekeeping/figures")
    expect(page.locator(".hk-table").first).to_be_visible()
    page.goto(server.url + "/housekeeping/home")
    dirty = next(b for b in census.beds if b.operational_status == "H")
    page.goto(f"{server.url}/housekeeping/section/{dirty.id}")
    expect(page.locator(".hk-section-panel")).to_be_visible()
    # Bed placement: the charge nurse's list, a request's beds that fit, its status page, the home panel.
    page.goto(server.url + "/placement/")
    expect(page.locator(".placement-card").first).to_be_visible()
    page.locator(".placement-card a", has_text="Assign bed").first.tap()
    expect(page.locator(".placement-one")).to_be_visible()
    page.goto(server.url + "/placement/")
    page.locator(".placement-card a", has_text="Status page").first.tap()
    expect(page.locator(".placement-big")).to_be_visible()
    page.goto(server.url + "/placement/home")
    # The hospital view: every ward's counts (no patient is named), its polled cards, the home panel.
    page.goto(server.url + "/hospital/")
    expect(page.locator(".hosp-card.hosp-own")).to_be_visible()
    page.goto(server.url + "/hospital/units")
    page.goto(server.url + "/hospital/home")
    # The unit's census sheet (the downtime PDF: every patient's name and MRN, none of them in a log).
    sheet = page.request.get(server.url + "/beds/census-sheet.pdf")
    assert sheet.status == 200 and sheet.body().startswith(b"%PDF")
    # Supplies, the audit trail searched by MRN, and a page that does not exist.
    page.goto(server.url + "/supplies/")
    expect(page.locator(".location-tile").first).to_be_visible()
    page.goto(server.url + "/audit/")
    page.fill("#mrn", patient.mrn)
    page.locator("button", has_text="Search").tap()
    expect(page.locator("#audit-results")).to_contain_text("record")
    page.goto(server.url + "/no-such-page")

    assert logging.getLogger().level == logging.DEBUG
    assert any("werkzeug" in line for line in collect.lines)  # the capture works: requests were logged
    assert len(collect.lines) > 30
    leaks = [(secret, line) for line in collect.lines for secret in secrets if secret in line.lower()]
    assert leaks == []
