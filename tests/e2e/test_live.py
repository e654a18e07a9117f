"""Live screens in Chromium (kiosk/push, static/js/live.js): the bed board says "Live" while its event
stream is open and redraws when the server's change is pushed, without a poll; a screen the kiosk holds no
stream for says how often it checks."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from flask import Flask
from playwright.sync_api import Page, expect

from kiosk.auth import Role
from kiosk.beds.occupancy import BedState
from kiosk.fhir.gateway import FhirGateway, UnitRef
from kiosk.push.services import notification_token
from tests.support.auth import sign_in
from tests.support.beds import BedUnit, unit_env, unit_gateway
from tests.support.browser import LiveServer, save_screenshot


def serve_unit(gateway: FhirGateway, make_unit: Callable[..., UnitRef], make_app: Callable[..., Flask],
               **env: str) -> tuple[BedUnit, LiveServer]:
    ref = make_unit(12)
    app = make_app(**unit_env(ref), KIOSK_PUSH_WATCH_MS="100", **env)
    return BedUnit(ref=ref, gw=unit_gateway(gateway, ref), app=app), LiveServer(app).start()


def test_a_change_pushed_from_the_server_redraws_a_live_board_without_a_poll(
        page: Page, gateway: FhirGateway, make_unit: Callable[..., UnitRef], make_app: Callable[..., Flask]) -> None:
    # Checks every 600 s: only the push can bring the change within the test.
    unit, server = serve_unit(gateway, make_unit, make_app, KIOSK_BEDS_REFRESH_SECONDS="600")
    try:
        sign_in(page, server.url, Role.UNIT_SECRETARY)
        page.goto(server.url + "/beds/")
        status = page.locator(".board-side .live-status")
        expect(status).to_have_text("Live")
        save_screenshot(page, "live-board")
        bed = unit.beds(BedState.AVAILABLE, free=True)[0]
        polls: list[str] = []
        page.on("request", lambda r: polls.append(r.url) if "/beds/board" in r.url else None)

        unit.act("block", bed_id=bed.id, reason="Pushed to the screen")  # on the server, not through the kiosk
        assert polls == []  # the board asks for nothing on its own
        # What the FHIR server's rest-hook does (tests/integration/push: sekmet-fhir itself).
        token = notification_token(unit.app.secret_key or "")
        assert httpx.post(server.url + "/push/fhir", headers={"Authorization": f"Bearer {token}"}).status_code == 200

        tile = page.locator(f".bed[data-bed-id='{bed.id}']")
        expect(tile).to_contain_text("Blocked")  # redrawn on the census event, not on a check
        assert polls
        expect(status).to_have_text("Live")
        save_screenshot(page, "live-board-pushed")
    finally:
        server.stop()


def test_a_screen_without_a_stream_says_how_often_it_checks(
        page: Page, gateway: FhirGateway, make_unit: Callable[..., UnitRef], make_app: Callable[..., Flask]) -> None:
    _, server = serve_unit(gateway, make_unit, make_app, KIOSK_WEB_EVENT_STREAMS="0")
    try:
        sign_in(page, server.url, Role.UNIT_SECRETARY)
        page.goto(server.url + "/beds/")
        expect(page.locator(".board-side .live-status")).to_have_text("Checking every 15 s")
        page.goto(server.url + "/beds/public")
        expect(page.locator(".public .live-status")).to_have_text("Checking every 15 s")
        save_screenshot(page, "live-public-checking")
    finally:
        server.stop()


def test_the_whiteboard_is_live_and_still_checks_on_its_interval_for_care_teams(
        page: Page, gateway: FhirGateway, make_unit: Callable[..., UnitRef], make_app: Callable[..., Flask]) -> None:
    """Care teams are not in the census: the whiteboard's live check stays at its refresh interval."""
    _, server = serve_unit(gateway, make_unit, make_app)
    try:
        sign_in(page, server.url, Role.CHARGE_NURSE)
        page.goto(server.url + "/whiteboard/")
        expect(page.locator(".wb-updated .live-status")).to_have_text("Live")
        source = page.locator("[data-live]")
        expect(source).to_have_attribute("data-live-check-seconds", "30")
        save_screenshot(page, "live-whiteboard")
    finally:
        server.stop()
