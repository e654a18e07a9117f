"""The HTTP edge on plain data: return paths, trusted proxies, origins."""

from __future__ import annotations

from typing import Any

import pytest

from kiosk.config import WebSettings, proxy_networks
from kiosk.http import TrustedProxies, same_site_path
from tests.support.http import browser_target


@pytest.mark.parametrize(("raw", "expected"), [
    ("/beds/", "/beds/"),
    ("/labels/jobs/12", "/labels/jobs/12"),
    ("/beds/bed/B-1?open=x", "/beds/bed/B-1"),
    ("/bëds/", "/b%C3%ABds/"),
    ("//evil.example/x", None),
    ("/\\evil.example", None),
    ("\\\\evil.example", None),
    ("https://evil.example/", None),
    ("/\t/evil.example/x", None),
    ("/\n/x", None),
    ("/\r\n/x", None),
    (" //evil.example", None),
    ("\x00/x", "/x"),
    ("/x\x00y", None),
    ("/x\x7fy", None),
    ("javascript:alert(1)", None),
    ("beds/", None),
    ("", None),
    (None, None),
    ("/" + "a" * 400, None),
])
def test_only_same_site_paths_are_followed(raw: str | None, expected: str | None) -> None:
    assert same_site_path(raw) == expected
    if expected is not None:
        assert browser_target(expected) == "kiosk"


def run(middleware: TrustedProxies, environ: dict[str, Any]) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def app(env: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.update(env)
        return []

    middleware.app = app
    middleware(environ, lambda *a: None)
    return seen


def test_forwarded_headers_are_believed_from_trusted_proxies_only() -> None:
    proxies = TrustedProxies(lambda e, s: [], proxy_networks("10.0.0.5, 10.1.0.0/24"))
    forwarded = {"HTTP_X_FORWARDED_FOR": "6.6.6.6, 192.168.4.20, 10.1.0.7", "HTTP_X_FORWARDED_PROTO": "https",
                 "HTTP_X_FORWARDED_HOST": "kiosk.example.org", "wsgi.url_scheme": "http", "HTTP_HOST": "10.0.0.9"}
    through = run(proxies, {"REMOTE_ADDR": "10.0.0.5", **forwarded})
    # The client is the right-most address that is not a proxy: what the client itself wrote is ignored.
    assert through["REMOTE_ADDR"] == "192.168.4.20"
    assert through["wsgi.url_scheme"] == "https" and through["HTTP_HOST"] == "kiosk.example.org"
    direct = run(proxies, {"REMOTE_ADDR": "192.168.4.21", **forwarded})
    assert direct["REMOTE_ADDR"] == "192.168.4.21"
    assert direct["wsgi.url_scheme"] == "http" and direct["HTTP_HOST"] == "10.0.0.9"
    nobody = TrustedProxies(lambda e, s: [], proxy_networks(""))
    assert run(nobody, {"REMOTE_ADDR": "10.0.0.5", **forwarded})["REMOTE_ADDR"] == "10.0.0.5"


def test_trusted_proxies_setting_is_checked() -> None:
    from kiosk.config import ConfigError, load_settings

    with pytest.raises(ConfigError, match=r"web\.trusted_proxies"):
        load_settings(env={"KIOSK_WEB_TRUSTED_PROXIES": "10.0.0.5, proxy.example"})
    with pytest.raises(ConfigError, match=r"web\.public_origin"):
        load_settings(env={"KIOSK_WEB_PUBLIC_ORIGIN": "https://kiosk.example.org/app"})
    with pytest.raises(ConfigError, match=r"web\.fhir_slots"):
        load_settings(env={"KIOSK_WEB_THREADS": "4", "KIOSK_WEB_FHIR_SLOTS": "4"})
    assert WebSettings().fhir_slots < WebSettings().threads
