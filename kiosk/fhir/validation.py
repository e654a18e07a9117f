"""Checks on what the kiosk writes, before it is sent.

Servers accept invalid codes (sekmet-fhir 0.1.1 stores an Encounter with status "bogus"), and the
fhir.resources R4B models do not enforce required code bindings either. So the structure is checked
with the R4B model, and the required bindings of the elements the kiosk writes are checked here.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from .errors import InvalidResource, UnreadableResource

V2_0116 = "http://terminology.hl7.org/CodeSystem/v2-0116"

#: Required bindings (R4 4.0.1) of the coded elements the kiosk writes: (resource type, element) -> codes.
REQUIRED_CODES: dict[tuple[str, str], frozenset[str]] = {
    ("Encounter", "status"): frozenset(
        {"planned", "arrived", "triaged", "in-progress", "onleave", "finished", "cancelled",
         "entered-in-error", "unknown"}
    ),
    ("Encounter.location", "status"): frozenset({"planned", "active", "reserved", "completed"}),
    ("Location", "status"): frozenset({"active", "suspended", "inactive"}),
    ("Location", "mode"): frozenset({"instance", "kind"}),
    ("Task", "status"): frozenset(
        {"draft", "requested", "received", "accepted", "rejected", "ready", "cancelled", "in-progress",
         "on-hold", "failed", "completed", "entered-in-error"}
    ),
    ("Task", "intent"): frozenset(
        {"unknown", "proposal", "plan", "order", "original-order", "reflex-order", "filler-order",
         "instance-order", "option"}
    ),
    ("ServiceRequest", "status"): frozenset(
        {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"}
    ),
    ("ServiceRequest", "intent"): frozenset(
        {"proposal", "plan", "directive", "order", "original-order", "reflex-order", "filler-order",
         "instance-order", "option"}
    ),
    ("ServiceRequest", "priority"): frozenset({"routine", "urgent", "asap", "stat"}),
    ("Task", "priority"): frozenset({"routine", "urgent", "asap", "stat"}),
    ("SupplyRequest", "status"): frozenset(
        {"draft", "active", "suspended", "cancelled", "completed", "entered-in-error", "unknown"}
    ),
    ("SupplyRequest", "priority"): frozenset({"routine", "urgent", "asap", "stat"}),
    ("Flag", "status"): frozenset({"active", "inactive", "entered-in-error"}),
    ("CareTeam", "status"): frozenset({"proposed", "active", "suspended", "inactive", "entered-in-error"}),
    ("Patient", "gender"): frozenset({"male", "female", "other", "unknown"}),
    ("Communication", "status"): frozenset(
        {"preparation", "in-progress", "not-done", "on-hold", "stopped", "completed", "entered-in-error",
         "unknown"}
    ),
    ("CommunicationRequest", "status"): frozenset(
        {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"}
    ),
}

#: v2-0116 bed status codes (Location.operationalStatus).
BED_STATUS_CODES = frozenset({"C", "H", "I", "K", "O", "U"})


@cache
def model_class(resource_type: str) -> type:
    try:
        return get_fhir_model_class(resource_type)
    except (KeyError, ValueError, AttributeError, ImportError):
        raise UnreadableResource(f"'{resource_type}' is not an R4 resource type.") from None


def parse_resource(data: dict[str, Any]) -> Any:
    """Full R4B model of a resource; raises UnreadableResource (without patient data) when it does not fit."""
    rtype = data.get("resourceType") if isinstance(data, dict) else None
    if not rtype:
        raise UnreadableResource("The server sent something that is not a FHIR resource.")
    try:
        return model_class(rtype).model_validate(data)
    except ValidationError as e:
        where = sorted({".".join(str(p) for p in err["loc"][:2]) for err in e.errors()})[:5]
        raise UnreadableResource(
            f"{rtype}/{data.get('id', '?')} does not fit the R4 model (at {', '.join(where)})."
        ) from None


def check_for_write(data: dict[str, Any]) -> None:
    """Raise InvalidResource if the resource is not structurally valid R4 or breaks a required binding."""
    rtype = data.get("resourceType")
    try:
        parse_resource(data)
    except UnreadableResource as e:
        raise InvalidResource(f"The kiosk refused to send an invalid resource: {e.message}") from None
    problems = list(_binding_problems(rtype, data))
    if problems:
        raise InvalidResource(f"The kiosk refused to send {rtype}: " + "; ".join(problems) + ".")


def _binding_problems(rtype: str, data: dict[str, Any]):
    for (scope, element), codes in REQUIRED_CODES.items():
        if scope == rtype:
            value = data.get(element)
            if value is not None and value not in codes:
                yield f"{element} '{value}' is not an R4 {scope}.{element} code"
        elif scope.startswith(rtype + "."):
            child = scope.split(".", 1)[1]
            for item in data.get(child) or []:
                value = item.get(element)
                if value is not None and value not in codes:
                    yield f"{child}.{element} '{value}' is not an R4 {scope}.{element} code"
    if rtype == "Location":
        for coding in (data.get("operationalStatus") or {},):
            if coding and coding.get("system") == V2_0116 and coding.get("code") not in BED_STATUS_CODES:
                yield f"operationalStatus '{coding.get('code')}' is not a v2-0116 bed status"
