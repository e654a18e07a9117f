from collections.abc import Callable
from flask import Flask
from playwright.sync_api import Page
from kiosk.auth import Role
from kiosk.fhir.census import unit_census
from tests.support.auth import sign_in
from tests.support.browser import LiveServer, save_screenshot
from tests.support.paging import SmtpSink, load_roles, paging_env


def test_scratch(make_app: Callable[..., Flask], gateway, demo_settings, page: Page) -> None:
    load_roles(gateway, demo_settings)
    smtp = SmtpSink().start()
    app = make_app(**paging_env(smtp.port))
    server = LiveServer(app).start()
    try:
        stay = next(e for e in unit_census(gateway).encounters if e.status == "in-progress" and e.patient)
        sign_in(page, server.url, Role.UNIT_SECRETARY)
        page.goto(f"{server.url}/paging/patients/{stay.patient.split('/')[1]}/encounters/{stay.id}")
        save_screenshot(page, "scratch-compose")
        page.locator(".recipient").first.tap()
        page.locator(".urgency-choice.urgency-stat").tap()
        page.locator(".template-choice", has_text="Patient question").tap()
        page.locator("#free_text").tap()
        page.keyboard.type("BP 82/40 after the dose, please come.")
        page.wait_for_timeout(800)
        save_screenshot(page, "scratch-compose-filled")
        page.locator(".send-button").tap()
        page.wait_for_load_state()
        save_screenshot(page, "scratch-pages")
    finally:
        server.stop()
        smtp.stop()
