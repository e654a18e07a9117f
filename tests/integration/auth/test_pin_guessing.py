"""Guessing PINs across badges from one client, through the real app: a growing wait, audited, and an
alert administrators see on the staff page. Time is the app's injected clock (no sleeps)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from kiosk.auth import Role
from tests.integration.auth.test_sign_in import audit_actions
from tests.support.auth import CREDENTIALS, csrf_token, page_token, sign_in_client
from tests.support.clock import TestClock, use_clock


def try_pin(client: FlaskClient, badge: str, pin: str, address: str = "10.20.0.31") -> tuple[int, str]:
    """Badge, then PIN, the way the sign-in pages are used; returns the PIN answer's status and text."""
    env = {"REMOTE_ADDR": address}
    token = csrf_token(client.get("/sign-in", environ_base=env).get_data(as_text=True))
    client.post("/sign-in/badge", data={"badge": badge, "csrf_token": token}, environ_base=env)
    token = csrf_token(client.get("/sign-in/pin", environ_base=env).get_data(as_text=True))
    answer = client.post("/sign-in/pin", data={"pin": pin, "csrf_token": token}, environ_base=env)
    return answer.status_code, answer.get_data(as_text=True)


def guessing_run(app: Flask, clock: TestClock, address: str = "10.20.0.31") -> list[str]:
    """The finding: 176 wrong PINs over 44 sequential badges (4 each) from one client in 66 s."""
    client = app.test_client()
    texts = []
    for i in range(176):
        status, text = try_pin(client, f"{300000 + i // 4}", f"{1000 + i:04d}", address)
        assert status == 401
        texts.append(text)
        clock.advance(66 / 176)
    return texts


def test_guessing_across_badges_is_slowed_audited_and_raised_to_administrators(
        make_app: Callable[..., Flask]) -> None:
    app = make_app(KIOSK_WEB_ALLOW_PLAIN_HTTP="true")
    clock = use_clock(app)
    texts = guessing_run(app, clock)
    checked = [t for t in texts if "Badge or PIN not accepted" in t]
    assert len(checked) <= 15  # 10 free, then waits of 2, 4, 8, 16, 32 s
    assert any("Too many wrong PINs at this kiosk. Wait" in t for t in texts)
    actions = audit_actions(app)
    assert actions.count("pin-failed") == len(checked)
    assert actions.count("sign-in-throttled") == len(checked) - 10
    # Another station is not slowed, and signs in at once.
    other = app.test_client()
    badge, pin, _ = CREDENTIALS[Role.ADMINISTRATOR]
    status, _ = try_pin(other, badge, pin, address="10.20.0.32")
    assert status == 302
    staff_page = other.get("/staff/", environ_base={"REMOTE_ADDR": "10.20.0.32"}).get_data(as_text=True)
    assert "Many wrong PINs from 10.20.0.31" in staff_page
    # An administrator acknowledges the alert; it leaves the page, and the acknowledgement is audited.
    token = page_token(other, "/staff/")
    alert_id = staff_page.split("/staff/alerts/", 1)[1].split("/", 1)[0]
    done = other.post(f"/staff/alerts/{alert_id}/acknowledge", data={"csrf_token": token},
                      environ_base={"REMOTE_ADDR": "10.20.0.32"})
    assert done.status_code == 302
    assert "Many wrong PINs" not in other.get("/staff/", environ_base={"REMOTE_ADDR": "10.20.0.32"}).get_data(
        as_text=True)
    assert "alert-acknowledged" in audit_actions(app)
    # The guessing station itself: the right PIN waits like any other attempt, then works.
    status, text = try_pin(app.test_client(), *CREDENTIALS[Role.UNIT_SECRETARY][:2])
    assert status == 401 and "Too many wrong PINs at this kiosk" in text
    clock.advance(3600)
    status, _ = try_pin(app.test_client(), *CREDENTIALS[Role.UNIT_SECRETARY][:2])
    assert status == 302


def test_only_administrators_see_and_acknowledge_alerts(make_app: Callable[..., Flask]) -> None:
    app = make_app(KIOSK_WEB_ALLOW_PLAIN_HTTP="true")
    clock = use_clock(app)
    for i in range(12):
        try_pin(app.test_client(), f"{300000 + i}", "0000")
        clock.advance(1)
    nurse = sign_in_client(app.test_client(), Role.CHARGE_NURSE)
    page = nurse.get("/staff/")  # a charge nurse sees the locked badges there, not the alerts
    assert page.status_code == 200 and "Many wrong PINs" not in page.get_data(as_text=True)
    assert nurse.post("/staff/alerts/1/acknowledge", data={"csrf_token": page_token(nurse)}).status_code == 403


def test_behind_a_trusted_proxy_each_station_is_its_own_client(make_app: Callable[..., Flask]) -> None:
    """One proxy in front of many stations: the limit follows X-Forwarded-For from that proxy only."""
    app = make_app(KIOSK_WEB_TRUSTED_PROXIES="10.0.0.5")
    clock = use_clock(app)
    proxy = {"REMOTE_ADDR": "10.0.0.5"}

    def via_proxy(station: str, badge: str, pin: str) -> tuple[int, str]:
        client = app.test_client()
        headers = {"X-Forwarded-For": station, "X-Forwarded-Proto": "https"}
        token = csrf_token(client.get("/sign-in", headers=headers, environ_base=proxy).get_data(as_text=True))
        client.post("/sign-in/badge", data={"badge": badge, "csrf_token": token}, headers=headers, environ_base=proxy)
        token = csrf_token(client.get("/sign-in/pin", headers=headers, environ_base=proxy).get_data(as_text=True))
        answer = client.post("/sign-in/pin", data={"pin": pin, "csrf_token": token}, headers=headers,
                             environ_base=proxy)
        return answer.status_code, answer.get_data(as_text=True)

    for i in range(20):
        via_proxy("10.20.0.31", f"{300000 + i}", "0000")
        clock.advance(1)
    assert "Too many wrong PINs at this kiosk" in via_proxy("10.20.0.31", "300100", "0000")[1]
    badge, pin, _ = CREDENTIALS[Role.UNIT_SECRETARY]
    assert via_proxy("10.20.0.32", badge, pin)[0] == 302  # the next station is not held up
