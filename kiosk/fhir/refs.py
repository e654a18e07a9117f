"""References and versions: the one place that reads 'Type/id' out of a FHIR reference and the
versionId out of a resource, so every workflow compares references and versions the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def reference_key(reference: str) -> str:
    """'http://server/fhir/Patient/1/_history/2', 'Patient/1?x' or 'Patient/1' -> 'Patient/1'."""
    path = reference.split("?", 1)[0].rstrip("/")
    parts = path.split("/")
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    return "/".join(parts[-2:])


def ref_key(ref: Any) -> str | None:
    """'Patient/1' for a Reference element (relative or absolute literal), else None (a display-only or
    contained reference, or not a Reference at all)."""
    if not isinstance(ref, dict) or not isinstance(ref.get("reference"), str):
        return None
    text = ref["reference"]
    if text.startswith("#") or "/" not in text.split("?", 1)[0].rstrip("/"):
        return None
    return reference_key(text)


def version_of(resource: Mapping[str, Any] | None) -> str | None:
    """meta.versionId of a resource (None for a resource read without one)."""
    if not isinstance(resource, Mapping):
        return None
    meta = resource.get("meta")
    return meta.get("versionId") if isinstance(meta, Mapping) else None


def reference_of(resource: Mapping[str, Any]) -> str:
    """'Type/id' of a resource read from the server."""
    return f"{resource.get('resourceType')}/{resource.get('id')}"
