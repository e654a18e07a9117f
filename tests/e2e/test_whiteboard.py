"""The whiteboard in real Chromium: the charge nurse assigns a shift with touch (taps counted), the station
screen (1920x1080, set up with its token, its clock driven by the test) shows it at its next refresh,
and every text on that screen is large enough to read from three metres."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from kiosk.auth import Role
from kiosk.fhir.gateway import FhirGateway, UnitRef
from tests.e2e.conftest import new_touch_context
from tests.support.auth import sign_in
from tests.support.browser import LiveServer, laid_out_box, save_screenshot
from tests.support.whiteboard import Ward, build_ward

TOKEN = "station-whiteboard-0123456789abcdef"
REFRESH_SECONDS = 30
#: The smallest text on the station screen, and the capital letter it must at least draw (see whiteboard.css).
SMALLEST_FONT_PX = 30
SMALLEST_CAPITAL_PX = 22


@pytest.fixture
def served_ward(gateway: FhirGateway, make_unit: Callable[..., UnitRef],
                make_app: Callable[..., Flask]) -> Iterator[tuple[Ward, LiveServer]]:
    """A unit of 12 beds: 8 with a patient in them or coming to them."""
    unit = build_ward(gateway, make_unit, make_app, 12, KIOSK_WHITEBOARD_DISPLAY_TOKEN=TOKEN,
                      KIOSK_WHITEBOARD_REFRESH_SECONDS=str(REFRESH_SECONDS))
    server = LiveServer(unit.app).start()
    yield unit, server
    server.stop()


@dataclass
class Taps:
    """Every tap the person makes, counted."""

    page: Page
    count: int = 0

    def __call__(self, selector: str) -> None:
        self.page.locator(selector).tap()
        self.count += 1


def person(ref: str) -> str:
    return f".person[data-person='{ref}']"


def test_the_charge_nurse_assigns_a_shift_in_a_few_taps_and_the_screen_shows_it(
        browser: Browser, served_ward: tuple[Ward, LiveServer]) -> None:
    unit, server = served_ward
    nurses, aides = unit.nurses, unit.aides
    beds = unit.screen().beds
    assert len(beds) == 8

    def last_shift(screen):  # type: ignore[no-untyped-def]
        return {b.id: {"nurse": nurses[0 if i < 4 else 1].ref, "aide": aides[0].ref}
                for i, b in enumerate(screen.beds)}, nurses[0].ref

    unit.assign(last_shift, which="previous")

    station = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="en-US", timezone_id="UTC")
    tablet = new_touch_context(browser)
    try:
        screen = station.new_page()
        screen.clock.install()  # the screen's refresh timer runs when the test says so, never by waiting
        screen.goto(f"{server.url}/whiteboard/display/{TOKEN}")
        expect(screen.locator(".whiteboard")).to_be_visible()
        assert screen.url == f"{server.url}/whiteboard/display"
        row = screen.locator(f"tr[data-bed-id='{beds[5].id}']")
        expect(row.locator(".wb-nurse")).to_have_text("—")

        page = tablet.new_page()
        sign_in(page, server.url, Role.CHARGE_NURSE)
        page.goto(server.url + "/whiteboard/assign")
        tap = Taps(page)
        tap("[data-copy-last]")  # every bed as the last shift had it, and its charge nurse
        tap(person(nurses[1].ref))  # nothing chosen: this picks her four beds ...
        expect(page.locator(".assign-bed[aria-pressed='true']")).to_have_count(4)
        tap(person(nurses[2].ref))  # ... and gives them to him
        tap(".charge-pick summary")
        tap(f".leader[data-charge='{nurses[3].ref}']")
        expect(page.locator("[data-save]")).to_have_text("Save (8 beds, charge nurse)")
        save_screenshot(page, "whiteboard-assign-1280x800")
        tap("[data-save]")
        expect(page.locator(".assign-notice.notice-ok")).to_contain_text("8 beds assigned, charge nurse Hannah W.")
        assert tap.count == 6 < 10

        current = {b.id: b.current for b in unit.screen().beds}
        assert [current[b.id]["nurse"] for b in beds] == [nurses[0].ref] * 4 + [nurses[2].ref] * 4
        assert all(current[b.id]["aide"] == aides[0].ref for b in beds)
        assert unit.screen().charge == nurses[3].ref

        # The station screen has not refreshed yet; at its next refresh it shows the new shift.
        expect(row.locator(".wb-nurse")).to_have_text("—")
        with screen.expect_response(lambda r: r.url.endswith("/whiteboard/display/board")):
            screen.clock.run_for(REFRESH_SECONDS * 1000)
        screen.clock.run_for(1000)  # htmx settles the swap
        expect(row.locator(".wb-nurse")).to_have_text("Daniel K.")
        expect(screen.locator(".wb-charge")).to_contain_text("Hannah W.")
        save_screenshot(screen, "whiteboard-station-1920x1080")
        check_readable_from_three_metres(screen)
    finally:
        station.close()
        tablet.close()


def check_readable_from_three_metres(screen: Page) -> None:
    """Every text on the screen, measured as Chromium draws it: its font size, and for the smallest the
    height of a capital H (canvas measureText on the element's own font)."""
    sizes = screen.evaluate("""() => {
      const out = [];
      const walker = document.createTreeWalker(document.querySelector('.whiteboard'), NodeFilter.SHOW_TEXT);
      while (walker.nextNode()) {
        const node = walker.currentNode, el = node.parentElement;
        if (!node.textContent.trim() || el.closest('.visually-hidden')) continue;
        const style = getComputedStyle(el), box = el.getBoundingClientRect();
        if (style.display === 'none' || style.visibility === 'hidden' || box.width === 0) continue;
        const ctx = document.createElement('canvas').getContext('2d');
        ctx.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
        out.push({text: node.textContent.trim().slice(0, 24), px: parseFloat(style.fontSize),
                  capital: ctx.measureText('H').actualBoundingBoxAscent, bottom: box.bottom});
      }
      return out;
    }""")
    assert len(sizes) > 50
    smallest = min(sizes, key=lambda s: s["px"])
    assert smallest["px"] >= SMALLEST_FONT_PX, smallest
    assert min(s["capital"] for s in sizes) >= SMALLEST_CAPITAL_PX, smallest
    assert max(s["bottom"] for s in sizes) <= 1080  # the whole board on the screen, nothing below the fold


def test_the_assignment_screen_fits_the_kiosk_and_its_targets_take_a_finger(
        page: Page, served_ward: tuple[Ward, LiveServer]) -> None:
    _unit, server = served_ward
    sign_in(page, server.url, Role.UNIT_SECRETARY)
    page.goto(server.url + "/whiteboard/assign")
    expect(page.locator(".assign-bed")).to_have_count(8)
    small = page.evaluate("""() => [...document.querySelectorAll(
        '.assign-bed, .person, .assign-tools .button, .charge-pick summary, [data-save], .assign-shifts .button')]
      .map(el => el.getBoundingClientRect()).filter(r => r.height < 48 || r.width < 48).length""")
    assert small == 0
    save = laid_out_box(page.locator("[data-save]"))
    assert save["y"] + save["height"] <= 800
    page.locator(".assign-bed").nth(0).tap()
    page.locator(".assign-bed").nth(1).tap()
    expect(page.locator("[data-hint]")).to_have_text("2 beds chosen: tap the person who takes them.")


def test_a_readiness_checklist_is_ticked_with_a_tap(page: Page, served_ward: tuple[Ward, LiveServer]) -> None:
    unit, server = served_ward
    coming = next(b for b in unit.screen().beds if b.incoming)
    sign_in(page, server.url, Role.CHARGE_NURSE)
    page.goto(f"{server.url}/readiness/bed/{coming.id}")
    item = page.locator(".checklist-item", has_text="Suction checked")
    item.locator("button").tap()
    expect(page.locator("#checklist .notice-ok")).to_contain_text("Suction checked: checked by Sam Okoye")
    expect(item).to_contain_text("Checked by Sam Okoye at")
    save_screenshot(page, "readiness-checklist-1280x800")

