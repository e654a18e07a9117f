from __future__ import annotations

from flask import Blueprint, jsonify

from kiosk.auth import public
from kiosk.extensions import database, gateway

from .services import health

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz():  # type: ignore[no-untyped-def]
    from kiosk.version import __version__

    ok, body = health(gateway(), database(), __version__)
    return jsonify(body), 200 if ok else 503
