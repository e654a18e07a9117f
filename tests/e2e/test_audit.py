"""The audit trail in the browser: a bed blocked with touch is listed by the bed's name, not its server id."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from kiosk.auth import Role
from kiosk.beds.occupancy import BedState
from kiosk.fhir.gateway import FhirGateway, UnitRef
from tests.e2e.test_beds import open_board, panel, tile
from tests.support.beds import BedUnit, unit_env, unit_gateway
from tests.support.browser import LiveServer, save_screenshot


@pytest.fixture
def served_unit(gateway: FhirGateway, make_unit: Callable[..., UnitRef],
                make_app: Callable[..., Flask]) -> Iterator[tuple[BedUnit, LiveServer]]:
    ref = make_unit(20)
    app = make_app(**unit_env(ref))
    server = LiveServer(app).start()
    yield BedUnit(ref=ref, gw=unit_gateway(gateway, ref), app=app), server
    server.stop()


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
