"""Signed webhooks, both ways: an HMAC-SHA256 over the timestamp and the exact body, with a secret both
sides hold (from the environment, never a settings file).

    X-Kiosk-Timestamp: 1764351234
    X-Kiosk-Signature: sha256=<hex of HMAC-SHA256(secret, "<timestamp>." + body)>

The timestamp is in the signed text, so an old request cannot be replayed with a new timestamp, and a
request older (or newer) than `max_skew_seconds` is refused. The comparison is constant-time. Used for
the pages the kiosk posts to a secure-messaging platform, the acknowledgements that platform posts
back, and the calls a nurse-call system posts.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime

TIMESTAMP_HEADER = "X-Kiosk-Timestamp"
SIGNATURE_HEADER = "X-Kiosk-Signature"


class BadSignature(Exception):
    """A signed request that must be refused; `message` says why (no content of the request)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signed_headers(secret: str, body: bytes, now: datetime | None = None) -> dict[str, str]:
    """The two headers for a request carrying `body`."""
    timestamp = str(int((now or datetime.now(UTC)).timestamp()))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: signature(secret, timestamp, body)}


def verify(secret: str, headers: Mapping[str, str], body: bytes, *, now: datetime | None = None,
           max_skew_seconds: int = 300) -> None:
    """Raise BadSignature unless the headers sign this body with this secret, recently enough."""
    if not secret:
        raise BadSignature("This kiosk has no secret for signed requests, so it accepts none.")
    timestamp = headers.get(TIMESTAMP_HEADER, "")
    given = headers.get(SIGNATURE_HEADER, "")
    if not timestamp or not given:
        raise BadSignature("The request is not signed.")
    if not timestamp.isdigit():
        raise BadSignature("The request's timestamp is not a number of seconds.")
    skew = abs((now or datetime.now(UTC)).timestamp() - int(timestamp))
    if skew > max_skew_seconds:
        raise BadSignature(f"The request's timestamp is {skew:.0f} s away from this kiosk's clock "
                           f"(at most {max_skew_seconds} s are accepted).")
    if not hmac.compare_digest(given.encode("ascii", "replace"), signature(secret, timestamp, body).encode("ascii")):
        raise BadSignature("The request's signature does not match.")
