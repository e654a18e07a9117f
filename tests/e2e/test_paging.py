"""Paging with touch in real Chromium: a secretary pages a patient's attending from the bed board and sees
the acknowledgement arrive; the person paged acknowledges on their phone with the link in the message."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from kiosk.auth import Role
from kiosk.config import Settings
from kiosk.fhir.census import unit_census
from kiosk.fhir.gateway import FhirGateway
from tests.e2e.conftest import new_touch_context
from tests.support.auth import sign_in
from tests.support.browser import LiveServer, laid_out_box, save_screenshot
from tests.support.paging import SmtpSink, load_roles, paging_env

LINK = re.compile(r"http://kiosk\.test(/paging/a/[0-9a-f]{12}-\d+\.[\w-]{12})")


@pytest.fixture
def paging_server(make_app: Callable[..., Flask], gateway: FhirGateway, demo_settings: Settings,
                  smtp: SmtpSink) -> Iterator[LiveServer]:
    load_roles(gateway, demo_settings)
    server = LiveServer(make_app(**paging_env(smtp.port))).start()
    yield server
    server.stop()


def test_a_secretary_pages_the_attending_and_sees_the_acknowledgement_arrive(
        page: Page, browser: Browser, paging_server: LiveServer, smtp: SmtpSink, gateway: FhirGateway) -> None:
    census = unit_census(gateway)
    stay = next(e for e in census.encounters if e.status == "in-progress" and e.patient
                and e.locations_with("active"))
    bed_id = stay.locations_with("active")[0].location.split("/")[1]
    sign_in(page, paging_server.url, Role.UNIT_SECRETARY)
    page.goto(paging_server.url + "/beds/")
    page.locator(f".bed[data-bed-id='{bed_id}']").tap()
    page.locator(".patient-links a", has_text="Page a provider").tap()
    expect(page.locator(".compose")).to_be_visible()
    attending = page.locator(".recipient").first
    expect(attending.locator(".recipient-role")).to_contain_text("Attending")
    name = attending.locator(".recipient-name").inner_text()
    attending.tap()
    page.locator(".urgency-choice.urgency-urgent").tap()
    page.locator(".template-choice", has_text="Patient question").tap()
    page.locator("#free_text").tap()
    page.keyboard.type("Pain 8/10 despite oxycodone.", delay=10)
    expect(page.locator("[data-preview]")).to_contain_text("Pain 8/10 despite oxycodone. Call 4 West at 4321.")
    preview = page.locator("[data-preview]").inner_text()
    for target in (".send-button", ".recipient", ".urgency-choice", ".template-choice"):
        box = laid_out_box(page.locator(target).first)
        assert box and box["height"] >= 48, target
    save_screenshot(page, "paging-compose")
    page.locator(".send-button").tap()
    expect(page.locator(".notice-ok")).to_contain_text("Page sent")
    card = page.locator(".page-card").first
    expect(card).to_contain_text(name)
    expect(card.locator(".step-status").first).to_have_text("Sent")
    save_screenshot(page, "paging-waiting")
    [mail] = smtp.wait_for(1)
    assert " ".join(mail.body.split()) == " ".join(preview.split())  # the pager shows what the screen showed

    phone = new_touch_context(browser).new_page()  # the attending's phone: not signed in
    try:
        phone.goto(paging_server.url + LINK.search(mail.body).group(1))
        expect(phone.locator(".ack-title")).to_have_text("A page from 4 West")
        save_screenshot(phone, "paging-ack-ask")
        phone.locator(".ack-button").tap()
        expect(phone.locator(".ack-title")).to_have_text("Acknowledged.")
        expect(phone.locator(".ack-call")).to_have_text("Call 4 West at 4321.")
        save_screenshot(phone, "paging-ack-done")
    finally:
        phone.context.close()

    answered = page.locator(".recent-row").first  # the screen polls: the acknowledgement arrives by itself
    expect(answered).to_contain_text("Acknowledged", timeout=15_000)
    expect(answered).to_contain_text(name)
    expect(page.locator(".page-card")).to_have_count(0)
    save_screenshot(page, "paging-acknowledged")
