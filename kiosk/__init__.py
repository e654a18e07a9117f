"""Unit Coordinator Kiosk: the Flask application factory."""

from __future__ import annotations

import logging
import os
import secrets
import traceback
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, g, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, NotFound

from kiosk import timeutil
from kiosk.config import Settings, load_settings
from kiosk.extensions import csrf, htmx, init_services
from kiosk.fhir.client import start_counting, stop_counting
from kiosk.fhir.errors import FhirError, FhirUnavailable
from kiosk.logs import configure_logging
from kiosk.nav import nav_items
from kiosk.version import __version__
from kiosk.web import page_or_fragment

__all__ = ["__version__", "configure_logging", "create_app"]

log = logging.getLogger("kiosk")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or load_settings()
    app = Flask(__name__)
    register_config(app, settings)
    register_logging(app)
    register_extensions(app, settings)
    register_blueprints(app)
    register_request_hooks(app)
    register_errorhandlers(app)
    register_template_context(app)
    return app


def register_config(app: Flask, settings: Settings) -> None:
    timeutil.configure(settings.station.timezone)
    app.config.update(
        SECRET_KEY=settings.web.secret_key or _local_secret_key(settings.var_dir),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=settings.web.secure_cookies,
        SESSION_COOKIE_NAME="kiosk_session",
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=settings.web.secure_cookies,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        JSON_SORT_KEYS=False,
    )


def _local_secret_key(var_dir: Path) -> str:
    """A key generated once per machine and kept in var/secret_key (mode 0600)."""
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
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
    from kiosk import audit, auth, beds, health, home, labels, readiness, staff, supplies, whiteboard

    auth.register(app)
    health.register(app)
    home.register(app)
    audit.register(app)
    staff.register(app)
    beds.register(app)
    labels.register(app)
    supplies.register(app)
    whiteboard.register(app)
    readiness.register(app)


def register_request_hooks(app: Flask) -> None:
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
        response.headers["Referrer-Policy"] = "no-referrer"
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


def _error_page(title: str, message: str, status: int):  # type: ignore[no-untyped-def]
    return page_or_fragment("errors/page.html", "errors/_error.html", title=title, message=message,
                            status=status), status


def register_errorhandlers(app: Flask) -> None:
    @app.errorhandler(FhirUnavailable)
    def _fhir_down(e: FhirUnavailable):  # type: ignore[no-untyped-def]
        log.warning("FHIR server unavailable: %s", type(e).__name__)
        return _error_page("The FHIR server cannot be reached", e.message, 503)

    @app.errorhandler(FhirError)
    def _fhir_error(e: FhirError):  # type: ignore[no-untyped-def]
        log.warning("FHIR error %s (HTTP %s)", type(e).__name__, e.status)
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
        }

    app.jinja_env.filters["localtime"] = _localtime


HTMX_ASSET = "vendor/htmx-2.0.11.min.js"


def _localtime(value: datetime | None, fmt: str = "%H:%M") -> str:
    if value is None:
        return ""
    return timeutil.local(value).strftime(fmt)
