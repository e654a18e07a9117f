"""Armbands and labels in real Chromium with touch, at 1280x800: preview, confirm, print, queue."""

from __future__ import annotations

import time

from flask import Flask
from playwright.sync_api import Page, expect

from kiosk.auth import Role
from kiosk.fhir.gateway import FhirGateway
from kiosk.labels.jobs import retry_print_queue
from tests.support import labels as printing
from tests.support.auth import sign_in
from tests.support.browser import LiveServer, save_screenshot
from tests.support.labels import PrinterFiles, RawPrinter, demo_inpatient, job_context

zebra_port = printing.zebra_port
printer_files = printing.printer_files


def _min_size(page: Page, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None
    return min(box["width"], box["height"])


def test_preview_confirm_and_print_an_armband_with_touch(page: Page, live_server: LiveServer, app: Flask,
                                                         gateway: FhirGateway, printer_files: PrinterFiles,
                                                         zebra_port: int) -> None:
    zebra = RawPrinter(zebra_port).start()
    try:
        stay = demo_inpatient(gateway, with_allergy=True)
        sign_in(page, live_server.url, Role.UNIT_SECRETARY)
        page.goto(f"{live_server.url}/labels/patients/{stay.patient_id}/encounters/{stay.encounter_id}")
        preview = page.locator(".preview-image")
        expect(preview).to_be_visible()
        assert preview.evaluate("img => img.complete && img.naturalWidth > 1000")
        expect(page.locator(".checked")).to_contain_text(stay.encounter_number)
        save_screenshot(page, "labels-armband-preview")
        for target in (".label-type", ".confirm-box", ".print-button", "#printer_id", "#copies"):
            assert _min_size(page, target) >= 48, target
        # Print is refused until the identifiers are confirmed, and says so.
        page.locator(".print-button").tap()
        expect(page.locator(".confirm .field-error")).to_be_visible()
        save_screenshot(page, "labels-confirm-required")
        page.locator(".confirm-box").tap()
        page.locator(".print-button").tap()
        expect(page.locator(".job-status-big")).to_have_text("Printed")
        save_screenshot(page, "labels-job-printed")
        page.goto(live_server.url + "/labels/queue")
        expect(page.locator(".job-row").first.locator(".job-status")).to_have_text("Printed")
        save_screenshot(page, "labels-queue")
        assert len(zebra.jobs()) == 1
    finally:
        zebra.stop()


def test_printer_down_the_page_says_so_and_the_retry_prints_it(page: Page, live_server: LiveServer, app: Flask,
                                                              gateway: FhirGateway, printer_files: PrinterFiles,
                                                              zebra_port: int) -> None:
    stay = demo_inpatient(gateway, index=8)
    sign_in(page, live_server.url, Role.UNIT_SECRETARY)
    page.goto(f"{live_server.url}/labels/patients/{stay.patient_id}/encounters/{stay.encounter_id}?type=specimen")
    expect(page.locator(".preview-empty")).to_be_visible()
    page.fill("#accession", "S26-007731")
    page.fill("#test", "Complete blood count")
    page.fill("#container", "Lavender top (EDTA)")
    page.locator("#container").dispatch_event("change")
    expect(page.locator(".checked")).to_contain_text("S26-007731")
    save_screenshot(page, "labels-specimen-preview")
    page.locator(".confirm-box").tap()
    page.locator(".print-button").tap()
    status = page.locator(".job-status-big")
    expect(status).to_have_text("Waiting for printer")
    expect(page.locator(".job-status-panel")).to_contain_text("cannot be reached")
    save_screenshot(page, "labels-job-queued")
    zebra = RawPrinter(zebra_port).start()
    try:
        time.sleep(printer_files.first_delay_s + 0.2)
        assert "1 printed" in retry_print_queue(job_context(app))
        expect(status).to_have_text("Printed", timeout=8000)  # the job page polls
        save_screenshot(page, "labels-job-printed-after-retry")
        assert len(zebra.jobs()) == 1
    finally:
        zebra.stop()


def test_the_printers_page_for_an_administrator(page: Page, live_server: LiveServer,
                                                printer_files: PrinterFiles) -> None:
    sign_in(page, live_server.url, Role.ADMINISTRATOR)
    page.goto(live_server.url + "/labels/printers")
    expect(page.locator(".printer-card")).to_have_count(2)
    save_screenshot(page, "labels-printers")
    page.locator(".printer-card[data-printer='TEST-FOLDER-PDF'] button").tap()
    expect(page.locator(".job-status-big")).to_have_text("Printed")
    expect(page.locator(".job-preview img")).to_be_visible()
    save_screenshot(page, "labels-test-label")
