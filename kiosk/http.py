"""The kiosk's HTTP edge: who the client is behind a reverse proxy, whether the request came over HTTPS,
which origin the kiosk is served from, and the checks that follow from them (POSTs from the kiosk's own
origin only, Secure cookies and HSTS over HTTPS, plain HTTP only where it cannot cross a network, return
paths that stay on this site); and static files, answered before the app.

A proxy's X-Forwarded-* headers are believed only from the addresses in `web.trusted_proxies`; from
anyone else they are ignored, so a client cannot make itself look like another station or like HTTPS.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote, urlsplit

from flask import Flask, Request, has_request_context, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.shared_data import SharedDataMiddleware

from kiosk.config import WebSettings, proxy_networks

Environ = dict[str, Any]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

#: The address the connection came from, before any proxy header was applied.
PEER_KEY = "kiosk.peer"
#: True when the connection came from a trusted proxy (its forwarded headers were applied).
VIA_PROXY_KEY = "kiosk.via_trusted_proxy"

#: Longest return path kept (the column holding it is 300 characters).
MAX_RETURN_PATH = 300


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def _in(networks: Iterable[Network], text: str) -> bool:
    address = _address(text)
    return address is not None and any(address in network for network in networks)


def _last(value: str) -> str:
    """The value the nearest proxy added to a comma-separated forwarded header."""
    return value.rsplit(",", 1)[-1].strip()


class TrustedProxies:
    """WSGI middleware: apply X-Forwarded-For / -Proto / -Host from trusted proxies only.

    The client is the right-most X-Forwarded-For address that is not itself a trusted proxy (the
    left-most entries are whatever the client chose to send)."""

    def __init__(self, app: Callable[..., Any], networks: tuple[Network, ...]):
        self.app = app
        self.networks = networks

    def __call__(self, environ: Environ, start_response: Callable[..., Any]) -> Any:
        peer = environ.get("REMOTE_ADDR", "")
        environ[PEER_KEY] = peer
        environ[VIA_PROXY_KEY] = False
        if self.networks and _in(self.networks, peer):
            environ[VIA_PROXY_KEY] = True
            chain = [a.strip() for a in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
            for address in reversed(chain):
                if _address(address) is None:
                    break
                environ["REMOTE_ADDR"] = address
                if not _in(self.networks, address):
                    break
            proto = _last(environ.get("HTTP_X_FORWARDED_PROTO", "")).lower()
            if proto in ("http", "https"):
                environ["wsgi.url_scheme"] = proto
            host = _last(environ.get("HTTP_X_FORWARDED_HOST", ""))
            if host:
                environ["HTTP_HOST"] = host
        return self.app(environ, start_response)


def client_address() -> str:
    """The client of this request: the station's address (behind a trusted proxy, the address the proxy
    says it serves)."""
    return request.remote_addr or "unknown"


def _normal_origin(scheme: str, netloc: str) -> str:
    scheme, netloc = scheme.lower(), netloc.lower()
    default = {"http": ":80", "https": ":443"}.get(scheme)
    if default and netloc.endswith(default):
        netloc = netloc[: -len(default)]
    return f"{scheme}://{netloc}"


def own_origin(web: WebSettings) -> str:
    """The origin this kiosk is served from: web.public_origin, else the request's scheme and host."""
    if web.public_origin:
        parts = urlsplit(web.public_origin)
        return _normal_origin(parts.scheme, parts.netloc)
    return _normal_origin(request.scheme, request.host)


def foreign_origin(web: WebSettings) -> str | None:
    """For a POST (htmx included): the origin it came from when that is not the kiosk's own, else None.

    Browsers send Origin on every POST (the kiosk's Referrer-Policy, same-origin, keeps it a real origin
    for the kiosk's own pages); Referer is the fallback. A request with neither did not come from a page
    of another site in a browser, and still needs the CSRF token."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    expected = own_origin(web)
    origin = request.headers.get("Origin")
    if origin is not None:
        parts = urlsplit(origin)
        seen = _normal_origin(parts.scheme, parts.netloc) if parts.scheme else origin
        return None if seen == expected else seen
    referer = request.headers.get("Referer")
    if referer:
        parts = urlsplit(referer)
        seen = _normal_origin(parts.scheme, parts.netloc)
        return None if seen == expected else seen
    return None


def plain_http_refused(web: WebSettings) -> bool:
    """Plain HTTP is answered on loopback (make run, tests) and from trusted proxies (which terminate TLS
    and send their own health checks); from any other client only when web.allow_plain_http says so."""
    if request.is_secure or web.allow_plain_http or request.environ.get(VIA_PROXY_KEY):
        return False
    peer = _address(str(request.environ.get(PEER_KEY) or request.remote_addr or ""))
    return not (peer is not None and peer.is_loopback)


def secure_cookies(web: WebSettings) -> bool:
    """Cookies carry Secure whenever the request came over HTTPS (or the settings say always)."""
    return web.secure_cookies or (has_request_context() and request.is_secure)


def hsts_header(web: WebSettings, req: Request) -> str | None:
    """Strict-Transport-Security for answers over HTTPS (browsers ignore it over plain HTTP)."""
    if req.is_secure and web.hsts_seconds:
        return f"max-age={web.hsts_seconds}"
    return None


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed-cookie session whose Secure flag follows the request (see secure_cookies)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        from kiosk.extensions import settings

        return secure_cookies(settings().web)


_CONTROLS = {c: None for c in (9, 10, 13)}


def same_site_path(raw: str | None) -> str | None:
    """A return path ('/beds/', from a form, a header or the session) made safe to redirect to, or None.

    Parsed the way a browser parses a Location: leading and trailing spaces and control characters are
    dropped, tabs and newlines anywhere are removed and '\\' is read as '/'; then only a path on this
    site is allowed (no scheme, no host, not '//'), with anything outside ASCII percent-encoded. Other
    control characters, and paths longer than the kiosk keeps, are refused."""
    if not raw:
        return None
    text = raw.strip("".join(chr(c) for c in range(0x21))).translate(_CONTROLS)
    if not text or any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        return None
    text = text.replace("\\", "/")
    parts = urlsplit(text)
    path = parts.path
    if parts.scheme or parts.netloc or not path.startswith("/") or path.startswith("//"):
        return None
    path = quote(path, safe="/%:@!$&'()*+,;=-._~")
    return path if len(path) <= MAX_RETURN_PATH else None


class StaticFiles(SharedDataMiddleware):
    """Static files (CSS, scripts, htmx) answered before the Flask app: no session, no database, no
    request hooks, so they never queue behind anything the app does. They carry the kiosk's content
    headers; browsers revalidate them on every page (max-age=0 with an ETag: a 304 when unchanged)."""

    def __init__(self, app: Callable[..., Any], url_path: str, folder: str, web: WebSettings):
        super().__init__(app, {url_path: folder}, cache_timeout=0)
        self.web = web

    def __call__(self, environ: Environ, start_response: Callable[..., Any]) -> Any:
        def with_headers(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            headers.append(("X-Content-Type-Options", "nosniff"))
            if environ.get("wsgi.url_scheme") == "https" and self.web.hsts_seconds:
                headers.append(("Strict-Transport-Security", f"max-age={self.web.hsts_seconds}"))
            return start_response(status, headers, *rest)

        return super().__call__(environ, with_headers)


def install(app: Flask, web: WebSettings) -> None:
    """Wrap the app: trusted proxies first (everything after sees the real client and scheme), then the
    static files, then Flask."""
    app.session_interface = SessionCookies()
    assert app.static_folder and app.static_url_path is not None
    static = StaticFiles(app.wsgi_app, app.static_url_path, app.static_folder, web)
    app.wsgi_app = TrustedProxies(static, proxy_networks(web.trusted_proxies))  # type: ignore[method-assign]
