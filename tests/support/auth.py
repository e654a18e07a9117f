"""Signing in from tests: the demo staff accounts, a Flask test client, and a Playwright page."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from kiosk.auth import Role
from kiosk.auth.services import DEMO_STAFF

#: role -> (badge, PIN, display name)
CREDENTIALS: dict[Role, tuple[str, str, str]] = {role: (badge, pin, name) for badge, name, role, pin, _ in DEMO_STAFF}

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_token(html: str) -> str:
    match = _TOKEN.search(html)
    if not match:
        raise AssertionError("no CSRF token on the page")
    return match.group(1) or match.group(2)


def page_token(client: FlaskClient, path: str = "/") -> str:
    """A CSRF token from a page the client can see (for POSTs in tests)."""
    return csrf_token(client.get(path).get_data(as_text=True))


def sign_in_client(client: FlaskClient, role: Role = Role.UNIT_SECRETARY, pin: str | None = None) -> FlaskClient:
    badge, right_pin, _ = CREDENTIALS[role]
    token = csrf_token(client.get("/sign-in").get_data(as_text=True))
    client.post("/sign-in/badge", data={"badge": badge, "csrf_token": token})
    token = csrf_token(client.get("/sign-in/pin").get_data(as_text=True))
    response = client.post("/sign-in/pin", data={"pin": pin or right_pin, "csrf_token": token})
    if pin is None and response.status_code != 302:
        raise AssertionError(f"sign-in failed with HTTP {response.status_code}")
    return client


def same_browser(app: Flask, client: FlaskClient) -> FlaskClient:
    """The signed-in browser of `client` (its session cookie), its requests reaching `app`: another
    kiosk instance behind a load balancer, or a second connection of the same browser (a double tap)."""
    other = app.test_client()
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name)
    assert cookie is not None
    other.set_cookie(name, cookie.value)
    return other


def sign_in(page, base_url: str, role: Role = Role.UNIT_SECRETARY) -> None:  # type: ignore[no-untyped-def]
    """Sign a Playwright page in the way a person does: badge, then the PIN on the keypad (taps)."""
    badge, pin, _ = CREDENTIALS[role]
    page.goto(base_url + "/sign-in")
    for digit in badge:
        page.locator(f".keypad [data-key='{digit}']").tap()
    page.locator("button[type=submit]").tap()
    page.wait_for_url("**/sign-in/pin")
    for digit in pin:
        page.locator(f".keypad [data-key='{digit}']").tap()
    page.locator(".sign-in-button").tap()
    page.wait_for_url(base_url + "/")
