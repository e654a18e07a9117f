"""Browser fixtures: the kiosk served over HTTP and a touch-enabled Chromium page at 1280x800."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from kiosk.fhir.gateway import FhirGateway, UnitRef
from tests.support.beds import BedUnit, unit_env, unit_gateway
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, LiveServer

#: How long an expectation waits for what it expects (a panel, a text) before it fails: the page's own
#: 10 s, not Playwright's 5 s. Three browsers and their kiosks share two cores here; a wait this long
#: ends at the signal, so it costs nothing when the machine is quiet.
expect.set_options(timeout=10_000)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"Chromium is not installed at {CHROMIUM}; run `make test` as root or "
                           "`sudo apt-get install chromium`.")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def served_unit(gateway: FhirGateway, make_unit: Callable[..., UnitRef],
                make_app: Callable[..., Flask]) -> Iterator[tuple[BedUnit, LiveServer]]:
    """A unit of 20 beds of its own on the FHIR server, and a kiosk for it served over HTTP."""
    ref = make_unit(20)
    app = make_app(**unit_env(ref))
    server = LiveServer(app).start()
    yield BedUnit(ref=ref, gw=unit_gateway(gateway, ref), app=app), server
    server.stop()


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    server = LiveServer(app).start()
    yield server
    server.stop()


def new_touch_context(browser: Browser) -> BrowserContext:
    return browser.new_context(viewport=VIEWPORT, has_touch=True, is_mobile=False, locale="en-US",
                               timezone_id="UTC")


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = new_touch_context(browser)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    p = context.new_page()
    p.set_default_timeout(10_000)
    yield p
    p.close()
