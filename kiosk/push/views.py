"""The address the FHIR server posts its notifications to (push.notify_url points here)."""

from __future__ import annotations

import json
import logging

from flask import Blueprint, Response, current_app, request

from kiosk.auth.session import public
from kiosk.extensions import csrf

bp = Blueprint("push", __name__, url_prefix="/push")
log = logging.getLogger(__name__)


def _outcome(status: int, severity: str, code: str, text: str) -> Response:
    body = {"resourceType": "OperationOutcome", "issue": [{"severity": severity, "code": code, "diagnostics": text}]}
    return Response(json.dumps(body), status=status, mimetype="application/fhir+json")


@bp.route("/fhir", methods=["POST", "PUT"])
@bp.route("/fhir/<path:rest>", methods=["POST", "PUT"])
@public
@csrf.exempt
def fhir_notification(rest: str | None = None) -> Response:
    """A rest-hook notification: authenticated by the bearer token of the kiosk's Subscriptions, answered
    at once; the change check runs in the background. A body, if the server sent one, is not read."""
    from . import push_hub
    from .services import notification_allowed

    if not notification_allowed(current_app.secret_key or "", request.headers.get("Authorization")):
        log.warning("Refused a FHIR notification without this kiosk's token")
        return _outcome(401, "error", "login", "This kiosk takes notifications only with its own token.")
    push_hub().check.signal()
    return _outcome(200, "information", "informational", "Notification received")
