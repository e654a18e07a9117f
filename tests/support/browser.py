"""Real Chromium (Debian's /usr/bin/chromium) driven by Playwright, with touch, at 1280x800."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

from flask import Flask
from playwright.sync_api import FloatRect, Locator, Page, Request
from werkzeug.serving import BaseWSGIServer, make_server

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("KIOSK_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = ROOT / "tests" / "artifacts" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}

#: Flags for a closed network and for running as root in CI (see the machine notes).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


class LiveServer:
    """The kiosk app served over real HTTP on a free loopback port, in a background thread."""

    def __init__(self, app: Flask):
        self.app = app
        self._server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)  # the kernel picks the port
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> LiveServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)


class AnsweredRequests:
    """Follows a page's requests so that a test can wait until the server has answered each one, before it
    moves a clock on (a background request the page sent must reach the server at the time it was sent)."""

    def __init__(self, page: Page):
        self._sent: list[Request] = []
        page.on("request", self._on_request)

    def _on_request(self, request: Request) -> None:
        self._sent.append(request)

    def wait(self) -> None:
        while self._sent:
            self._sent.pop(0).response()  # waits for the answer (None if the request failed)


def laid_out_box(locator: Locator) -> FloatRect:
    """The element's box once its page has loaded: a page reached by a tap can be queried before its own
    stylesheet has arrived, and a box measured then is the unstyled one (a 21 px button that is 64 px)."""
    locator.page.wait_for_load_state("load")
    locator.page.evaluate("document.fonts.ready.then(() => true)")
    box = locator.bounding_box()
    assert box is not None, "the element is not on screen"
    return box


def save_screenshot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    """Save a full-viewport PNG under tests/artifacts/screenshots/ (ignored by git) and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name)
    path = SCREENSHOTS / f"{safe}.png"
    page.screenshot(path=str(path))
    return path


def open_workflow(page, label: str) -> None:  # type: ignore[no-untyped-def]
    """Open a workflow from the top bar the way a person does: its link on the bar, or under "More"."""
    on_bar = page.locator(".topnav > .topnav-link", has_text=label)
    if on_bar.count():
        on_bar.tap()
        return
    page.locator(".topnav-more > summary").tap()
    page.locator(".topnav-menu-link", has_text=label).tap()
