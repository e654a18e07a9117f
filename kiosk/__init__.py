"""Unit Coordinator Kiosk: the Flask application factory."""

from __future__ import annotations

import functools
import logging
import os
import secrets
import traceback
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, g, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import IntegerConverter, Map

from kiosk import display, http, polling, timeutil
from kiosk.config import ScannerSettings, Settings, load_settings
from kiosk.extensions import csrf, htmx, init_services
from kiosk.fhir.client import start_counting, stop_counting
from kiosk.fhir.errors import FhirError, FhirUnavailable
from kiosk.logs import configure_logging
from kiosk.nav import nav_items
from kiosk.private_files import private_dir, tighten
from kiosk.scanner import ScannerKeys
from kiosk.slots import FhirBusy, give_back_for_request
from kiosk.version import __version__
from kiosk.web import page_or_fragment

__all__ = ["HTMX_ASSET", "HTMX_SSE_ASSET", "__version__", "configure_logging", "create_app", "secret_key"]

log = logging.getLogger("kiosk")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def create_app(settings: Settings | None = None, *, testing: bool = False) -> Flask:
    """The kiosk. `testing` marks an app for the test suite (Flask's TESTING); only such an app may run
    while the process hashes PINs at the test suite's cost (kiosk.auth.services.use_test_pin_hashing)."""
    from kiosk.auth.services import require_production_pin_hashing

    require_production_pin_hashing(testing)
    settings = settings or load_settings()
    app = Flask(__name__)
    app.url_map.converters["int"] = DatabaseId
    app.config["TESTING"] = testing
    register_config(app, settings)
    register_logging(app)
    register_request_hooks(app)
    register_extensions(app, settings)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_context(app)
    return app


class DatabaseId(IntegerConverter):
    """`<int:...>` in every route: only ids a database column can hold (signed 64 bits), so an id out of
    range is a page that does not exist (404), never an overflow in the database driver (500)."""

    MAX = 2**63 - 1
    #: At most 19 digits: a longer number matches no route at all (a 404 also where the same address has a
    #: view for another method, which a value refused after matching would answer with 405).
    regex = r"\d{1,19}"

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def register_config(app: Flask, settings: Settings) -> None:
    timeutil.configure(settings.station.timezone)
    app.config.update(
        SECRET_KEY=secret_key(settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        # The Secure flag follows each request (kiosk.http.SessionCookies): set over HTTPS.
        SESSION_COOKIE_SECURE=settings.web.secure_cookies,
        SESSION_COOKIE_NAME="kiosk_session",
        WTF_CSRF_TIME_LIMIT=None,
        # Flask-WTF's own Referer check compares with the Host header, which is wrong behind a proxy;
        # the kiosk checks Origin / Referer itself against its own or its configured public origin.
        WTF_CSRF_SSL_STRICT=False,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        JSON_SORT_KEYS=False,
    )
    http.install(app, settings.web)


def secret_key(settings: Settings) -> str:
    """The web app's secret key; processes without the app (the scheduler signs acknowledgement links
    with it) read the same one."""
    return settings.web.secret_key or _local_secret_key(settings.var_dir)


def _local_secret_key(var_dir: Path) -> str:
    """A key generated once per machine and kept in var/secret_key (mode 0600)."""
    path = var_dir / "secret_key"
    private_dir(var_dir)
    if path.exists():
        tighten(path)
        return path.read_text().strip()
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key


def register_logging(app: Flask) -> None:
    configure_logging(os.environ.get("KIOSK_LOG_LEVEL", "INFO"))


def register_extensions(app: Flask, settings: Settings) -> None:
    init_services(app, settings)
    csrf.init_app(app)
    htmx.init_app(app)


def register_blueprints(app: Flask) -> None:
    from kiosk import (
        audit_review,
        auth,
        beds,
        calls,
        discharge,
        health,
        home,
        hospital,
        housekeeping,
        labels,
        orders,
        paging,
        placement,
        push,
        readiness,
        staff,
        supplies,
        transport,
        whiteboard,
    )

    auth.register(app)
    push.register(app)
    health.register(app)
    home.register(app)
    audit_review.register(app)
    staff.register(app)
    beds.register(app)
    labels.register(app)
    supplies.register(app)
    paging.register(app)
    calls.register(app)
    whiteboard.register(app)
    readiness.register(app)
    discharge.register(app)
    transport.register(app)
    orders.register(app)
    housekeeping.register(app)
    placement.register(app)
    hospital.register(app)


def register_request_hooks(app: Flask) -> None:
    """Registered before the extensions and blueprints, so that these checks run first."""
    from kiosk.extensions import settings as current_settings

    @app.before_request
    def _edge_checks():  # type: ignore[no-untyped-def]
        web = current_settings().web
        if request.endpoint != "health.healthz" and http.plain_http_refused(web):
            return _error_page("This kiosk answers over HTTPS only",
                               "Open the kiosk at its https:// address. Plain HTTP is answered only on this "
                               "machine itself (or, for a demo, where web.allow_plain_http is set).", 403)
        origin = http.foreign_origin(web)
        if origin is not None:
            log.warning("Refused a %s to %s from another origin", request.method, request.endpoint)
            return _error_page("This request came from another site",
                               "The kiosk takes forms only from its own pages. Nothing was changed; open the "
                               "kiosk's page and try again.", 403)
        return None

    @app.before_request
    def _start_fhir_counter() -> None:
        g.fhir_counter, g.fhir_counter_token = start_counting()

    @app.after_request
    def _headers(response):  # type: ignore[no-untyped-def]
        counter = g.get("fhir_counter")
        if counter is not None:
            response.headers["X-FHIR-Requests"] = str(counter.total)
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Frame-Options"] = "DENY"
        # same-origin, not no-referrer: with no-referrer browsers send "Origin: null" on the kiosk's own
        # POSTs, and the origin check needs the real one; nothing leaves for another site either way.
        response.headers["Referrer-Policy"] = "same-origin"
        hsts = http.hsts_header(current_settings().web, request)
        if hsts:
            response.headers["Strict-Transport-Security"] = hsts
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.teardown_request
    def _stop_fhir_counter(_exc: BaseException | None) -> None:
        token = g.pop("fhir_counter_token", None)
        if token is not None:
            stop_counting(token)
        slots = app.extensions["kiosk"].slots
        if slots is not None:
            give_back_for_request(slots)

    polling.register(app)


def _error_page(title: str, message: str, status: int):  # type: ignore[no-untyped-def]
    return page_or_fragment("errors/page.html", "errors/_error.html", title=title, message=message,
                            status=status), status


def register_errorhandlers(app: Flask) -> None:
    @app.errorhandler(FhirBusy)
    def _fhir_busy(e: FhirBusy):  # type: ignore[no-untyped-def]
        polling.note_problem(e.message)
        return _error_page("The FHIR server is slow", e.message, 503)

    @app.errorhandler(FhirUnavailable)
    def _fhir_down(e: FhirUnavailable):  # type: ignore[no-untyped-def]
        log.warning("FHIR server unavailable: %s", type(e).__name__)
        polling.note_problem(e.message)
        return _error_page("The FHIR server cannot be reached", e.message, 503)

    @app.errorhandler(FhirError)
    def _fhir_error(e: FhirError):  # type: ignore[no-untyped-def]
        log.warning("FHIR error %s (HTTP %s)", type(e).__name__, e.status)
        polling.note_problem(e.message)
        return _error_page("The FHIR server refused the request", e.message, 502)

    @app.errorhandler(CSRFError)
    def _csrf(e: CSRFError):  # type: ignore[no-untyped-def]
        return _error_page("This form has expired",
                           "The page was open too long or came from elsewhere. Reload it and try again.", 400)

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException):  # type: ignore[no-untyped-def]
        if isinstance(e, NotFound) and e.description == NotFound.description:
            return _error_page("This page does not exist",
                               "The address is not a page of the kiosk. Nothing was changed.", 404)
        return _error_page(e.name, e.description or "", e.code or 500)

    @app.errorhandler(Exception)
    def _unexpected(e: Exception):  # type: ignore[no-untyped-def]
        # Logged with the exception type and the code lines only: exception messages may carry patient data.
        log.error("Unexpected %s in %s\n%s", type(e).__name__, request.endpoint,
                  "".join(traceback.format_tb(e.__traceback__)))
        return _error_page("Something went wrong",
                           "The kiosk hit an unexpected error. Nothing was lost; try again, and call the "
                           "help desk if it keeps happening.", 500)


def register_template_context(app: Flask) -> None:
    from kiosk.extensions import settings as current_settings

    @app.context_processor
    def _globals() -> dict[str, object]:
        s = current_settings()
        return {
            "station_name": s.station.name,
            "nav_items": nav_items(app),
            "now": datetime.now(UTC),
            "htmx_asset": HTMX_ASSET,
            "htmx_sse_asset": HTMX_SSE_ASSET,
            "scanner": scanner_keys(s.scanner),
        }

    app.jinja_env.filters["localtime"] = _localtime
    display.register(app)


HTMX_ASSET = "vendor/htmx-2.0.11.min.js"
#: htmx's Server-Sent Events extension (live screens, kiosk/push), pinned like htmx.
HTMX_SSE_ASSET = "vendor/htmx-ext-sse-2.2.4.min.js"


@functools.cache
def scanner_keys(scanner: ScannerSettings) -> ScannerKeys:
    """The keys base.html gives scanner.js (the settings were checked at start-up)."""
    return ScannerKeys.of(scanner.prefix, scanner.suffix, scanner.aim_ids)


def _localtime(value: datetime | None, fmt: str = "%H:%M") -> str:
    if value is None:
        return ""
    return timeutil.local(value).strftime(fmt)
