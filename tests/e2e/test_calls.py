"""Call lights with touch in real Chromium: a call raised by the nurse-call simulator (a process of its
own) appears by itself, rings a bell on its bed's tile, is paged to a nurse in two taps and answered at
the bedside; a call logged at the kiosk in two taps; the figures of the shift."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from kiosk.auth import Role
from kiosk.config import Settings
from kiosk.fhir.census import unit_census
from kiosk.fhir.gateway import FhirGateway
from tests.support.auth import sign_in
from tests.support.browser import LiveServer, laid_out_box, open_workflow, save_screenshot
from tests.support.paging import SmtpSink, WebhookReceiver, load_roles, paging_env

ROOT = Path(__file__).resolve().parents[2]
SECRET = "nurse-call-shared-secret-e2e-0001"


@pytest.fixture
def receivers(smtp: SmtpSink, webhook: WebhookReceiver) -> tuple[SmtpSink, WebhookReceiver]:
    return smtp, webhook


@pytest.fixture
def calls_server(make_app: Callable[..., Flask], gateway: FhirGateway, demo_settings: Settings,
                 receivers: tuple[SmtpSink, WebhookReceiver]) -> Iterator[LiveServer]:
    load_roles(gateway, demo_settings)
    smtp, webhook = receivers
    server = LiveServer(make_app(**paging_env(smtp.port, webhook.url), KIOSK_CALLS_WEBHOOK_SECRET=SECRET)).start()
    yield server
    server.stop()


def simulate(server: LiveServer, *args: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "nurse_call_simulator.py"), "--kiosk", server.url,
                           "--secret", SECRET, *args], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


def test_a_call_light_from_the_simulator_is_paged_and_answered(page: Page, calls_server: LiveServer,
                                                               receivers: tuple[SmtpSink, WebhookReceiver],
                                                               gateway: FhirGateway) -> None:
    census = unit_census(gateway)
    occupied = {loc.location for e in census.encounters if e.status == "in-progress"
                for loc in e.locations_with("active")}
    bed = next(b for b in census.beds if b.reference in occupied)
    sign_in(page, calls_server.url, Role.UNIT_SECRETARY)
    open_workflow(page, "Call lights")
    expect(page.locator("#open-calls-title")).to_contain_text("Waiting")

    simulate(calls_server, "call", "--bed", bed.identifier, "--reason", "iv-pump", "--id", "e2e-call-1")
    card = page.locator(f".call-card[data-bed='{bed.name}']")
    expect(card).to_contain_text("IV pump alarm", timeout=15_000)  # the open calls are polled
    expect(card).to_contain_text("nurse call")
    save_screenshot(page, "calls-waiting")

    page.goto(calls_server.url + "/beds/")
    mark = page.locator(f".bed[data-bed-id='{bed.id}'] .mark-call")
    expect(mark).to_have_text("Call: IV pump")
    bell = mark.evaluate("e => { const s = getComputedStyle(e, '::before'); return s.maskImage || s.webkitMaskImage; }")
    assert "svg" in bell  # the bell is drawn before the words
    save_screenshot(page, "calls-bed-board-bell")

    page.goto(calls_server.url + "/calls/")
    card.locator("a", has_text="Page the nurse").tap()
    expect(page.locator(".page-title")).to_contain_text(f"Page a nurse about {bed.name}")
    save_screenshot(page, "calls-choose-nurse")
    page.locator(".nurse-button", has_text="Lena Ortiz").tap()
    expect(page.locator(".notice-ok")).to_contain_text("Paged Lena Ortiz")
    expect(card).to_contain_text("Paged Lena Ortiz")
    _smtp, webhook = receivers
    [post] = webhook.wait_for(1)
    assert post.json["urgency"] == "urgent" and "Call light: IV pump alarm." in post.json["text"]
    save_screenshot(page, "calls-paged")

    simulate(calls_server, "clear", "--id", "e2e-call-1", "--by", "Lena Ortiz")  # the nurse at the bedside
    expect(page.locator(f".call-card[data-bed='{bed.name}']")).to_have_count(0, timeout=15_000)
    answered = page.locator(".answered-row").first
    expect(answered).to_contain_text(bed.name)
    expect(answered).to_contain_text("Lena Ortiz")
    expect(answered.locator(".call-page")).to_contain_text("Paged Lena Ortiz")
    save_screenshot(page, "calls-answered")


def test_an_emergency_logged_in_two_taps_goes_on_top_and_the_figures_count_it(page: Page, calls_server: LiveServer,
                                                                              gateway: FhirGateway) -> None:
    census = unit_census(gateway)
    occupied = {loc.location for e in census.encounters if e.status == "in-progress"
                for loc in e.locations_with("active")}
    beds = [b for b in census.beds if b.reference in occupied]
    sign_in(page, calls_server.url, Role.UNIT_SECRETARY)
    page.goto(calls_server.url + "/calls/")
    for bed, reason in ((beds[1], "Bathroom"), (beds[2], "Emergency")):
        page.locator(f".bed-choice:has(input[value='{bed.id}'])").tap()
        page.locator(".reason-button", has_text=reason).tap()
        expect(page.locator(f".call-card[data-bed='{bed.name}']")).to_be_visible()
    first = page.locator(".call-card").first
    expect(first).to_have_class(re.compile(r"is-emergency"))
    expect(first).to_contain_text(beds[2].name)
    for target in (".bed-choice", ".reason-button", ".call-actions .button"):
        box = laid_out_box(page.locator(target).first)
        assert box and box["height"] >= 48, target
    save_screenshot(page, "calls-emergency-on-top")
    page.locator(f".call-card[data-bed='{beds[1].name}'] button", has_text="Answered").tap()
    expect(page.locator(".notice-ok")).to_contain_text(f"The call from {beds[1].name} is answered.")
    page.locator("a", has_text="Figures per shift").tap()
    expect(page.locator(".figure-n").first).to_have_text("2")
    expect(page.locator(".figures-chart")).to_be_visible()
    save_screenshot(page, "calls-figures")
