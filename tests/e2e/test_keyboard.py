"""The on-screen keyboard with touch: a block reason typed on it into the bed panel, an MRN into the board's
scan field; keys at least 48 px; the keyboard shows what the field holds."""

from __future__ import annotations

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
