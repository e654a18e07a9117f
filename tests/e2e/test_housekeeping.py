"""Housekeeping in real Chromium with touch: the desk makes a dirty bed's cleaning job stat; a
housekeeper on a 390x844 phone starts it and finishes it; the bed board at the desk shows who is
cleaning, then the bed available; the charge nurse reads the figures. Screenshots of the phone, the
desk's list, the tile and the figures land in tests/artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect

from kiosk.auth import Role
from kiosk.beds.occupancy import BedState
from kiosk.fhir import codes
from kiosk.fhir.gateway import FhirGateway, UnitRef
from tests.support.auth import sign_in
from tests.support.beds import BedUnit, unit_env, unit_gateway
from tests.support.browser import LiveServer, laid_out_box, save_screenshot

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def served(gateway: FhirGateway, make_unit: Callable[..., UnitRef],
           make_app: Callable[..., Flask]) -> Iterator[tuple[BedUnit, LiveServer]]:
    ref = make_unit(16)
    app = make_app(**unit_env(ref))
    server = LiveServer(app).start()
    yield BedUnit(ref=ref, gw=unit_gateway(gateway, ref), app=app), server
    server.stop()


@pytest.fixture
def phone(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, locale="en-US", timezone_id="UTC")
    yield ctx
    ctx.close()


def test_a_housekeeper_starts_and_finishes_a_clean_on_a_phone(page: Page, phone: BrowserContext,
                                                              served: tuple[BedUnit, LiveServer]) -> None:
    unit, server = served
    bed = next(t for t in unit.beds(BedState.HOUSEKEEPING) if t.cleaning_tasks)

    # The desk raises the job to stat: a patient is waiting for this bed.
    sign_in(page, server.url, Role.UNIT_SECRETARY)
    page.goto(server.url + "/housekeeping/")
    page.locator(f".hk-card[data-bed-id='{bed.id}'] button", has_text="Make stat").tap()
    expect(page.locator(".notice-ok")).to_contain_text(f"The cleaning of bed {bed.name} is now stat")
    expect(page.locator(f".hk-card[data-bed-id='{bed.id}'] .hk-tag-stat")).to_be_visible()

    mobile = phone.new_page()
    mobile.set_default_timeout(10_000)
    sign_in(mobile, server.url, Role.HOUSEKEEPER)
    mobile.locator("a", has_text="My jobs").first.tap()  # the housekeeper's tile on the home screen
    expect(mobile).to_have_url(server.url + "/housekeeping/jobs")
    card = mobile.locator(f".hk-card[data-bed-id='{bed.id}']")
    expect(card).to_contain_text("Waiting")
    expect(card.locator(".hk-tag-stat")).to_be_visible()
    width = mobile.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    box = laid_out_box(card.locator("button", has_text="Start"))
    assert box and box["height"] >= 48
    save_screenshot(mobile, "housekeeping-phone-waiting")

    card.locator("button", has_text="Start").tap()
    expect(mobile.locator(".notice-ok")).to_contain_text(f"You are cleaning bed {bed.name}")
    card = mobile.locator(f".hk-card[data-bed-id='{bed.id}']")
    expect(card).to_contain_text("Rosa Mendes cleaning")
    save_screenshot(mobile, "housekeeping-phone-cleaning")

    # The desk sees who is cleaning, on the bed board's tile and on the housekeeping list.
    page.goto(server.url + "/beds/")
    expect(page.locator(f".bed[data-bed-id='{bed.id}']")).to_contain_text("Rosa cleaning")
    save_screenshot(page, "housekeeping-board-tile")
    page.goto(server.url + "/housekeeping/")
    expect(page.locator(f".hk-card[data-bed-id='{bed.id}']")).to_contain_text("Rosa Mendes cleaning")
    save_screenshot(page, "housekeeping-desk")

    card.locator("button", has_text="Done").tap()
    expect(mobile.locator(".notice-ok")).to_contain_text(f"Bed {bed.name} is clean and available")
    expect(mobile.locator(f".hk-card[data-bed-id='{bed.id}']")).to_have_count(0)
    save_screenshot(mobile, "housekeeping-phone-done")
    assert unit.read("Location", bed.id)["operationalStatus"]["code"] == codes.BED_UNOCCUPIED

    # The charge nurse's figures count the finished stat job as a routine clean.
    sign_in(page, server.url, Role.CHARGE_NURSE)
    page.goto(server.url + "/housekeeping/figures")
    expect(page.locator(".hk-table").first.locator("tr", has_text="Routine clean")).to_contain_text("1")
    save_screenshot(page, "housekeeping-figures")
