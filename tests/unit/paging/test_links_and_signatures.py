"""Acknowledgement links are signed and short; webhooks are signed over timestamp and body."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kiosk.paging.links import ack_link, key_of, message_key, new_public_id, token
from kiosk.web.signed import TIMESTAMP_HEADER, BadSignature, signed_headers, verify

SECRET = "kiosk-secret-key-for-tests"


def test_a_link_names_its_message_and_nothing_else() -> None:
    key = message_key(new_public_id(), 2)
    link = ack_link("https://kiosk.example/", SECRET, key)
    assert link.startswith("https://kiosk.example/paging/a/") and len(link) < 70
    assert key_of(SECRET, link.rsplit("/", 1)[1]) == key


def test_a_forged_or_altered_link_names_nothing() -> None:
    key = message_key("3f9c0a1b2c4d", 0)
    good = token(SECRET, key)
    assert key_of(SECRET, good) == key
    assert key_of("another-kiosk-secret", good) is None
    assert key_of(SECRET, good.replace("-0.", "-1.")) is None  # another message of the same page
    assert key_of(SECRET, good[:-1] + ("A" if good[-1] != "A" else "B")) is None
    assert key_of(SECRET, "../../etc/passwd") is None


def test_a_signed_body_verifies_and_any_change_does_not() -> None:
    now = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
    body = b'{"id":"3f9c0a1b2c4d-0"}'
    headers = signed_headers(SECRET, body, now)
    verify(SECRET, headers, body, now=now)
    with pytest.raises(BadSignature, match="does not match"):
        verify(SECRET, headers, body + b" ", now=now)
    with pytest.raises(BadSignature, match="does not match"):
        verify("another-secret", headers, body, now=now)
    with pytest.raises(BadSignature, match="not signed"):
        verify(SECRET, {}, body, now=now)
    with pytest.raises(BadSignature, match="away from this kiosk's clock"):
        verify(SECRET, headers, body, now=now + timedelta(minutes=10))
    with pytest.raises(BadSignature, match="does not match"):  # a new timestamp on an old signature
        verify(SECRET, {**headers, TIMESTAMP_HEADER: str(int(now.timestamp()) + 1)}, body, now=now)
    with pytest.raises(BadSignature, match="no secret"):
        verify("", headers, body, now=now)
