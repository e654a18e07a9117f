"""Orders in real Chromium with touch at 1280x800: a unit secretary enters a telephone lab order from the
bed board with its read-back and prints its specimen label; a provider signs two orders at once; the unit
sees an order its provider disagreed with and marks it seen.
Screenshots of every orders screen land in tests/artifacts/screenshots/."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from kiosk.auth import Role
from kiosk.extensions import database
from kiosk.extensions import settings as settings_of_app
from kiosk.fhir.census import unit_census
from kiosk.fhir.gateway import FhirGateway, UnitRef
from kiosk.fhir.orders import Systems, staff_reference
from kiosk.orders import OrderSpec, order_transaction
from kiosk.orders.jobs import count_cosignatures
from kiosk.orders.settings import ORDERS_FILE
from kiosk.scheduler.context import JobContext
from kiosk.settings_files import settings_of
from tests.support import labels as printing
from tests.support.auth import sign_in
from tests.support.beds import app_gateway, unit_env, unit_gateway, vendor_statement
from tests.support.browser import LiveServer, laid_out_box, save_screenshot
from tests.support.labels import PrinterFiles, RawPrinter
from tests.support.orders import ACCESSION_SYSTEM, ORDER_SYSTEM, own_provider
from tests.support.scanner import scan

zebra_port = printing.zebra_port
printer_files = printing.printer_files


@pytest.fixture
def served(gateway: FhirGateway, make_unit: Callable[..., UnitRef], make_app: Callable[..., Flask],
           printer_files: PrinterFiles) -> Iterator[tuple[UnitRef, FhirGateway, Flask, LiveServer]]:
    ref = make_unit(10)
    app = make_app(**unit_env(ref))
    server = LiveServer(app).start()
    yield ref, unit_gateway(gateway, ref), app, server
    server.stop()


def _min_size(page: Page, selector: str) -> float:
    box = laid_out_box(page.locator(selector).first)
    return min(box["width"], box["height"])


def test_a_secretary_enters_a_telephone_lab_order_and_prints_its_label_and_a_provider_signs_two(
        page: Page, browser: Browser, served: tuple[UnitRef, FhirGateway, Flask, LiveServer],
        zebra_port: int) -> None:
    ref, gw, app, server = served
    census = unit_census(gw, ref)
    stays = [e for e in census.encounters if e.status == "in-progress" and e.patient]
    stay = stays[0]
    bed = next(loc.location for loc in stay.locations if loc.status == "active")
    patient = census.patients[stay.patient or ""]

    # The unit secretary opens the patient on the bed board, then their orders.
    sign_in(page, server.url, Role.UNIT_SECRETARY)
    page.goto(server.url + "/beds/")
    page.locator(f".bed[data-bed-id='{bed.split('/')[1]}']").tap()
    page.locator("#panel .patient-links a", has_text=re.compile(r"^Orders$")).tap()
    expect(page.locator(".patient-title")).to_have_text(patient.name.last_first)
    save_screenshot(page, "orders-patient-empty")
    page.locator("a.button", has_text="New order").tap()
    page.locator("#catalog-q").tap()
    page.keyboard.type("morphine", delay=40)
    expect(page.locator(".medication-line")).to_contain_text("belong to pharmacy and nursing in the EHR")
    page.locator("#catalog-q").fill("")
    page.locator("#catalog-q").tap()
    page.keyboard.type("cbc", delay=40)
    page.locator("#catalog-results label.choice", has_text="CBC with differential").tap()
    page.locator("label.choice", has_text="Telephone").tap()
    others = [o for o in page.locator(".provider-select option").all_inner_texts() if o and "Adeyemi" not in o
              and o != "Choose the provider"]
    page.locator(".provider-select").select_option(label=others[0])
    page.locator("label.choice", has_text="Stat").tap()
    page.locator("#reason").tap()
    page.keyboard.type("Fever", delay=20)
    page.locator(".osk").get_by_role("button", name="Done").tap()  # the tap opened the on-screen keyboard
    save_screenshot(page, "orders-new")
    for target in ("label.choice", ".order-submit", ".provider-select", "#catalog-q"):
        assert _min_size(page, target) >= 48, target
    page.locator(".order-submit").tap()

    # The read-back: one sentence, and the explicit confirmation for a telephone order.
    sentence = page.locator("#read-back")
    expect(sentence).to_contain_text("CBC with differential, stat, now, blood, lavender top (EDTA), for ")
    expect(sentence).to_contain_text(f"MRN {patient.mrn}, ordered by telephone by Dr. ")
    save_screenshot(page, "orders-read-back")
    page.locator("button", has_text="Send the order").tap()
    expect(page.locator(".read-back-confirm .field-error")).to_contain_text("Read the order back to Dr.")
    page.locator(".read-back-confirm label.choice").tap()
    page.locator("button", has_text="Send the order").tap()
    expect(page.locator(".notice-ok")).to_contain_text("is asked to co-sign it within 24 hours")
    save_screenshot(page, "orders-sent")

    # Its specimen label, filled in from the order.
    page.locator("a.button", has_text="The patient's orders").tap()
    expect(page.locator(".order-group-cosign .order-row")).to_have_count(1)
    save_screenshot(page, "orders-patient")
    zebra = RawPrinter(zebra_port).start()
    try:
        page.locator("button", has_text="Print specimen label").tap()
        expect(page.locator("#container")).to_have_value("Lavender top (EDTA)")
        save_screenshot(page, "orders-specimen-label")
        page.locator(".confirm-box").tap()
        page.locator(".print-button").tap()
        expect(page.locator(".job-status-big")).to_have_text("Printed")
        assert len(zebra.jobs()) == 1
    finally:
        zebra.stop()
    page.goto(f"{server.url}/orders/patients/{patient.id}/encounters/{stay.id}")
    expect(page.locator(".labels-printed")).to_contain_text("Labels printed")
    save_screenshot(page, "orders-patient-labels-printed")

    # Two more orders given by the provider (a Practitioner of this test's own), who signs both at once.
    with app.app_context():
        settings = settings_of(ORDERS_FILE)
    sys = Systems(gw.identifiers.code_systems, ORDER_SYSTEM, ACCESSION_SYSTEM)
    provider = own_provider(gw, app)
    now = datetime.now(UTC).replace(microsecond=0)
    for n, (code, hours) in enumerate((("51990-0", 30), ("xr-chest-portable", 2))):
        item = settings.catalog.item(code)
        assert item is not None
        gw.client.transaction(order_transaction(OrderSpec(
            number=f"OR-E2E{n:06X}{now.strftime('%S')}", patient=stays[-1].patient or "", encounter=stays[-1].reference,
            unit_id=census.unit.id, item=item, provider=provider, provider_name="Dr. Adeyemi", hours_ago=hours),
            sys, now, staff_reference(sys, "100001", "Dana Reyes", None)))
    with app.app_context():
        line = count_cosignatures(JobContext(settings=settings_of_app(), database=database(), gateway=gw,
                                             log=logging.getLogger("test"), clock=lambda: datetime.now(UTC)))
    assert line == "3 co-signatures awaiting, 1 past due, 0 disagreements not yet seen", line
    page.goto(server.url + "/")
    expect(page.locator(".orders-alert")).to_contain_text("3 orders awaiting co-signature, 1 past due")
    save_screenshot(page, "orders-home-panel")
    page.locator(".orders-alert").tap()
    expect(page.locator(".order-row")).to_have_count(3)
    expect(page.locator(".order-row.due-red")).to_have_count(1)
    save_screenshot(page, "orders-cosign-unit")

    desk = browser.new_context(viewport={"width": 1280, "height": 800}, has_touch=True, locale="en-US",
                               timezone_id="UTC")
    doctor = desk.new_page()
    try:
        sign_in(doctor, server.url, Role.PROVIDER)
        doctor.goto(server.url + "/orders/cosign")
        expect(doctor.locator(".cosign-bar")).to_contain_text("2 of these are yours to co-sign")
        save_screenshot(doctor, "orders-cosign-provider")
        picks = doctor.locator(".cosign-pick")
        expect(picks).to_have_count(2)
        assert _min_size(doctor, ".cosign-pick") >= 48
        picks.nth(0).tap()
        picks.nth(1).tap()
        doctor.locator("button", has_text="Sign selected").tap()
        expect(doctor.locator(".notice-ok")).to_contain_text("2 orders co-signed.")
        expect(doctor.locator(".cosign-bar")).to_contain_text("Nothing waits for your co-signature")
        save_screenshot(doctor, "orders-cosign-signed")
    finally:
        desk.close()
    # An armband scanned on the scan page opens the patient's orders.
    page.goto(server.url + "/orders/scan")
    save_screenshot(page, "orders-scan")
    scan(page, patient.mrn or "")
    expect(page.locator(".patient-title")).to_have_text(patient.name.last_first)
    expect(page.locator(".order-group-cosign .order-row")).to_have_count(1)


def test_the_duplicate_check_a_kept_form_and_other_servers_look_right(
        page: Page, served: tuple[UnitRef, FhirGateway, Flask, LiveServer]) -> None:
    ref, gw, app, server = served
    census = unit_census(gw, ref)
    stay = next(e for e in census.encounters if e.status == "in-progress" and e.patient)
    base = f"{server.url}/orders/patients/{(stay.patient or '/').split('/')[1]}/encounters/{stay.id}"
    sign_in(page, server.url, Role.CHARGE_NURSE)
    for n in range(2):
        page.goto(base + "/new")
        page.locator("label.choice", has_text="Basic metabolic panel").tap()
        page.locator("label.choice", has_text="Written").tap()
        page.locator(".order-submit").tap()
        expect(page.locator("#read-back")).to_contain_text("ordered in writing by Dr. ")
        if n == 1:
            expect(page.locator(".notice-warning")).to_contain_text("The same order is active")
            page.locator("button", has_text="Send the order").tap()
            expect(page.locator("#duplicate_reason-error")).to_be_visible()
            save_screenshot(page, "orders-duplicate")
            page.locator("label.choice", has_text="Order anyway").tap()
            page.locator("#duplicate_reason").tap()
            page.keyboard.type("Repeat after transfusion", delay=10)
        page.locator("button", has_text="Send the order").tap()
        expect(page.locator(".notice-ok")).to_contain_text("Basic metabolic panel is ordered.")

    # An imaging order without its details comes back with what was typed, and the message by the field.
    page.goto(base + "/new")
    page.locator("#catalog-q").tap()
    page.keyboard.type("chest", delay=20)
    page.locator("#catalog-results label.choice", has_text="Chest X-ray, portable").tap()
    page.locator("label.choice", has_text="Per protocol").tap()
    page.locator("#note").tap()
    page.keyboard.type("Portable at the bedside", delay=10)
    page.locator(".order-submit").tap()
    expect(page.locator("#d_reason-error")).to_contain_text("Reason for the study: needed for imaging orders")
    expect(page.locator("#note")).to_have_value("Portable at the bedside")
    save_screenshot(page, "orders-form-error")

    app_gateway(app).capabilities_cache.set(vendor_statement("epic"))
    page.goto(base + "/new")
    expect(page.locator(".notice-info")).to_contain_text("the provider co-signs it in the EHR")
    save_screenshot(page, "orders-new-epic")
    app_gateway(app).capabilities_cache.set(vendor_statement("oracle"))
    page.goto(base)
    expect(page.locator(".notice-warning")).to_contain_text("Oracle Health does not allow creating ServiceRequest")
    expect(page.locator(".order-row")).to_have_count(2)
    save_screenshot(page, "orders-patient-oracle")


def test_the_unit_sees_an_order_its_provider_disagreed_with_and_marks_it_seen(
        page: Page, served: tuple[UnitRef, FhirGateway, Flask, LiveServer]) -> None:
    ref, gw, app, server = served
    census = unit_census(gw, ref)
    stay = next(e for e in census.encounters if e.status == "in-progress" and e.patient)
    with app.app_context():
        settings = settings_of(ORDERS_FILE)
    sys = Systems(gw.identifiers.code_systems, ORDER_SYSTEM, ACCESSION_SYSTEM)
    provider = own_provider(gw, app)
    item = settings.catalog.item("us-doppler-legs")
    assert item is not None
    now = datetime.now(UTC).replace(microsecond=0)
    # One entered on this unit, and one entered on another unit before the patient came here.
    for unit_id, hours_ago in ((census.unit.id, 2), ("another-unit-" + uuid.uuid4().hex[:8], 3)):
        gw.client.transaction(order_transaction(OrderSpec(
            number=f"OR-{uuid.uuid4().hex[:10].upper()}", patient=stay.patient or "", encounter=stay.reference,
            unit_id=unit_id, item=item, provider=provider, provider_name="Dr. Adeyemi", state="disagreed",
            hours_ago=hours_ago), sys, now, staff_reference(sys, "100001", "Dana Reyes", None)))
    with app.app_context():
        line = count_cosignatures(JobContext(settings=settings_of_app(), database=database(), gateway=gw,
                                             log=logging.getLogger("test"), clock=lambda: datetime.now(UTC)))
    assert line.endswith(", 2 disagreements not yet seen"), line

    sign_in(page, server.url, Role.UNIT_SECRETARY)
    page.goto(server.url + "/")
    alert = page.locator(".orders-alert", has_text="revoked")
    expect(alert).to_contain_text("2 orders were revoked: the provider disagreed. Tell the nurse.")
    save_screenshot(page, "orders-home-disagreement")
    alert.tap()
    rows = page.locator(".order-row.disagreement.is-unseen")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="Dr. Adeyemi disagrees: Not what I asked for: call me to clarify")).to_have_count(2)
    expect(rows.filter(has_text="Entered on another unit; the patient is on this unit now.")).to_have_count(1)
    assert _min_size(page, ".disagreement button") >= 48
    save_screenshot(page, "orders-disagreement")
    for _ in range(2):
        page.locator(".order-row.disagreement.is-unseen").first.locator("button", has_text="Seen, nurse told").tap()
        expect(page.locator(".notice-ok")).to_contain_text("Marked seen")
    expect(page.locator(".disagreement .seen-by")).to_have_count(2)
    save_screenshot(page, "orders-disagreement-seen")
    page.goto(server.url + "/")
    expect(page.locator(".orders-alert", has_text="revoked")).to_have_count(0)
