"""The charge nurse, with touch at 1280x800, opens the bed requests, assigns a suggested bed, and the bed
board shows it reserved; the sending side's page says "Bed assigned"."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from kiosk.auth import Role
from kiosk.fhir.gateway import FhirGateway, UnitRef
from tests.support.auth import sign_in
from tests.support.beds import unit_env, unit_gateway
from tests.support.browser import LiveServer, laid_out_box, save_screenshot
from tests.support.placement import PlacementUnit


@pytest.fixture
def served(gateway: FhirGateway, make_unit: Callable[..., UnitRef],
           make_app: Callable[..., Flask]) -> Iterator[tuple[PlacementUnit, LiveServer]]:
    ref = make_unit(32)
    app = make_app(**unit_env(ref))
    server = LiveServer(app).start()
    yield PlacementUnit(ref=ref, gw=unit_gateway(gateway, ref), app=app), server
    server.stop()


def test_the_charge_nurse_assigns_a_suggested_bed_and_the_board_shows_it_reserved(
        served: tuple[PlacementUnit, LiveServer], page: Page) -> None:
    unit, server = served
    task_id = unit.add(needs=("telemetry",))
    unit.add(needs=("isolation-contact",), gender="male", origin="recovery")
    sign_in(page, server.url, Role.CHARGE_NURSE)
    page.goto(server.url + "/placement/")
    card = page.locator(f'.placement-card:has(a[href="/placement/{task_id}"])')
    expect(card).to_contain_text("Waiting for a bed")
    save_screenshot(page, "placement-list")
    card.locator("a", has_text="Assign bed").tap()
    first = page.locator(".placement-bed").first
    expect(first).to_be_visible()
    box = laid_out_box(first)
    assert box["height"] >= 48
    save_screenshot(page, "placement-assign")
    bed_name = first.get_attribute("data-bed")
    bed_id = first.locator("xpath=..").locator('input[name="bed"]').get_attribute("value")
    first.tap()
    expect(page.locator(".notice-ok")).to_contain_text(f"Bed {bed_name} is assigned")
    expect(card).to_contain_text(f"Bed assigned {bed_name}")
    save_screenshot(page, "placement-list-assigned")
    page.goto(server.url + "/beds/")
    tile = page.locator(f'.bed[data-bed-id="{bed_id}"]')
    expect(tile).to_contain_text("Reserved")
    page.goto(f"{server.url}/placement/{task_id}")
    expect(page.locator(".placement-big")).to_contain_text(f"Bed assigned {bed_name}")
    save_screenshot(page, "placement-status")


def test_a_request_is_declined_with_a_reason_typed_on_the_touch_screen(
        served: tuple[PlacementUnit, LiveServer], page: Page) -> None:
    unit, server = served
    task_id = unit.add(needs=("bariatric",), origin="direct")
    sign_in(page, server.url, Role.UNIT_SECRETARY)
    page.goto(f"{server.url}/placement/{task_id}/assign")
    page.locator(".placement-decline button[type=submit]").tap()
    expect(page.locator("#reason-error")).to_contain_text("Say why")
    page.locator("#reason").tap()
    page.keyboard.type("No bariatric frame on the unit", delay=20)
    save_screenshot(page, "placement-decline")
    page.locator(".placement-decline button[type=submit]").tap()
    expect(page.locator(".notice-ok")).to_contain_text("is declined")
    page.goto(f"{server.url}/placement/{task_id}")
    expect(page.locator(".placement-big")).to_contain_text("Declined: No bariatric frame on the unit")
