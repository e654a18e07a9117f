"""The on-screen keyboard with touch: a block reason typed on it into the bed panel, an MRN into the board's
scan field; keys at least 48 px; the keyboard shows what the field holds."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from kiosk.beds.occupancy import BedState
from tests.e2e.test_beds import open_board, panel, tile
from tests.support.beds import BedUnit
from tests.support.browser import LiveServer, laid_out_box, save_screenshot


def type_on(page: Page, text: str) -> None:
    """Tap the keys for `text` (capitals with the ABC key, which stays on until tapped again)."""
    keyboard = page.locator(".osk")
    capitals = False
    for ch in text:
        if ch == " ":
            keyboard.get_by_role("button", name="Space").tap()
            continue
        if ch.isalpha() and ch.isupper() != capitals:
            keyboard.locator("[data-osk-key=shift]").tap()
            capitals = not capitals
        keyboard.locator(f"[data-osk-key='{ch.lower()}']").tap()


def test_a_block_reason_typed_on_the_screen_keyboard(page: Page, served_unit: tuple[BedUnit, LiveServer]) -> None:
    unit, server = served_unit
    bed = unit.beds(BedState.AVAILABLE, free=True)[0]
    open_board(page, server)
    tile(page, bed.id).tap()
    panel(page).get_by_role("button", name="Block bed").tap()
    panel(page).locator("label.choice", has_text="Other").tap()
    keyboard = page.locator(".osk")
    expect(keyboard).to_have_count(0)
    panel(page).locator("#block-reason-other").tap()  # a tap on the field opens it
    expect(keyboard).to_be_visible()
    for key in keyboard.locator(".osk-key").all():
        box = laid_out_box(key)
        assert box and box["height"] >= 48 and box["width"] >= 48
    type_on(page, "Call light brokn")
    keyboard.get_by_role("button", name="Delete").tap()
    type_on(page, "en")
    expect(keyboard.locator(".osk-echo")).to_contain_text("Other reason")
    expect(keyboard.locator(".osk-echo-value")).to_have_text("Call light broken")
    save_screenshot(page, "keyboard-block-reason")
    keyboard.get_by_role("button", name="Done").tap()
    expect(keyboard).to_be_hidden()
    expect(panel(page).locator("#block-reason-other")).to_have_value("Call light broken")
    panel(page).locator("button[type=submit]", has_text="Block bed").tap()
    expect(panel(page).locator(".notice-ok")).to_contain_text("is blocked: Call light broken")
    assert unit.read("Location", bed.id)["description"] == "Blocked: Call light broken"


def test_an_mrn_typed_on_the_screen_keyboard_finds_the_patient(page: Page,
                                                               served_unit: tuple[BedUnit, LiveServer]) -> None:
    unit, server = served_unit
    occupied = next(t for t in unit.beds(BedState.OCCUPIED) if t.patient and t.patient.mrn)
    open_board(page, server)
    page.get_by_role("button", name="Keyboard for the MRN").tap()
    keyboard = page.locator(".osk")
    expect(keyboard).to_be_visible()
    for ch in occupied.patient.mrn:
        keyboard.locator(f"[data-osk-key='{ch.lower()}']").tap()
    expect(page.locator("#scan-code")).to_have_value(occupied.patient.mrn)
    keyboard.get_by_role("button", name="Done").tap()
    page.locator("#scan-form button[type=submit]").tap()
    expect(panel(page)).to_contain_text(occupied.name)


def open_patient_link(page: Page, server: LiveServer, unit: BedUnit, label: str) -> str:
    """Open an occupied bed's panel on the board and follow its patient link `label`; the patient's name."""
    occupied = next(t for t in unit.beds(BedState.OCCUPIED) if t.patient and t.patient.patient_id)
    open_board(page, server)
    tile(page, occupied.id).tap()
    panel(page).locator(".patient-links a", has_text=label).first.tap()
    return occupied.patient.name


def test_an_order_search_typed_on_the_screen_keyboard_finds_the_catalog_items(
        page: Page, served_unit: tuple[BedUnit, LiveServer]) -> None:
    unit, server = served_unit
    open_patient_link(page, server, unit, "Orders")
    page.locator("a.button", has_text="New order").tap()
    keyboard = page.locator(".osk")
    page.get_by_role("button", name="Keyboard for the catalog search").tap()
    expect(keyboard).to_be_visible()
    expect(keyboard.locator(".osk-echo")).to_contain_text("Search the catalog")
    type_on(page, "tropo")
    expect(page.locator("#catalog-q")).to_have_value("tropo")
    results = page.locator("#catalog-results label.choice")
    expect(results.filter(has_text="Troponin I")).to_have_count(1)
    save_screenshot(page, "keyboard-order-search")
    keyboard.get_by_role("button", name="Done").tap()
    expect(keyboard).to_be_hidden()
    results.filter(has_text="Troponin").first.tap()
    expect(results.filter(has_text="Troponin").first.locator("input")).to_be_checked()


def test_a_transport_note_typed_on_the_screen_keyboard_reaches_the_transport_board(
        page: Page, served_unit: tuple[BedUnit, LiveServer]) -> None:
    unit, server = served_unit
    name = open_patient_link(page, server, unit, "Request transport")
    expect(page.locator(".patient-title")).to_have_text(re.compile(re.escape(name), re.IGNORECASE))
    page.locator("label.choice", has_text="Discharge lounge").tap()
    page.locator("label.choice", has_text="Discharge").filter(has_not_text="lounge").first.tap()
    page.locator("label.choice", has_text="Wheelchair").tap()
    keyboard = page.locator(".osk")
    page.locator("#note").tap()  # a tap on the text area opens it
    expect(keyboard).to_be_visible()
    expect(keyboard.locator(".osk-echo")).to_contain_text("Note for the transporter")
    type_on(page, "Bring her coat")
    expect(keyboard.locator(".osk-echo-value")).to_have_text("Bring her coat")
    save_screenshot(page, "keyboard-transport-note")
    keyboard.get_by_role("button", name="Done").tap()
    expect(page.locator("#note")).to_have_value("Bring her coat")
    page.locator("button.request-submit").tap()
    expect(page.locator(".notice-ok")).to_contain_text("to Discharge lounge")
    page.locator("a", has_text="See it on the transport board").tap()
    expect(page.locator(".job-row", has_text="Discharge lounge")).to_contain_text("“Bring her coat”")
