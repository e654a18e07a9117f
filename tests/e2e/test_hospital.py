"""The hospital view in real Chromium with touch at 1280x800: from the home screen's panel to every
ward's counts, the kiosk's own ward first and marked, each card a large touch target, then back to the
own ward's bed board. A screenshot lands in tests/artifacts/screenshots/hospital.png."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from kiosk.auth import Role
from kiosk.beds.occupancy import unit_counts
from kiosk.fhir.census import unit_census
from kiosk.fhir.gateway import FhirGateway
from tests.support.auth import sign_in
from tests.support.beds import unit_env, unit_gateway
from tests.support.browser import LiveServer, laid_out_box, save_screenshot
from tests.support.hospital import TestSite, make_site


@pytest.fixture
def served_site(gateway: FhirGateway, make_app: Callable[..., Flask]) -> Iterator[tuple[TestSite, LiveServer]]:
    site = make_site(gateway)
    own = site.add_unit(beds=12)
    for beds in (8, 10, 6, 12, 4, 8, 10, 6):
        site.add_unit(beds=beds)
    site.add_unit(beds=0)
    server = LiveServer(make_app(**unit_env(own))).start()
    yield site, server
    server.stop()


def test_every_ward_on_one_screen_with_touch(page: Page, gateway: FhirGateway,
                                            served_site: tuple[TestSite, LiveServer]) -> None:
    site, server = served_site
    sign_in(page, server.url, Role.UNIT_SECRETARY)
    link = page.locator("#hospital-panel a", has_text="Other units")
    box = laid_out_box(link)
    assert box["height"] >= 48
    save_screenshot(page, "hospital-home")
    page.locator("#hospital-panel a", has_text="Other units").tap()
    expect(page).to_have_url(server.url + "/hospital/")
    cards = page.locator(".hosp-card")
    expect(cards).to_have_count(10)
    own = page.locator(".hosp-card.hosp-own")
    expect(own).to_have_count(1)
    expect(cards.first).to_have_class("hosp-card hosp-own")
    expect(own).to_contain_text("This unit")
    counts = unit_counts(unit_census(unit_gateway(gateway, site.units[0])))
    expect(own.locator("[data-count='occupied'] dd")).to_have_text(str(counts.occupied))
    expect(own.locator("[data-count='available'] dd")).to_have_text(str(counts.available))
    expect(own.locator("[data-count='pending'] dd")).to_have_text(str(counts.pending_admissions))
    for i in range(10):
        box = laid_out_box(cards.nth(i))
        assert box["height"] >= 48 and box["width"] >= 48
    # Ten wards on one screen: nothing runs off the side or below the 800 px screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    last = laid_out_box(cards.nth(9))
    assert last["y"] + last["height"] <= 800
    expect(page.locator("#hosp-region")).to_have_attribute("hx-trigger", "every 30s")
    save_screenshot(page, "hospital")
    own.tap()
    expect(page).to_have_url(server.url + "/beds/")
