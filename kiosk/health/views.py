from __future__ import annotations

from flask import Blueprint, jsonify

from kiosk.auth import public
from kiosk.extensions import database, services
from kiosk.push import push_status

from .services import health

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz():  # type: ignore[no-untyped-def]
    from kiosk.version import __version__

    # The process's gateway without a FHIR slot: the probe runs in its own thread (see services.py).
    ok, body = health(services().gateway(), database(), __version__)
    body["push"] = push_status()
    return jsonify(body), 200 if ok else 503
