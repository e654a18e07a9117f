"""The home screen in real Chromium with touch, at 1280x800."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from kiosk.auth import Role
from tests.support.auth import sign_in
from tests.support.browser import LiveServer, laid_out_box, save_screenshot


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


def test_every_workflow_of_the_role_is_reachable_from_the_top_bar_at_1280(page: Page,
                                                                          live_server: LiveServer) -> None:
    sign_in(page, live_server.url, Role.ADMINISTRATOR)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    bar = page.locator(".topnav > .topnav-link")
    more = page.locator(".topnav-more")
    expect(more).to_be_visible()
    brand = laid_out_box(page.locator(".brand"))
    assert brand and brand["width"] >= 48  # the way home never gives way to the workflows
    more.locator("summary").tap()
    menu = more.locator(".topnav-menu-link")
    expect(menu.first).to_be_visible()
    for link in menu.all():
        box = laid_out_box(link)
        assert box and box["height"] >= 48 and box["x"] + box["width"] <= 1280
    save_screenshot(page, "top-bar-more")
    labels = [t.strip() for t in bar.all_inner_texts()] + [t.strip() for t in menu.all_inner_texts()]
    assert "Bed board" in labels and "Audit" in labels and "Staff" in labels
    menu.filter(has_text="Audit").tap()
    page.wait_for_url("**/audit/")
    # The page opened from the menu is named on the bar.
    expect(more.locator("summary")).to_contain_text("Audit")
