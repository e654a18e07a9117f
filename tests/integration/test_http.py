"""The HTTP edge through the real app: ids out of range, foreign origins, Secure cookies and HSTS over
HTTPS (directly or from a trusted proxy), plain HTTP only on loopback."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import IntegerConverter

from kiosk.auth import Role
from tests.support.auth import csrf_token, page_token, sign_in_client

HUGE = "99999999999999999999"


def int_routes(app: Flask) -> list[tuple[str, str]]:
    """Every route with an <int:...> part, as (method, url) with the ids out of range."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not any(isinstance(c, IntegerConverter) for c in rule._converters.values()):
            continue
        url = rule.rule
        for name in rule.arguments:
            url = url.replace(f"<int:{name}>", HUGE).replace(f"<{name}>", "x")
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            routes.append((method, url))
    return routes


def test_ids_out_of_range_are_pages_that_do_not_exist(app: Flask) -> None:
    admin = sign_in_client(app.test_client(), Role.ADMINISTRATOR)
    token = page_token(admin)
    routes = int_routes(app)
    expected = {("GET", f"/labels/jobs/{HUGE}"), ("GET", f"/labels/jobs/{HUGE}/preview.png"),
                ("POST", f"/labels/jobs/{HUGE}/cancel"), ("GET", f"/supplies/check/{HUGE}"),
                ("POST", f"/staff/{HUGE}/disable"), ("POST", f"/staff/{HUGE}/reset-pin")}
    assert expected <= set(routes)
    for method, url in routes:
        for headers in ({}, {"HX-Request": "true"}):
            response = admin.open(url, method=method, data={"csrf_token": token}, headers=headers)
            assert response.status_code == 404, (method, url, headers, response.status_code)
    # The largest id a database column holds is still looked up (and is simply not there).
    assert admin.get(f"/labels/jobs/{2**63 - 1}").status_code == 404
    assert admin.get(f"/labels/jobs/{2**63}").status_code == 404


def _post_lock(client: FlaskClient, **headers: str):  # type: ignore[no-untyped-def]
    return client.post("/lock", data={"csrf_token": page_token(client)}, headers=headers)


def test_a_valid_token_from_another_origin_is_refused(client: FlaskClient) -> None:
    refused = [
        _post_lock(client, Origin="http://evil.example"),
        _post_lock(client, Origin="null"),
        _post_lock(client, Origin="https://localhost"),  # another scheme is another origin
        _post_lock(client, Referer="http://evil.example/page"),
        _post_lock(client, Origin="http://evil.example", **{"HX-Request": "true"}),
    ]
    for response in refused:
        assert response.status_code == 403
        assert "This request came from another site" in response.get_data(as_text=True)
    assert client.get("/").status_code == 200  # nothing was locked
    same = _post_lock(client, Origin="http://localhost")
    assert same.status_code == 302 and same.headers["Location"] == "/locked"


def test_sign_in_from_another_origin_is_refused(anonymous_client: FlaskClient) -> None:
    token = csrf_token(anonymous_client.get("/sign-in").get_data(as_text=True))
    response = anonymous_client.post("/sign-in/badge", data={"badge": "100001", "csrf_token": token},
                                     headers={"Origin": "http://evil.example"})
    assert response.status_code == 403


def test_behind_a_proxy_posts_must_come_from_the_public_origin(make_app: Callable[..., Flask]) -> None:
    app = make_app(KIOSK_WEB_TRUSTED_PROXIES="127.0.0.1", KIOSK_WEB_PUBLIC_ORIGIN="https://kiosk.example.org")
    client = sign_in_client(app.test_client(), Role.UNIT_SECRETARY)
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "10.20.0.31"}
    assert _post_lock(client, Origin="http://localhost", **proxied).status_code == 403
    assert _post_lock(client, Origin="https://kiosk.example.org", **proxied).status_code == 302


def _set_cookie(response) -> str:  # type: ignore[no-untyped-def]
    return "; ".join(response.headers.getlist("Set-Cookie"))


def test_over_https_cookies_are_secure_and_hsts_is_sent(app: Flask) -> None:
    client = app.test_client()
    plain = client.get("/sign-in")
    assert "Secure" not in _set_cookie(plain) and "Strict-Transport-Security" not in plain.headers
    secure = app.test_client().get("/sign-in", base_url="https://localhost")
    assert "Secure" in _set_cookie(secure) and "HttpOnly" in _set_cookie(secure)
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_a_trusted_proxy_that_says_https_gets_secure_cookies(make_app: Callable[..., Flask]) -> None:
    app = make_app(KIOSK_WEB_TRUSTED_PROXIES="10.0.0.5")
    proxied = app.test_client().get("/sign-in", headers={"X-Forwarded-Proto": "https"},
                                    environ_base={"REMOTE_ADDR": "10.0.0.5"})
    assert "Secure" in _set_cookie(proxied) and "Strict-Transport-Security" in proxied.headers
    # The same header from anyone else is ignored: the request is plain HTTP from a LAN address.
    spoofed = app.test_client().get("/sign-in", headers={"X-Forwarded-Proto": "https"},
                                    environ_base={"REMOTE_ADDR": "10.0.0.77"})
    assert spoofed.status_code == 403 and "Secure" not in _set_cookie(spoofed)


@pytest.mark.parametrize(("allow", "status"), [("false", 403), ("true", 200)])
def test_plain_http_from_the_network_needs_the_demo_setting(make_app: Callable[..., Flask], allow: str,
                                                            status: int) -> None:
    app = make_app(KIOSK_WEB_ALLOW_PLAIN_HTTP=allow)
    lan = app.test_client().get("/sign-in", environ_base={"REMOTE_ADDR": "192.168.4.20"})
    assert lan.status_code == status
    if status == 403:
        assert "This kiosk answers over HTTPS only" in lan.get_data(as_text=True)
    assert app.test_client().get("/sign-in", environ_base={"REMOTE_ADDR": "::1"}).status_code == 200
    assert app.test_client().get("/healthz", environ_base={"REMOTE_ADDR": "192.168.4.20"}).status_code == 200
    assert app.test_client().get("/sign-in", base_url="https://localhost",
                                 environ_base={"REMOTE_ADDR": "192.168.4.20"}).status_code == 200
