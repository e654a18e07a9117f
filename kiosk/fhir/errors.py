"""Errors raised by the FHIR gateway. Every message is a sentence a unit secretary can read.

Messages name resource types, ids and HTTP statuses. Text from a server's OperationOutcome is added
only after `scrub()` (servers echo what they were sent: identifiers, names, dates), and the raw
outcome stays in `.issues`, which is never shown or logged.
"""

from __future__ import annotations

import re
from typing import Any

_QUOTED = re.compile(r"(['\"])(.*?)\1")
_SAFE_QUOTED = re.compile(r"^[a-z_][a-z0-9_:.\-]*$")
_SYSTEM_VALUE = re.compile(r"\S*\|\S*")
_DIGITS = re.compile(r"\d{4,}")
_EMAIL = re.compile(r"\S+@\S+")
MAX_OUTCOME_TEXT = 240


def scrub(text: str) -> str:
    """Server text made safe to show and log: quoted values that are not plain parameter or element
    names, system|value pairs, runs of four or more digits (MRNs, dates, phone numbers) and e-mail
    addresses are replaced by an ellipsis; the length is capped."""
    text = _QUOTED.sub(lambda m: m.group(0) if _SAFE_QUOTED.match(m.group(2)) else f"{m.group(1)}…{m.group(1)}", text)
    text = _SYSTEM_VALUE.sub("…", text)
    text = _EMAIL.sub("…", text)
    text = _DIGITS.sub("…", text)
    text = " ".join(text.split())
    return text if len(text) <= MAX_OUTCOME_TEXT else text[: MAX_OUTCOME_TEXT - 1] + "…"


class FhirError(Exception):
    """The FHIR server could not do what was asked."""

    def __init__(self, message: str, *, status: int | None = None, issues: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.issues = issues or []

    def __str__(self) -> str:
        return self.message


class FhirUnavailable(FhirError):
    """The server could not be reached, did not answer in time, or is temporarily unavailable.
    `sent` is False when the request never left the kiosk (no connection was made), so a write
    certainly changed nothing."""

    def __init__(self, message: str, *, status: int | None = None, issues: list[dict[str, Any]] | None = None,
                 sent: bool = True):
        super().__init__(message, status=status, issues=issues)
        self.sent = sent


class FhirOutcomeUnknown(FhirUnavailable):
    """A write was sent but its answer was lost (timeout, dropped connection): it may have been saved.
    Show the current state; never repeat the write blindly."""


class FhirAuthError(FhirError):
    """The server refused the kiosk's credentials (401/403) or the token endpoint failed."""


class FhirNotFound(FhirError):
    """The resource does not exist (404/410)."""


class FhirConflict(FhirError):
    """HTTP 412: the resource changed since the kiosk read it. Nothing was written.

    `current` holds the server's current version of the resource when the gateway could read it,
    so the screen can show "changed at another station; here is the current state".
    """

    def __init__(
        self,
        message: str,
        *,
        resource_type: str | None = None,
        resource_id: str | None = None,
        current: dict[str, Any] | None = None,
        issues: list[dict[str, Any]] | None = None,
    ):
        super().__init__(message, status=412, issues=issues)
        self.resource_type = resource_type
        self.resource_id = resource_id
        self.current = current

    @property
    def current_version(self) -> str | None:
        if not self.current:
            return None
        return (self.current.get("meta") or {}).get("versionId")


class FhirNotAllowed(FhirError):
    """The server's CapabilityStatement does not offer this interaction; the kiosk did not try."""


class InvalidResource(FhirError):
    """The kiosk refused to send a resource that is not valid R4 (checked before any request)."""


class UnreadableResource(FhirError):
    """A resource from the server could not be read into the R4 model."""


def outcome_text(outcome: dict[str, Any] | None) -> str:
    """Human-readable text of an OperationOutcome: its issues' details.text or diagnostics, scrubbed
    of anything that may be patient data, joined."""
    if not isinstance(outcome, dict) or outcome.get("resourceType") != "OperationOutcome":
        return ""
    parts: list[str] = []
    for issue in outcome.get("issue") or []:
        text = (issue.get("details") or {}).get("text") or issue.get("diagnostics") or ""
        if not text:
            text = issue.get("code", "")
        text = scrub(str(text))
        if text and text not in parts:
            parts.append(text)
    return "; ".join(parts)
