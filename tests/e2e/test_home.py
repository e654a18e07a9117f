"""The home screen in real Chromium with touch, at 1280x800."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.support.auth import sign_in
from tests.support.browser import LiveServer, save_screenshot


def test_home_page_shows_the_unit_at_a_glance(page: Page, live_server: LiveServer) -> None:
    sign_in(page, live_server.url)
    expect(page.locator(".unit-name")).to_have_text("4 West Medical-Surgical")
    occupied = page.locator(".count-occupied .count-n")
    expect(occupied).to_have_text("24")
    # Big enough to read from a step back and to touch.
    assert float(occupied.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 40
    save_screenshot(page, "home")
    # htmx polling refreshes the counts in place (the fragment answers on its own).
    page.request.get(live_server.url + "/home/summary").ok  # noqa: B018
    assert page.evaluate("() => typeof htmx !== 'undefined' && htmx.version.startsWith('2.0')")
