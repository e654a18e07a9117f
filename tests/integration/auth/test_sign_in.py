"""Sign-in, lockout, idle lock, roles and CSRF through the real app (Flask test client)."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import select

from kiosk.audit.services import AuditQuery, action_words, search
from kiosk.auth import Role, roles_required
from kiosk.auth.models import StaffSession
from kiosk.auth.services import disable_account
from kiosk.extensions import database
from kiosk.extensions import settings as current_settings
from tests.support.auth import CREDENTIALS, csrf_token, page_token, sign_in_client
from tests.support.clock import use_clock
from tests.support.http import browser_target


def settings_of(app: Flask):  # type: ignore[no-untyped-def]
    with app.app_context():
        return current_settings()


def audit_actions(app: Flask) -> list[str]:
    with app.app_context(), database().session() as db:
        return [r.action for r in reversed(search(db, AuditQuery()))]


def test_every_page_needs_a_sign_in(anonymous_client: FlaskClient) -> None:
    response = anonymous_client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in")
    htmx = anonymous_client.get("/home/summary", headers={"HX-Request": "true"})
    assert htmx.headers["HX-Redirect"] == "/sign-in"
    assert anonymous_client.get("/healthz").status_code == 200


def test_badge_then_pin_signs_in_and_is_audited(app: Flask, anonymous_client: FlaskClient) -> None:
    client = sign_in_client(anonymous_client, Role.CHARGE_NURSE)
    page = client.get("/").get_data(as_text=True)
    assert "Sam Okoye" in page and "charge nurse" in page
    assert audit_actions(app) == ["sign-in"]


def test_five_wrong_pins_lock_the_badge(app: Flask, anonymous_client: FlaskClient) -> None:
    badge, pin, _ = CREDENTIALS[Role.UNIT_SECRETARY]
    token = csrf_token(anonymous_client.get("/sign-in").get_data(as_text=True))
    anonymous_client.post("/sign-in/badge", data={"badge": badge, "csrf_token": token})
    messages = []
    for _ in range(5):
        token = csrf_token(anonymous_client.get("/sign-in/pin").get_data(as_text=True))
        response = anonymous_client.post("/sign-in/pin", data={"pin": "0000", "csrf_token": token})
        assert response.status_code == 401
        messages.append(response.get_data(as_text=True))
    assert "Badge or PIN not accepted" in messages[0]
    assert "locked for a few minutes" in messages[4]
    token = csrf_token(anonymous_client.get("/sign-in/pin").get_data(as_text=True))
    still = anonymous_client.post("/sign-in/pin", data={"pin": pin, "csrf_token": token})
    assert still.status_code == 401 and "locked" in still.get_data(as_text=True)
    # The right PIN during the lockout is not checked, and the trail says so (not "Wrong PIN").
    assert audit_actions(app) == ["pin-failed"] * 4 + ["badge-locked", "pin-while-locked"]
    with app.app_context(), database().session() as db:
        words = [action_words(r.action) for r in search(db, AuditQuery())]
    assert words[0] == "Tried while the badge was locked (PIN not checked)"


def test_a_disabled_accounts_right_pin_is_recorded_as_what_it_is(app: Flask, anonymous_client: FlaskClient) -> None:
    badge, pin, _ = CREDENTIALS[Role.NURSE]
    with app.app_context(), database().session() as db:
        disable_account(db, badge)
    token = csrf_token(anonymous_client.get("/sign-in").get_data(as_text=True))
    anonymous_client.post("/sign-in/badge", data={"badge": badge, "csrf_token": token})
    token = csrf_token(anonymous_client.get("/sign-in/pin").get_data(as_text=True))
    refused = anonymous_client.post("/sign-in/pin", data={"pin": pin, "csrf_token": token})
    # The screen says no more than for a wrong PIN; the trail says what it was.
    assert refused.status_code == 401 and "Badge or PIN not accepted" in refused.get_data(as_text=True)
    token = csrf_token(anonymous_client.get("/sign-in/pin").get_data(as_text=True))
    anonymous_client.post("/sign-in/pin", data={"pin": "9021", "csrf_token": token})
    assert audit_actions(app) == ["pin-account-disabled", "pin-failed"]
    assert action_words("pin-account-disabled") == "Right PIN, but the account is disabled"


def test_a_post_without_the_csrf_token_is_refused(client: FlaskClient) -> None:
    refused = client.post("/lock")
    assert refused.status_code == 400 and "This form has expired" in refused.get_data(as_text=True)
    token = page_token(client)
    accepted = client.post("/lock", headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert accepted.status_code == 200 and accepted.headers["HX-Redirect"] == "/locked"


def test_an_idle_screen_is_locked_by_the_server_and_the_same_pin_resumes(app: Flask, client: FlaskClient) -> None:
    clock = use_clock(app)
    client.get("/")
    clock.advance(400)
    polled = client.get("/home/summary", headers={"HX-Request": "true", "HX-Current-URL": "http://kiosk/"})
    assert polled.headers["HX-Redirect"] == "/locked"
    locked = client.get("/")
    assert locked.status_code == 302 and locked.headers["Location"].endswith("/locked")
    page = client.get("/locked").get_data(as_text=True)
    assert "Kiosk locked" in page and "4 West Medical-Surgical" not in page
    _, pin, _ = CREDENTIALS[Role.UNIT_SECRETARY]
    resumed = client.post("/unlock", data={"pin": pin, "csrf_token": csrf_token(page)})
    assert resumed.status_code == 302 and resumed.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    assert "lock" not in audit_actions(app)  # the server locked it, nobody pressed Lock
    assert audit_actions(app)[-1] == "unlock"


def is_locked(app: Flask) -> bool:
    with app.app_context(), database().session() as db:
        return all(s.locked for s in db.scalars(select(StaffSession).where(StaffSession.ended_at.is_(None))))


def test_polls_saying_idle_0_do_not_keep_a_session_alive(app: Flask, client: FlaskClient) -> None:
    """A page's polls (here with the idle time the page used to report, forged to 0) are not someone at
    the screen: the session locks three minutes after the last real request."""
    clock = use_clock(app)
    client.get("/")
    for _ in range(11):  # 165 s of polls
        clock.advance(15)
        poll = client.get("/supplies/alert", headers={"HX-Request": "true", "X-Kiosk-Idle": "0"})
        assert poll.status_code == 200 and not is_locked(app)
    clock.advance(15)
    poll = client.get("/supplies/alert", headers={"HX-Request": "true", "X-Kiosk-Idle": "0"})
    assert poll.headers["HX-Redirect"] == "/locked" and is_locked(app)


def test_a_script_beating_the_heartbeat_gets_a_bounded_time(app: Flask, client: FlaskClient) -> None:
    """Heartbeats (and polls) every 10 s, forever: believed for auth.touch_grace_seconds after the last
    real request, so the session still locks, at grace + idle limit."""
    rules = settings_of(app).auth
    clock = use_clock(app)
    client.get("/")
    elapsed = 0
    while not is_locked(app) and elapsed < 3 * 3600:
        clock.advance(10)
        elapsed += 10
        client.get("/session/alive", headers={"HX-Request": "true", "X-Kiosk-Idle": "0"})
        client.get("/supplies/alert", headers={"HX-Request": "true", "X-Kiosk-Idle": "0"})
    assert elapsed == rules.touch_grace_seconds + rules.idle_lock_seconds


def test_the_heartbeat_keeps_a_busy_page_unlocked_and_a_save_lands(app: Flask, client: FlaskClient) -> None:
    """Typing a count for minutes makes no requests; the page's heartbeat reports the touches."""
    clock = use_clock(app)
    client.get("/")
    for _ in range(6):
        clock.advance(100)  # 100 s since the last beat, the person kept touching the screen
        beat = client.get("/session/alive", headers={"HX-Request": "true"})
        assert beat.status_code == 204
    assert client.get("/").status_code == 200  # ten minutes on: still signed in and unlocked


def test_a_heartbeat_from_an_idle_screen_locks(app: Flask, client: FlaskClient) -> None:
    clock = use_clock(app)
    client.get("/")
    clock.advance(200)
    beat = client.get("/session/alive", headers={"HX-Request": "true"})
    assert beat.headers["HX-Redirect"] == "/locked"


def test_another_badge_on_the_lock_screen_starts_a_fresh_session(app: Flask, client: FlaskClient) -> None:
    token = page_token(client)
    client.post("/lock", data={"csrf_token": token})
    page = client.get("/locked").get_data(as_text=True)
    badge, pin, name = CREDENTIALS[Role.CHARGE_NURSE]
    client.post("/sign-in/badge", data={"badge": badge, "csrf_token": csrf_token(page)})
    token = csrf_token(client.get("/sign-in/pin").get_data(as_text=True))
    client.post("/sign-in/pin", data={"pin": pin, "csrf_token": token})
    home = client.get("/").get_data(as_text=True)
    assert name in home and "Dana Reyes" not in home
    with app.app_context(), database().session() as db:
        sessions = list(db.scalars(select(StaffSession).order_by(StaffSession.started_at)))
    assert len(sessions) == 2
    assert sessions[0].ended_at is not None  # the secretary's sign-in is over, nothing of it carries over
    assert sessions[1].ended_at is None and not sessions[1].locked


def test_roles_are_checked_by_the_server(make_app: Callable[..., Flask]) -> None:
    app = make_app()

    @app.post("/test-only/cosign")
    @roles_required(Role.PROVIDER, what="co-sign an order")
    def cosign() -> str:
        return "co-signed"

    secretary = sign_in_client(app.test_client(), Role.UNIT_SECRETARY)
    refused = secretary.post("/test-only/cosign", data={"csrf_token": page_token(secretary)})
    assert refused.status_code == 403
    assert "Only a provider may co-sign an order." in refused.get_data(as_text=True)
    provider = sign_in_client(app.test_client(), Role.PROVIDER)
    assert provider.post("/test-only/cosign", data={"csrf_token": page_token(provider)}).data == b"co-signed"
    assert "refused" in audit_actions(app)


def test_only_reviewers_see_the_audit_trail(signed_in_client: Callable[[Role], FlaskClient]) -> None:
    secretary = signed_in_client(Role.UNIT_SECRETARY)
    refused = secretary.get("/audit/")
    assert refused.status_code == 403
    assert "Only a charge nurse or an administrator may read the audit trail." in refused.get_data(as_text=True)
    home = secretary.get("/").get_data(as_text=True)
    assert 'href="/audit/"' not in home and 'href="/staff/"' not in home  # neither menu nor home tiles offer it
    nurse = signed_in_client(Role.CHARGE_NURSE)
    assert nurse.get("/audit/").status_code == 200


def test_session_cookie_flags(anonymous_client: FlaskClient) -> None:
    token = csrf_token(anonymous_client.get("/sign-in").get_data(as_text=True))
    response = anonymous_client.post("/sign-in/badge", data={"badge": "100001", "csrf_token": token})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_secure_cookies_when_configured(make_app: Callable[..., Flask]) -> None:
    app = make_app(KIOSK_WEB_SECURE_COOKIES="true")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    with app.test_request_context():
        assert url_for("auth.sign_in") == "/sign-in"


def test_every_page_but_the_public_ones_needs_a_sign_in(app: Flask, anonymous_client: FlaskClient) -> None:
    from kiosk.auth.session import _is_public

    checked = 0
    with app.test_request_context():
        rules = [r for r in app.url_map.iter_rules() if r.endpoint != "static"]
    for rule in rules:
        with app.test_request_context():
            if _is_public(rule.endpoint):
                continue
        url = rule.rule
        for arg in rule.arguments:
            url = url.replace(f"<{arg}>", "x").replace(f"<int:{arg}>", "1")
        url = re.sub(r"<[^>]+>", "x", url)
        method = "GET" if "GET" in rule.methods else "POST"
        response = anonymous_client.open(url, method=method)
        assert response.status_code in (302, 400), (rule.endpoint, response.status_code)
        if response.status_code == 302:
            assert response.headers["Location"].endswith("/sign-in"), rule.endpoint
        checked += 1
    assert checked > 20


def test_a_missing_page_keeps_the_signed_in_header(client: FlaskClient) -> None:
    page = client.get("/no-such-page")
    html = page.get_data(as_text=True)
    assert page.status_code == 404 and "This page does not exist" in html and "Dana Reyes" in html
    assert "Try again" not in html


def test_the_return_path_after_unlock_stays_on_this_site(client: FlaskClient) -> None:
    """A return path sent in the lock form or the htmx header is parsed as a browser would read it."""
    _, pin, _ = CREDENTIALS[Role.UNIT_SECRETARY]
    sent = [({"return_to": "/\t/evil.example/x"}, {}), ({"return_to": "/\n/x"}, {}),
            ({"return_to": "/\\evil.example"}, {}),
            ({}, {"HX-Request": "true", "HX-Current-URL": "http://kiosk//evil.example/x"}),
            ({"return_to": "/beds/"}, {})]
    targets = []
    for form, headers in sent:
        client.post("/lock", data={"csrf_token": page_token(client), **form}, headers=headers)
        locked = client.get("/locked").get_data(as_text=True)
        back = client.post("/unlock", data={"pin": pin, "csrf_token": csrf_token(locked)})
        assert back.status_code == 302
        targets.append(back.headers["Location"])
    assert [browser_target(t) for t in targets] == ["kiosk"] * len(sent)
    assert targets[-1] == "/beds/"


def test_locking_and_unlocking_in_place_answer_without_a_page(app: Flask, client: FlaskClient) -> None:
    token = page_token(client)
    in_place = {"X-CSRFToken": token, "X-Lock-In-Place": "1"}
    locked = client.post("/lock", headers=in_place)
    assert locked.status_code == 204
    assert client.get("/").headers["Location"].endswith("/locked")  # the server holds the session locked
    wrong = client.post("/unlock", data={"pin": "9021", "csrf_token": token}, headers=in_place)
    assert wrong.status_code == 401 and wrong.mimetype == "text/plain"
    assert wrong.get_data(as_text=True) == "Badge or PIN not accepted. Try again."
    empty = client.post("/unlock", data={"pin": "", "csrf_token": token}, headers=in_place)
    assert empty.status_code == 400 and empty.get_data(as_text=True) == "Enter your PIN."
    _, pin, _ = CREDENTIALS[Role.UNIT_SECRETARY]
    right = client.post("/unlock", data={"pin": pin, "csrf_token": token}, headers=in_place)
    assert right.status_code == 204
    assert client.get("/").status_code == 200
    assert audit_actions(app)[-3:] == ["lock", "pin-failed", "unlock"]
