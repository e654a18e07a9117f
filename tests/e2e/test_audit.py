"""The audit trail in the browser: a bed blocked with touch is listed by the bed's name, not its server id."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from kiosk.auth import Role
from kiosk.beds.occupancy import BedState
from tests.e2e.test_beds import open_board, panel, tile
from tests.support.beds import BedUnit
from tests.support.browser import LiveServer, save_screenshot


def test_the_trail_names_the_bed_that_was_changed(page: Page, served_unit: tuple[BedUnit, LiveServer]) -> None:
    unit, server = served_unit
    bed = unit.beds(BedState.AVAILABLE, free=True)[0]
    open_board(page, server, Role.CHARGE_NURSE)
    tile(page, bed.id).tap()
    panel(page).get_by_role("button", name="Block bed").tap()
    panel(page).locator("label.choice", has_text="Not staffed").tap()
    panel(page).locator("button[type=submit]", has_text="Block bed").tap()
    expect(panel(page).locator(".notice-ok")).to_contain_text("is blocked")
    page.goto(server.url + "/audit/")
    row = page.locator(".audit-table tbody tr", has_text="Changed a record").first
    expect(row.locator("td").nth(4)).to_have_text(f"bed {bed.name}")
    expect(row).to_contain_text(f"block: wrote {bed.name} (Location/{bed.id})")
    save_screenshot(page, "audit-bed-by-name")
