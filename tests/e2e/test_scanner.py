"""Barcode scans told from typing by the scanner's programming, never by the keys' pace (scanner.js).

Each scan is typed through Playwright's keyboard the way a keyboard-wedge scanner types it, once with no
delay and once with gaps longer than any person's keystroke: the outcome is the same. The board is the
page under test; every page that takes scans uses the same script.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from playwright.sync_api import BrowserContext, Page, expect

from kiosk.beds.occupancy import BedState
from kiosk.fhir.gateway import FhirGateway, UnitRef
from printers.layout import datamatrix_content
from tests.support.auth import sign_in
from tests.support.beds import BedUnit, unit_env, unit_gateway
from tests.support.browser import LiveServer
from tests.support.scanner import scan

#: Milliseconds between a scan's keys: none, and far slower than the 50 ms a timing guess would allow.
SLOW = 150
PACES = [0, SLOW]

Board = Callable[..., BedUnit]


@pytest.fixture(scope="module")
def unit_ref(make_unit: Callable[..., UnitRef]) -> UnitRef:
    """One unit for the module: scans only read it."""
    return make_unit(20)


@pytest.fixture
def board(page: Page, gateway: FhirGateway, unit_ref: UnitRef,
          make_app: Callable[..., Flask]) -> Iterator[Board]:
    """board(KIOSK_SCANNER_PREFIX="", ...) -> the module's unit (or `ref`), with `page` signed in on its
    board under those settings."""
    servers: list[LiveServer] = []

    def open_board(ref: UnitRef = unit_ref, **scanner_env: str) -> BedUnit:
        app = make_app(**unit_env(ref), **scanner_env)
        server = LiveServer(app).start()
        servers.append(server)
        sign_in(page, server.url)
        page.goto(server.url + "/beds/")
        expect(page.locator(".bed").first).to_be_visible()
        return BedUnit(ref=ref, gw=unit_gateway(gateway, ref), app=app)

    yield open_board
    for server in servers:
        server.stop()


def other_reason_field(page: Page, unit: BedUnit):  # type: ignore[no-untyped-def]
    """The block form's "Other reason" text field of the first free bed, focused, holding what a person
    typed."""
    free = unit.beds(BedState.AVAILABLE, free=True)[0]
    page.locator(f".bed[data-bed-id='{free.id}']").tap()
    page.locator("#panel").get_by_role("button", name="Block bed").tap()
    page.locator("#panel label.choice-other").tap()
    field = page.locator("#block-reason-other")
    field.tap()
    page.keyboard.type("Broken rail")
    return field


def patient_panel_opens(page: Page, unit: BedUnit, name: str) -> None:
    """The scan opened the patient, and the block form it interrupted was never sent."""
    expect(page.locator("#panel .panel-title")).to_have_text(name)
    free = unit.beds(BedState.AVAILABLE, free=True)[0]
    assert unit.board().tile(free.id).state is BedState.AVAILABLE


@pytest.mark.parametrize("delay", PACES)
@pytest.mark.parametrize(("prefix", "keys"), [("<STX>", ("Control+b",)), ("##", ("#", "#"))])
def test_a_prefixed_scan_into_another_field_opens_the_patient_at_any_pace(
        page: Page, board: Board, prefix: str, keys: tuple[str, ...], delay: int) -> None:
    unit = board(KIOSK_SCANNER_PREFIX=prefix)
    patient = unit.beds(BedState.OCCUPIED)[0].patient
    other_reason_field(page, unit)
    scan(page, patient.mrn, prefix=keys, delay=delay)
    patient_panel_opens(page, unit, patient.name)


def test_a_prefixed_scan_keeps_its_keys_out_of_the_focused_field(page: Page, board: Board) -> None:
    board()  # the test settings' prefix, <STX>
    page.locator("#scan-code").fill("4W-")  # the scan field, half typed, has the focus
    scan(page, "NOT-A-PATIENT", delay=SLOW)  # a code that opens nothing: the panel says what was scanned
    expect(page.locator("#panel")).to_contain_text("has the MRN or encounter number NOT-A-PATIENT.")
    expect(page.locator("#scan-code")).to_have_value("")  # the scan form sent the scan and was emptied


def test_typing_fast_with_a_prefix_configured_is_typing(page: Page, board: Board,
                                                        make_unit: Callable[..., UnitRef]) -> None:
    unit = board(make_unit(8))  # a unit of its own: this test blocks a bed
    patient = unit.beds(BedState.OCCUPIED)[0].patient
    free = unit.beds(BedState.AVAILABLE, free=True)[0]
    field = other_reason_field(page, unit)
    page.keyboard.type(patient.mrn)  # as fast as the keyboard goes, but no prefix: the field's own text
    expect(field).to_have_value("Broken rail" + patient.mrn)
    page.keyboard.press("Enter")  # sends the block form, as Enter in a form does
    expect(page.locator("#panel .notice-ok")).to_be_visible()
    assert unit.board().tile(free.id).blocked_reason == "Broken rail" + patient.mrn


@pytest.mark.parametrize(("symbology", "delay"), [("]d2", 0), ("]C0", SLOW)])
def test_aim_identifiers_are_taken_off_what_the_scan_says(page: Page, board: Board, symbology: str,
                                                          delay: int) -> None:
    unit = board(KIOSK_SCANNER_AIM_IDS="true")
    bed = unit.beds(BedState.OCCUPIED)[1]
    code = (datamatrix_content(bed.patient.mrn, bed.patient.encounter_number) if symbology == "]d2"
            else bed.patient.mrn)
    other_reason_field(page, unit)
    scan(page, symbology + code, delay=delay)
    patient_panel_opens(page, unit, bed.patient.name)


@pytest.mark.parametrize("delay", PACES)
def test_without_a_prefix_the_aim_identifier_begins_the_scan(page: Page, board: Board, delay: int) -> None:
    unit = board(KIOSK_SCANNER_PREFIX="", KIOSK_SCANNER_AIM_IDS="true")
    patient = unit.beds(BedState.OCCUPIED)[2].patient
    other_reason_field(page, unit)
    scan(page, "]C0" + patient.mrn, prefix=(), delay=delay)
    patient_panel_opens(page, unit, patient.name)


@pytest.mark.parametrize("focus", ["#scan-code", ".unit-title"])  # the scan field; nothing that takes text
def test_without_a_prefix_a_scan_into_the_scan_field_or_no_field_opens_the_patient(page: Page, board: Board,
                                                                                    focus: str) -> None:
    unit = board(KIOSK_SCANNER_PREFIX="")
    patient = unit.beds(BedState.OCCUPIED)[2].patient
    page.locator(focus).tap()
    scan(page, patient.mrn, prefix=(), delay=SLOW)
    expect(page.locator("#panel .panel-title")).to_have_text(patient.name)


def test_without_any_framing_a_burst_into_another_field_is_taken_for_a_scan(
        page: Page, context: BrowserContext, board: Board) -> None:
    """The convenience for unprogrammed scanners, on a page clock that stands still: every key of the
    burst comes at the same instant, whatever the machine's load does to the real gaps."""
    context.clock.install()
    unit = board(KIOSK_SCANNER_PREFIX="")
    patient = unit.beds(BedState.OCCUPIED)[3].patient
    other_reason_field(page, unit)
    page.clock.pause_at(page.evaluate("Date.now()") / 1000 + 1)
    scan(page, patient.mrn, prefix=(), delay=20)
    patient_panel_opens(page, unit, patient.name)
