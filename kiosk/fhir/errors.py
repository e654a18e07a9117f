"""Errors raised by the FHIR gateway. Every message is a sentence a unit secretary can read.

Messages never carry patient data: they name resource types, ids and HTTP statuses only.
"""

from __future__ import annotations

from typing import Any


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
    """The server could not be reached, did not answer in time, or is temporarily unavailable."""


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
    """Human-readable text of an OperationOutcome: its issues' details.text or diagnostics, joined."""
    if not isinstance(outcome, dict) or outcome.get("resourceType") != "OperationOutcome":
        return ""
    parts: list[str] = []
    for issue in outcome.get("issue") or []:
        text = (issue.get("details") or {}).get("text") or issue.get("diagnostics") or ""
        if not text:
            text = issue.get("code", "")
        text = str(text).strip()
        if text and text not in parts:
            parts.append(text)
    return "; ".join(parts)
