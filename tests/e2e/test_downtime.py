"""The downtime census in real Chromium with touch at 1280x800: the FHIR server (behind a proxy) stops
answering, the board keeps the last census, marked and read-only, the census sheet's link answers a PDF,
and the board is live again at the first poll after the server comes back. Polls are triggered (htmx),
never waited for."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from kiosk.beds.downtime import READ_ONLY
from kiosk.beds.occupancy import BedState
from kiosk.fhir.gateway import FhirGateway, UnitRef
from tests.e2e.test_beds import open_board, panel, tile
from tests.support.beds import BedUnit, unit_env, unit_gateway
from tests.support.browser import LiveServer, laid_out_box, save_screenshot
from tests.support.outage_proxy import OutageProxy
from tests.support.sekmet import SekmetServer


@pytest.fixture
def outage(sekmet: SekmetServer) -> Iterator[OutageProxy]:
    proxy = OutageProxy(sekmet.base_url).start()
    yield proxy
    proxy.stop()


def poll(page: Page) -> int:
    """Ask the board's poll now (as its timer would) and answer its status: 200 with a new board, or 204
    when the timer's own poll already drew it (the board on screen is then checked)."""
    with page.expect_response(lambda r: r.url.endswith("/beds/board")) as answer:
        page.evaluate("htmx.trigger(document.body, 'board-changed')")
    return answer.value.status


def test_the_board_keeps_the_last_census_while_the_server_is_down_and_is_live_again_after(
        page: Page, outage: OutageProxy, gateway: FhirGateway, make_unit: Callable[..., UnitRef],
        make_app: Callable[..., Flask]) -> None:
    ref = make_unit(20)
    app = make_app(**unit_env(ref), KIOSK_FHIR_BASE_URL=outage.base_url)
    unit = BedUnit(ref=ref, gw=unit_gateway(gateway, ref))
    bed = next(t for t in unit.beds(BedState.OCCUPIED) if t.patient is not None)
    assert bed.patient is not None
    server = LiveServer(app).start()
    try:
        open_board(page, server)
        expect(page.locator("#board-downtime")).to_have_count(0)

        outage.go_down()
        assert poll(page) in (200, 204)
        banner = page.locator("#board-downtime")
        expect(banner).to_contain_text("FHIR server unreachable since")
        expect(banner).to_contain_text("census as of")
        expect(tile(page, bed.id)).to_contain_text(bed.patient.short_name)
        expect(page.locator(".bed")).to_have_count(20)
        save_screenshot(page, "beds-downtime-board")
        tile(page, bed.id).tap()
        expect(panel(page)).to_contain_text(bed.patient.name)
        expect(panel(page)).to_contain_text(READ_ONLY)
        expect(panel(page).locator(".panel-actions")).to_have_count(0)
        expect(panel(page).locator(".panel-section")).to_have_count(0)  # no other workflow asks the server
        expect(panel(page).locator(".patient-links")).to_have_count(0)
        save_screenshot(page, "beds-downtime-panel")

        link = banner.get_by_role("link", name="Print the census sheet")
        box = laid_out_box(link)
        assert box["height"] >= 48
        sheet = page.request.get(server.url + (link.get_attribute("href") or ""))
        assert sheet.status == 200, sheet.text()[-3000:]
        assert sheet.headers["content-type"] == "application/pdf"
        assert sheet.body().startswith(b"%PDF")

        outage.come_back()
        assert poll(page) in (200, 204)
        expect(page.locator("#board-downtime")).to_have_count(0)
        tile(page, bed.id).tap()
        expect(panel(page).locator(".panel-actions button").first).to_be_visible()
        expect(panel(page)).not_to_contain_text(READ_ONLY)
    finally:
        server.stop()
