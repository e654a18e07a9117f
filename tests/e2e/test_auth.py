"""Sign-in with the keypad, badge lockout, idle lock across tabs and resume, in Chromium with touch."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from kiosk.auth import Role
from kiosk.beds.occupancy import BedState
from tests.e2e.conftest import new_touch_context
from tests.e2e.test_beds import open_board, panel, tile
from tests.support.auth import CREDENTIALS, sign_in
from tests.support.beds import BedUnit
from tests.support.browser import AnsweredRequests, LiveServer, laid_out_box, save_screenshot
from tests.support.clock import TestClock, set_app_clock
from tests.support.scanner import scan


def test_badge_and_keypad_sign_in(page: Page, live_server: LiveServer) -> None:
    page.goto(live_server.url + "/")
    expect(page).to_have_url(live_server.url + "/sign-in")
    badge, pin, name = CREDENTIALS[Role.UNIT_SECRETARY]
    scan(page, badge)  # the badge under the scanner
    page.wait_for_url("**/sign-in/pin")
    for digit in pin:
        page.locator(f".keypad [data-key='{digit}']").tap()
    save_screenshot(page, "auth-pin-keypad")
    for key in page.locator(".keypad .key").all():
        box = laid_out_box(key)
        assert box and box["height"] >= 48 and box["width"] >= 48
    page.locator(".sign-in-button").tap()
    expect(page.locator(".who")).to_contain_text(name)
    expect(page.locator(".unit-name")).to_have_text("4 West Medical-Surgical")
    page.locator("[data-lock-now]").tap()
    expect(page.locator(".lock-veil")).to_be_visible()
    page.locator(".lock-veil").get_by_role("link", name="Someone else").tap()
    page.wait_for_url("**/locked")
    save_screenshot(page, "auth-lock-screen-with-badge-keypad")
    page.goto(page.url.replace("/locked", "/sign-in"))
    save_screenshot(page, "auth-sign-in")


def test_five_wrong_pins_lock_the_badge(page: Page, live_server: LiveServer) -> None:
    badge, pin, _ = CREDENTIALS[Role.CHARGE_NURSE]
    page.goto(live_server.url + "/sign-in")
    page.fill("#badge", badge)
    page.locator("button[type=submit]").tap()
    for attempt in range(5):
        page.wait_for_url("**/sign-in/pin")
        for digit in "0000":
            page.locator(f".keypad [data-key='{digit}']").tap()
        page.locator(".sign-in-button").tap()
        if attempt < 4:
            expect(page.locator(".notice-error")).to_have_text("Badge or PIN not accepted. Try again.")
    expect(page.locator(".notice-error")).to_contain_text("locked for a few minutes")
    for digit in pin:
        page.locator(f".keypad [data-key='{digit}']").tap()
    page.locator(".sign-in-button").tap()
    expect(page.locator(".notice-error")).to_contain_text("locked")


@pytest.fixture
def quick_lock_server(make_app: Callable[..., Flask]) -> Iterator[LiveServer]:
    server = LiveServer(make_app(KIOSK_AUTH_IDLE_LOCK_SECONDS="10")).start()
    yield server
    server.stop()


def test_idle_lock_hides_everything_in_every_tab_and_the_same_pin_resumes(browser: Browser,
                                                                          quick_lock_server: LiveServer) -> None:
    url = quick_lock_server.url
    context = new_touch_context(browser)
    context.clock.install()  # the tabs' clocks run on by themselves, and the test can move them on
    first = context.new_page()
    sign_in(first, url)
    second = context.new_page()
    second.goto(url + "/")
    expect(second.locator(".unit-name")).to_have_text("4 West Medical-Surgical")
    first.goto(url + "/")
    expect(first.locator(".unit-name")).to_have_text("4 West Medical-Surgical")
    # Nobody touches either tab for longer than the limit: both lock, in place.
    context.clock.run_for(11_000)
    for tab in (first, second):
        expect(tab.locator(".lock-veil")).to_be_visible()
        text = tab.inner_text("body")
        assert "Locked for Dana Reyes" in text and "4 West Medical-Surgical" not in text and "Occupied" not in text
        assert tab.url == url + "/"
    save_screenshot(first, "auth-lock-veil")
    # The server holds the session locked: a request of this browser's gets the lock screen.
    assert first.request.get(url + "/").url.endswith("/locked")
    _, pin, _ = CREDENTIALS[Role.UNIT_SECRETARY]
    for digit in pin:
        first.locator(f".lock-veil .keypad [data-key='{digit}']").tap()
    first.locator(".veil-unlock-button").tap()
    for tab in (first, second):  # the PIN typed in one tab lifts the veil of the other too
        expect(tab.locator(".lock-veil")).to_be_hidden()
        expect(tab.locator(".unit-name")).to_have_text("4 West Medical-Surgical")
    context.close()


def test_someone_working_without_requests_is_not_locked(browser: Browser, quick_lock_server: LiveServer) -> None:
    """16 s of touches, one a second, on a page that makes no request of its own; the limit is 10 s. The
    page's clock and the server's move on together, a second at a time, and nothing waits for real time."""
    context = new_touch_context(browser)
    context.clock.install()
    page = context.new_page()
    sign_in(page, quick_lock_server.url)
    expect(page.locator(".unit-name")).to_have_text("4 West Medical-Surgical")
    server_clock = set_app_clock(quick_lock_server.app, TestClock())
    page.clock.pause_at(page.evaluate("Date.now()") / 1000 + 1)
    answered = AnsweredRequests(page)
    for _ in range(16):
        page.locator(".unit-name").tap()
        page.clock.run_for(1000)
        answered.wait()  # the page's "still here" beats reach the server at the second they were sent
        server_clock.advance(1)
    page.goto(quick_lock_server.url + "/")
    expect(page.locator(".unit-name")).to_have_text("4 West Medical-Surgical")
    context.close()


def test_lock_now_and_another_badge_gets_a_fresh_session(page: Page, live_server: LiveServer) -> None:
    sign_in(page, live_server.url, Role.UNIT_SECRETARY)
    page.locator("[data-lock-now]").tap()
    page.locator(".lock-veil").get_by_role("link", name="Someone else").tap()
    page.wait_for_url("**/locked")
    badge, pin, name = CREDENTIALS[Role.CHARGE_NURSE]
    page.locator("#pin").focus()
    scan(page, badge)  # a badge scanned while the PIN field has the focus
    page.wait_for_url("**/sign-in/pin")
    for digit in pin:
        page.locator(f".keypad [data-key='{digit}']").tap()
    page.locator(".sign-in-button").tap()
    expect(page.locator(".who")).to_contain_text(name)
    assert "Dana Reyes" not in page.inner_text("body")


def test_an_administrator_sees_and_acknowledges_a_pin_guessing_alert(page: Page,
                                                                     make_app: Callable[..., Flask]) -> None:
    """Wrong PINs across badges from another station (here through the app directly, from its address on
    the network) raise an alert on the staff page; the administrator acknowledges it with a tap."""
    from tests.integration.auth.test_pin_guessing import try_pin

    app = make_app(KIOSK_WEB_ALLOW_PLAIN_HTTP="true")
    station = app.test_client()
    for i in range(12):
        try_pin(station, f"{300000 + i}", "0000", address="10.20.0.31")
    server = LiveServer(app).start()
    try:
        sign_in(page, server.url, Role.ADMINISTRATOR)
        page.goto(server.url + "/staff/")
        acknowledge_the_alert(page)
    finally:
        server.stop()


def acknowledge_the_alert(page: Page) -> None:
    alert = page.locator(".sign-in-alert")
    expect(alert).to_contain_text("Many wrong PINs from 10.20.0.31")
    save_screenshot(page, "staff-sign-in-alert")
    button = alert.get_by_role("button", name="Acknowledge")
    box = laid_out_box(button)
    assert box and box["height"] >= 48
    button.tap()
    expect(page.locator(".sign-in-alert")).to_have_count(0)


def test_unlocking_in_place_keeps_a_half_filled_form(page: Page, served_unit: tuple[BedUnit, LiveServer]) -> None:
    """A block reason half typed in the bed panel, the lock-now button, polls coming due under the veil
    (the page's clock is moved on; nothing waits for real time), a wrong PIN, then the right one: the
    panel and what was typed are still there, and the block is saved."""
    unit, server = served_unit
    bed = unit.beds(BedState.AVAILABLE, free=True)[0]
    page.clock.install()
    open_board(page, server)
    tile(page, bed.id).tap()
    panel(page).get_by_role("button", name="Block bed").tap()
    panel(page).locator("label.choice", has_text="Other").tap()
    panel(page).locator("#block-reason-other").fill("Call light bro")
    page.locator("[data-lock-now]").tap()
    veil = page.locator(".lock-veil")
    expect(veil).to_be_visible()
    expect(page.locator("#main")).to_be_hidden()
    assert "Call light bro" not in page.inner_text("body") and bed.name not in page.inner_text("body")
    page.clock.run_for(120_000)  # the board's polls come due: none is sent, the page stays
    expect(veil).to_be_visible()
    assert page.url == server.url + "/beds/"
    save_screenshot(page, "auth-lock-veil-over-a-form")
    for digit in "9021":
        veil.locator(f".keypad [data-key='{digit}']").tap()
    veil.locator(".veil-unlock-button").tap()
    expect(veil.locator(".veil-error")).to_contain_text("Badge or PIN not accepted")
    expect(veil).to_be_visible()
    _, pin, _ = CREDENTIALS[Role.UNIT_SECRETARY]
    for digit in pin:
        veil.locator(f".keypad [data-key='{digit}']").tap()
    box = laid_out_box(veil.locator(".veil-unlock-button"))
    assert box and box["height"] >= 48
    veil.locator(".veil-unlock-button").tap()
    expect(veil).to_be_hidden()
    reason = panel(page).locator("#block-reason-other")
    expect(reason).to_have_value("Call light bro")
    reason.fill("Call light broken")
    panel(page).locator("button[type=submit]", has_text="Block bed").tap()
    expect(panel(page).locator(".notice-ok")).to_contain_text("is blocked: Call light broken")
