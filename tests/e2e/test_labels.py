"""Armbands and labels in real Chromium with touch, at 1280x800: preview, confirm, print, queue."""

from __future__ import annotations

from flask import Flask
from playwright.sync_api import Page, expect

from kiosk.auth import Role
from kiosk.extensions import database
from kiosk.fhir.gateway import FhirGateway
from kiosk.labels.jobs import retry_print_queue
from kiosk.labels.models import PrintJob
from tests.support import labels as printing
from tests.support.auth import sign_in
from tests.support.browser import LiveServer, laid_out_box, open_workflow, save_screenshot
from tests.support.clock import TestClock, set_app_clock
from tests.support.labels import PrinterFiles, RawPrinter, demo_inpatient, job_context, new_inpatient
from tests.support.scanner import scan

zebra_port = printing.zebra_port
printer_files = printing.printer_files


def _fill_specimen(page: Page) -> None:
    page.fill("#accession", "S26-007731")
    page.fill("#test", "Complete blood count")
    page.fill("#container", "Lavender top (EDTA)")
    page.locator("#container").dispatch_event("change")
    expect(page.locator(".checked")).to_contain_text("S26-007731")


def _min_size(page: Page, selector: str) -> float:
    box = laid_out_box(page.locator(selector).first)
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
    clock = set_app_clock(app, TestClock())
    page.goto(f"{live_server.url}/labels/patients/{stay.patient_id}/encounters/{stay.encounter_id}?type=specimen")
    expect(page.locator(".preview-empty")).to_be_visible()
    _fill_specimen(page)
    save_screenshot(page, "labels-specimen-preview")
    page.locator(".confirm-box").tap()
    page.locator(".print-button").tap()
    status = page.locator(".job-status-big")
    expect(status).to_have_text("Waiting for printer")
    expect(page.locator(".job-status-panel")).to_contain_text("The printer does not answer")
    expect(page.locator(".job-status-panel .for-it")).to_contain_text("cannot be reached")
    save_screenshot(page, "labels-job-queued")
    zebra = RawPrinter(zebra_port).start()
    try:
        clock.advance(printer_files.first_delay_s)
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


def _labels_url(live_server: LiveServer, stay) -> str:  # type: ignore[no-untyped-def]
    return f"{live_server.url}/labels/patients/{stay.patient_id}/encounters/{stay.encounter_id}"


def _fully_visible_and_on_top(page: Page, selector: str) -> None:
    """The element is inside the 1280x800 screen without scrolling, and nothing covers its centre."""
    assert page.evaluate("() => window.scrollY") == 0
    box = laid_out_box(page.locator(selector))
    assert box["y"] >= 0 and box["y"] + box["height"] <= 800, (selector, box)
    assert page.evaluate(
        """sel => { const el = document.querySelector(sel); const r = el.getBoundingClientRect();
                    const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
                    return el === hit || el.contains(hit); }""", selector), f"{selector} is covered"


def test_print_is_on_screen_for_a_reprint_a_specimen_and_the_longest_name(page: Page, live_server: LiveServer,
                                                                         app: Flask, gateway: FhirGateway,
                                                                         printer_files: PrinterFiles,
                                                                         zebra_port: int) -> None:
    longest = new_inpatient(gateway, "Hernández-Villanueva de los Santos-O'Brien",
                            ["María", "Guadalupe", "Concepción", "Ximena", "Jo"])
    sign_in(page, live_server.url, Role.UNIT_SECRETARY)
    for label_type in ("adult-armband", "infant-armband", "chart", "specimen"):
        page.goto(f"{_labels_url(live_server, longest)}?type={label_type}")
        expect(page.locator(".patient-name")).to_have_text(
            "HERNÁNDEZ-VILLANUEVA DE LOS SANTOS-O'BRIEN, María Guadalupe Concepción Ximena Jo")
        _fully_visible_and_on_top(page, ".print-button")
        _fully_visible_and_on_top(page, ".confirm-box")
        save_screenshot(page, f"labels-longest-name-{label_type}")
    _fill_specimen(page)
    _fully_visible_and_on_top(page, ".print-button")
    save_screenshot(page, "labels-longest-name-specimen-filled")
    zebra = RawPrinter(zebra_port).start()
    try:
        page.goto(_labels_url(live_server, longest))
        page.locator(".confirm-box").tap()
        page.locator(".print-button").tap()
        expect(page.locator(".job-status-big")).to_have_text("Printed")
        page.goto(_labels_url(live_server, longest))
        expect(page.locator(".print-button")).to_have_text("Reprint adult armband")
        _fully_visible_and_on_top(page, ".print-button")
        _fully_visible_and_on_top(page, "#reprint_reason")
        save_screenshot(page, "labels-reprint-longest-name")
    finally:
        zebra.stop()


def test_a_double_tap_on_print_prints_once(page: Page, live_server: LiveServer, app: Flask, gateway: FhirGateway,
                                           printer_files: PrinterFiles, zebra_port: int) -> None:
    zebra = RawPrinter(zebra_port).start()
    try:
        stay = demo_inpatient(gateway, index=17)
        sign_in(page, live_server.url, Role.UNIT_SECRETARY)
        page.goto(_labels_url(live_server, stay))
        page.locator(".confirm-box").tap()
        page.locator(".print-button").evaluate("b => { b.click(); b.click(); }")  # two taps, as fast as they come
        expect(page.locator(".job-status-big")).to_have_text("Printed")
        with app.app_context(), database().session() as session:
            assert session.query(PrintJob).count() == 1
        assert len(zebra.jobs()) == 1
    finally:
        zebra.stop()


def test_the_labels_page_finds_a_patient_by_typed_mrn_or_a_scan(page: Page, live_server: LiveServer, app: Flask,
                                                                gateway: FhirGateway,
                                                                printer_files: PrinterFiles) -> None:
    stay = demo_inpatient(gateway, index=1, with_allergy=True)
    sign_in(page, live_server.url, Role.UNIT_SECRETARY)
    open_workflow(page, "Labels")
    expect(page.locator(".find-input")).to_be_visible()
    assert _min_size(page, ".find-input") >= 48 and _min_size(page, ".find-form button") >= 48
    save_screenshot(page, "labels-page-find")
    page.locator(".find-input").tap()
    page.keyboard.type(stay.mrn, delay=80)  # typed by hand
    page.locator(".find-form button[type=submit]").tap()
    page.wait_for_url(_labels_url(live_server, stay))
    expect(page.locator(".patient-more")).to_contain_text(stay.mrn)
    # The banner's alert chips have the bed board's colours, kind by kind.
    allergy = page.locator(".alert-chips .chip-allergy").first
    expect(allergy).to_be_visible()
    colour = allergy.evaluate("el => getComputedStyle(el).backgroundColor")
    page.goto(live_server.url + "/labels/queue")
    scan(page, stay.encounter_number)  # an armband scanned, nothing focused
    page.wait_for_url(_labels_url(live_server, stay))
    page.goto(live_server.url + "/labels/queue")
    page.locator(".find-input").tap()
    page.keyboard.type("99999999", delay=30)
    page.locator(".find-form button[type=submit]").tap()
    expect(page.locator(".find-patient .notice")).to_contain_text("No patient with an open encounter")
    expect(page.locator(".find-input")).to_have_value("99999999")
    assert "99999999" not in page.url
    save_screenshot(page, "labels-page-not-found")
    page.goto(live_server.url + "/beds/")
    board_chip = page.locator(".bed .chip-allergy").first
    expect(board_chip).to_be_visible()
    assert board_chip.evaluate("el => getComputedStyle(el).backgroundColor") == colour


def test_the_queue_names_the_patient_and_a_whole_row_opens_the_job(page: Page, live_server: LiveServer, app: Flask,
                                                                   gateway: FhirGateway,
                                                                   printer_files: PrinterFiles) -> None:
    stay = demo_inpatient(gateway, index=19)
    sign_in(page, live_server.url, Role.UNIT_SECRETARY)
    page.goto(_labels_url(live_server, stay) + "?type=chart")
    page.locator(".confirm-box").tap()
    page.locator(".print-button").tap()  # no printer listens: the job waits
    expect(page.locator(".job-status-big")).to_have_text("Waiting for printer")
    expect(page.locator(".job-explanation")).to_contain_text("automatic retries are stopped: tell IT")
    expect(page.locator(".job-status-panel .for-it")).to_contain_text("cannot be reached")
    save_screenshot(page, "labels-job-waiting-no-scheduler")
    page.goto(live_server.url + "/labels/queue")
    row = page.locator(".job-row").first
    expect(row.locator(".job-patient")).to_contain_text(f"MRN {stay.mrn}")
    expect(page.locator(".retries-stopped")).to_contain_text("Automatic retries are stopped")
    assert "UTC" not in page.locator(".queue-table").inner_text()
    box = laid_out_box(row)
    assert box["height"] >= 48
    save_screenshot(page, "labels-queue-waiting")
    cell = laid_out_box(row.locator(".job-patient"))
    page.touchscreen.tap(cell["x"] + cell["width"] / 2, cell["y"] + cell["height"] / 2)  # anywhere on the row
    page.wait_for_url(f"{live_server.url}/labels/jobs/*")
    expect(page.locator(".page-title")).to_contain_text("Chart labels")


def test_an_accession_number_too_long_is_refused_saying_what_fits(page: Page, live_server: LiveServer,
                                                                   gateway: FhirGateway) -> None:
    """Typed on the screen keyboard; Done redraws the preview, which says the limit and how many are too many."""
    stay = demo_inpatient(gateway, index=8)
    sign_in(page, live_server.url, Role.UNIT_SECRETARY)
    page.goto(f"{live_server.url}/labels/patients/{stay.patient_id}/encounters/{stay.encounter_id}?type=specimen")
    page.fill("#test", "Complete blood count")
    page.fill("#container", "Lavender top (EDTA)")
    page.get_by_role("button", name="Keyboard for Accession number").tap()
    keyboard = page.locator(".osk")
    for ch in "S26-0077310000-ABCDEFGHJK":
        keyboard.locator(f"[data-osk-key='{ch.lower()}']").tap()
    expect(page.locator("#accession")).to_have_value("S26-0077310000-ABCDEFGHJK")
    keyboard.get_by_role("button", name="Done").tap()
    refusal = page.locator("#label-preview")
    expect(refusal).to_contain_text("The accession number is too long")
    expect(refusal).to_contain_text("it is 25 characters long and only")
    expect(refusal).to_contain_text("too many)")
    save_screenshot(page, "labels-accession-too-long")
