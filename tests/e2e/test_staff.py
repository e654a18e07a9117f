"""The staff page with touch: a charge nurse unlocks a locked badge from the home screen's panel; an
administrator disables an account in two taps and enables it again."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from kiosk.auth import Role
from tests.integration.staff.test_staff import sign_in_as
from tests.support.auth import CREDENTIALS, sign_in
from tests.support.browser import LiveServer, laid_out_box, save_screenshot


def tall_enough(locator) -> None:  # type: ignore[no-untyped-def]
    box = laid_out_box(locator)
    assert box and box["height"] >= 48 and box["width"] >= 48


def test_a_charge_nurse_unlocks_a_badge_with_a_tap(page: Page, live_server: LiveServer) -> None:
    badge, pin, name = CREDENTIALS[Role.UNIT_SECRETARY]
    for _ in range(5):
        sign_in_as(live_server.app, badge, "9021")
    sign_in(page, live_server.url, Role.CHARGE_NURSE)
    panel = page.locator(".locked-badges-alert")
    expect(panel).to_contain_text("1 badge locked after wrong PINs")
    expect(panel).to_contain_text(name)
    save_screenshot(page, "home-locked-badge-panel")
    panel.tap()
    page.wait_for_url("**/staff/#locked-badges")
    button = page.get_by_role("button", name=f"Unlock {name}")
    tall_enough(button)
    save_screenshot(page, "staff-locked-badges-charge-nurse")
    button.tap()
    expect(page.locator(".notice-ok")).to_contain_text(f"Unlocked {name}'s badge")
    expect(page.locator(".no-locked")).to_be_visible()
    assert sign_in_as(live_server.app, badge, pin) == 302


def test_disabling_asks_for_a_second_tap_and_an_account_is_enabled_again(page: Page,
                                                                          live_server: LiveServer) -> None:
    _, pin, name = CREDENTIALS[Role.NURSE]
    sign_in(page, live_server.url, Role.ADMINISTRATOR)
    page.goto(live_server.url + "/staff/")
    row = page.locator("tr", has_text=name)
    first = row.get_by_role("link", name="Disable…")
    tall_enough(first)
    first.tap()
    confirm = page.get_by_role("button", name=f"Yes, disable {name}")
    expect(confirm).to_be_visible()
    expect(page.locator("tr", has_text=name).get_by_role("link", name="Keep")).to_be_visible()
    save_screenshot(page, "staff-confirm-disable")
    page.locator("tr", has_text=name).get_by_role("link", name="Keep").tap()
    expect(page.get_by_role("button", name=f"Yes, disable {name}")).to_have_count(0)
    page.locator("tr", has_text=name).get_by_role("link", name="Disable…").tap()
    page.get_by_role("button", name=f"Yes, disable {name}").tap()
    expect(page.locator(".notice-ok")).to_contain_text(f"Disabled {name}")
    enable = page.locator("tr", has_text=name).get_by_role("button", name="Enable")
    tall_enough(enable)
    save_screenshot(page, "staff-disabled-account")
    enable.tap()
    expect(page.locator(".notice-ok")).to_contain_text(f"Enabled {name}")
    assert sign_in_as(live_server.app, CREDENTIALS[Role.NURSE][0], pin) == 302
