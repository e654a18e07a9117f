"""Discharge-ready milestones in real Chromium with touch, at 1280x800: every milestone ticked from the bed
board's panel, then "Ready to go" in the panel and on the tile."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from kiosk.auth import Role
from kiosk.beds.occupancy import BedState
from tests.e2e.test_beds import open_board, panel, tile
from tests.support.beds import BedUnit, audit_rows
from tests.support.browser import LiveServer, laid_out_box, save_screenshot


def test_tick_every_milestone_from_the_panel(page: Page, served_unit: tuple[BedUnit, LiveServer]) -> None:
    unit, server = served_unit
    bed = unit.beds(BedState.OCCUPIED)[0]
    open_board(page, server, Role.NURSE)
    tile(page, bed.id).tap()
    section = panel(page).locator(".discharge-section")
    expect(section).to_contain_text("Discharge milestones: 0 of 5")
    for done in range(1, 6):
        section.locator(".discharge-milestone:not(.is-done) .dm-button").first.tap()
        expect(section).to_contain_text("of 5" if done < 5 else "Ready to go")
        expect(section.locator(".discharge-milestone.is-done")).to_have_count(done)
        if done == 2:
            save_screenshot(page, "discharge-milestones-2-of-5")
    expect(section).to_contain_text("Discharge milestones: Ready to go")
    expect(section).to_contain_text("Ticked by")
    box = laid_out_box(section.locator(".dm-button").first)
    assert box["height"] >= 48
    save_screenshot(page, "discharge-milestones-ready")
    page.reload()
    expect(tile(page, bed.id)).to_contain_text("Ready to go")
    save_screenshot(page, "discharge-milestones-board")
    assert len(audit_rows(unit.app, "discharge-milestone")) == 5
