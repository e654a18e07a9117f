"""Acknowledgement links: one per message, signed, short enough for a pager, usable once.

A message's key is its page's public id and its number in the page ('3f9c0a1b2c4d-0' for the first,
'-1' for a repeat ...). The link carries the key and 12 characters (72 bits) of an HMAC-SHA256 of it
with the kiosk's secret key: a link nobody sent cannot be made, and none gives away anything about a
patient. That the link works once is the database's business (Outbox.acknowledge).

The page's public id is made when the compose form is drawn, so the preview shows the exact link the
first message will carry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

SIGNATURE_CHARS = 12
PUBLIC_ID = re.compile(r"^[0-9a-f]{12}$")
MESSAGE_KEY = re.compile(r"^[0-9a-f]{12}-\d{1,3}$")
TOKEN = re.compile(r"^(?P<key>[0-9a-f]{12}-\d{1,3})\.(?P<sig>[A-Za-z0-9_-]{12})$")
LINK_PATH = "/paging/a/"


def new_public_id() -> str:
    return secrets.token_hex(6)


def message_key(public_id: str, seq: int) -> str:
    return f"{public_id}-{seq}"


def _signature(secret: str, key: str) -> str:
    mac = hmac.new(secret.encode("utf-8"), f"paging-ack:{key}".encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode("ascii")[:SIGNATURE_CHARS]


def token(secret: str, key: str) -> str:
    return f"{key}.{_signature(secret, key)}"


def ack_link(public_url: str, secret: str, key: str) -> str:
    return public_url.rstrip("/") + LINK_PATH + token(secret, key)


def key_of(secret: str, text: str) -> str | None:
    """The message key a token was signed for, or None for anything the kiosk did not sign."""
    match = TOKEN.match(text)
    if not match:
        return None
    if not hmac.compare_digest(match["sig"], _signature(secret, match["key"])):
        return None
    return match["key"]
