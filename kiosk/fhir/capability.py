"""What the FHIR server allows, read from its CapabilityStatement.

The kiosk offers a write only when the server says it allows it; otherwise the action is shown as
unavailable with `reason()` and the rest keeps working. Search parameters are checked the same way.

A server that serves no CapabilityStatement (its /metadata fails or answers something else) is
probed instead: each search the kiosk's shared screens make is tried once, strictly, and one that the
server refuses is refused from then on; what was not probed (writes, other searches) is tried and the
server's answer decides (docs/decisions.md). `Capabilities.source` says which way they were found.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from .errors import FhirError, FhirNotAllowed, FhirUnavailable

#: Parameters every server answers (result controls), not listed per resource in CapabilityStatements.
CONTROL_PARAMETERS = frozenset(
    {"_count", "_include", "_revinclude", "_include:iterate", "_revinclude:iterate", "_sort", "_summary",
     "_elements", "_total", "_format", "_offset"}
)

INTERACTION_WORDS = {
    "read": "reading",
    "vread": "reading past versions of",
    "update": "updates of",
    "patch": "patches of",
    "delete": "deleting",
    "create": "creating",
    "search-type": "searching",
    "history-instance": "the history of",
}


@dataclass(frozen=True)
class ResourceCapability:
    interactions: frozenset[str]
    search_params: frozenset[str]
    conditional_create: bool
    conditional_update: bool
    versioning: str
    update_create: bool
    #: searchInclude / searchRevInclude: the _include and _revinclude values offered ('*': any).
    search_includes: frozenset[str] = frozenset()
    search_revincludes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class SearchNeed:
    """One search a workflow makes: its parameters, chained parameters as (parameter, target type,
    target parameter), and its _include and _revinclude values. Checked against the statement before
    the search is sent (DESIGN.md: use only search parameters the server lists)."""

    resource_type: str
    params: tuple[str, ...] = ()
    chains: tuple[tuple[str, str, str], ...] = ()
    includes: tuple[str, ...] = ()
    revincludes: tuple[str, ...] = ()


STATEMENT = "statement"
PROBED = "probed"


@dataclass(frozen=True)
class Capabilities:
    software: str
    fhir_version: str
    resources: dict[str, ResourceCapability] = field(default_factory=dict)
    system_interactions: frozenset[str] = frozenset()
    #: STATEMENT (the server's CapabilityStatement) or PROBED (none: the searches were tried).
    source: str = STATEMENT
    #: Probed only: the searches the server refused ('Encounter search by location', ...).
    refused_searches: frozenset[str] = frozenset()

    @property
    def probed(self) -> bool:
        return self.source == PROBED

    @property
    def source_words(self) -> str:
        if self.probed:
            return "no CapabilityStatement: the kiosk probed the searches it needs"
        return "from its CapabilityStatement"

    @classmethod
    def from_statement(cls, statement: dict[str, Any]) -> Capabilities:
        software = statement.get("software") or {}
        name = " ".join(x for x in (software.get("name"), software.get("version")) if x) or \
            statement.get("publisher") or statement.get("name") or "the FHIR server"
        resources: dict[str, ResourceCapability] = {}
        system: set[str] = set()
        for rest in statement.get("rest") or []:
            if rest.get("mode") not in (None, "server"):
                continue
            system |= {i.get("code") for i in rest.get("interaction") or [] if i.get("code")}
            for res in rest.get("resource") or []:
                rtype = res.get("type")
                if not rtype:
                    continue
                resources[rtype] = ResourceCapability(
                    interactions=frozenset(i.get("code") for i in res.get("interaction") or [] if i.get("code")),
                    search_params=frozenset(p.get("name") for p in res.get("searchParam") or [] if p.get("name")),
                    conditional_create=bool(res.get("conditionalCreate")),
                    conditional_update=bool(res.get("conditionalUpdate")),
                    versioning=str(res.get("versioning") or "no-version"),
                    update_create=bool(res.get("updateCreate")),
                    search_includes=frozenset(str(v) for v in res.get("searchInclude") or []),
                    search_revincludes=frozenset(str(v) for v in res.get("searchRevInclude") or []),
                )
        return cls(software=str(name), fhir_version=str(statement.get("fhirVersion", "")),
                   resources=resources, system_interactions=frozenset(system))

    def with_resource(self, resource_type: str, capability: ResourceCapability) -> Capabilities:
        """These capabilities plus a resource type the statement leaves out, for a server that takes it
        although it does not list it (named as such in a workflow's settings, with tests as evidence)."""
        return replace(self, resources={**self.resources, resource_type: capability})

    def supports_type(self, resource_type: str) -> bool:
        return self.probed or resource_type in self.resources

    def allows(self, resource_type: str, interaction: str) -> bool:
        if self.probed:
            return True  # not declared anywhere: tried, and the server's answer decides
        res = self.resources.get(resource_type)
        return res is not None and interaction in res.interactions

    def allows_transaction(self) -> bool:
        return self.probed or "transaction" in self.system_interactions

    def allows_batch(self) -> bool:
        return self.probed or "batch" in self.system_interactions

    def allows_conditional_create(self, resource_type: str, on_param: str = "identifier") -> bool:
        if self.probed:
            return True
        res = self.resources.get(resource_type)
        return (res is not None and "create" in res.interactions and res.conditional_create
                and on_param in res.search_params)

    def supports_search(self, resource_type: str, param: str) -> bool:
        """Is this search parameter (with modifiers and chains stripped) listed for the type?"""
        if param in CONTROL_PARAMETERS:
            return True
        name = param.split(":", 1)[0].split(".", 1)[0]
        if self.probed:
            words = {f"{resource_type} search by {name}", f"{resource_type} search by {param}"}
            return not words & self.refused_searches
        if name in ("_id", "_lastUpdated"):
            return self.allows(resource_type, "search-type")
        res = self.resources.get(resource_type)
        return res is not None and name in res.search_params

    def supports_include(self, resource_type: str, value: str) -> bool:
        """Is `_include=<value>` (e.g. 'Location:partof') offered on searches of this type? A statement
        without searchInclude offers none."""
        if self.probed:
            return f"{resource_type} search with _include={value}" not in self.refused_searches
        res = self.resources.get(resource_type)
        return res is not None and bool({"*", value} & res.search_includes)

    def supports_revinclude(self, resource_type: str, value: str) -> bool:
        if self.probed:
            return f"{resource_type} search with _revinclude={value}" not in self.refused_searches
        res = self.resources.get(resource_type)
        return res is not None and bool({"*", value} & res.search_revincludes)

    def missing_searches(self, need: SearchNeed) -> list[str]:
        """What of a search the server does not offer, in words ('Location search by partof'); empty
        when it offers all of it."""
        rtype = need.resource_type
        if not self.allows(rtype, "search-type") or f"{rtype} search" in self.refused_searches:
            return [f"{rtype} search"]
        missing = [f"{rtype} search by {p}" for p in need.params if not self.supports_search(rtype, p)]
        missing += [f"{rtype} search by {p}.{target_param}" for p, target, target_param in need.chains
                    if not (self.supports_search(rtype, f"{p}.{target_param}")
                            and self.supports_search(target, target_param))]
        missing += [f"{rtype} search with _include={v}" for v in need.includes if not self.supports_include(rtype, v)]
        missing += [f"{rtype} search with _revinclude={v}" for v in need.revincludes
                    if not self.supports_revinclude(rtype, v)]
        return missing

    def reason(self, resource_type: str, interaction: str) -> str | None:
        """None when allowed; otherwise a sentence saying what the server does not allow.
        'conditional-create' is a create with If-None-Exist on the identifier; 'update-create' is a PUT
        to an id the kiosk chose that does not exist yet (R4 update as create, `updateCreate`)."""
        if interaction == "update-create":
            res = self.resources.get(resource_type)
            if res is not None and "update" in res.interactions and res.update_create:
                return None
            if res is not None and "update" not in res.interactions:
                return self.reason(resource_type, "update")
            if res is not None:
                return f"{self.software} does not allow creating {resource_type} at an id the kiosk chooses."
        if interaction == "conditional-create":
            if self.allows_conditional_create(resource_type):
                return None
            if resource_type in self.resources and not self.allows(resource_type, "create"):
                return self.reason(resource_type, "create")
            if resource_type in self.resources:
                return f"{self.software} does not allow creating {resource_type} only if none exists yet."
        if interaction == "transaction":
            if self.allows_transaction():
                return None
            return f"{self.software} does not accept transactions, which this change needs."
        if self.allows(resource_type, interaction):
            return None
        if resource_type not in self.resources:
            return f"{self.software} does not offer {resource_type} resources."
        what = INTERACTION_WORDS.get(interaction, interaction)
        return f"{self.software} does not allow {what} {resource_type}."

    def require(self, resource_type: str, interaction: str) -> None:
        reason = self.reason(resource_type, interaction)
        if reason:
            raise FhirNotAllowed(reason)


class CapabilityCache:
    """Reads /metadata once (on first use) and keeps it until `refresh()`; shared by a process's threads.
    When the server serves no CapabilityStatement (or its /metadata fails with HTTP 5xx), `probe` finds
    the capabilities instead (a server that cannot be reached at all raises FhirUnavailable, and is
    asked again next time)."""

    def __init__(self, fetch: Callable[[], dict[str, Any]], probe: Callable[[], Capabilities] | None = None):
        self._fetch = fetch
        self._probe = probe
        self._value: Capabilities | None = None
        self._lock = threading.Lock()

    def get(self) -> Capabilities:
        with self._lock:
            if self._value is None:
                try:
                    self._value = Capabilities.from_statement(self._fetch())
                except FhirUnavailable as e:
                    # Not reached at all (no HTTP status): ask again next time. A /metadata that fails
                    # (HTTP 5xx) while the server answers is probed like a missing one; a server that
                    # fails every request fails the probes too, which raise FhirUnavailable.
                    if self._probe is None or e.status is None:
                        raise
                    self._value = self._probe()
                except FhirError:
                    if self._probe is None:
                        raise
                    self._value = self._probe()
            return self._value

    def set(self, statement: dict[str, Any]) -> Capabilities:
        """Use this CapabilityStatement instead of the server's (tests: another vendor's statement)."""
        value = Capabilities.from_statement(statement)
        with self._lock:
            self._value = value
        return value

    def forget(self) -> None:
        """Read the server's capabilities again on next use."""
        with self._lock:
            self._value = None

    def refresh(self) -> Capabilities:
        self.forget()
        return self.get()

    @property
    def loaded(self) -> bool:
        return self._value is not None


#: A value for each search parameter the kiosk probes, valid for its type and matching nothing.
PROBE_VALUES = {
    "status": {"Encounter": "planned", "Task": "requested", "Flag": "active", "Location": "active"},
    "operational-status": "http://terminology.hl7.org/CodeSystem/v2-0116|U",
    "identifier": "urn:uuid:00000000-0000-4000-8000-000000000000|kiosk-probe",
}


def _probe_value(resource_type: str, param: str) -> str:
    value = PROBE_VALUES.get(param.split(".", 1)[0])
    if isinstance(value, dict):
        return value.get(resource_type, "active")
    if value:
        return value
    if "." in param:  # a chain: patient.identifier
        return str(PROBE_VALUES["identifier"])
    if param == "_id":
        return "kiosk-probe"
    return "Location/kiosk-probe"  # a reference parameter (partof, location, patient, focus)


def probe_searches(search: Callable[[str, list[tuple[str, str]]], Any], needs: list[SearchNeed],
                   software: str = "FHIR server") -> Capabilities:
    """Capabilities for a server without a CapabilityStatement: each search in `needs` is tried once with
    values that match nothing (`search` raises FhirError when the server refuses it, strictly); a refused
    search is tried part by part, and each part the server refuses is recorded."""
    refused: set[str] = set()
    for need in needs:
        parts: list[tuple[str, list[tuple[str, str]]]] = []
        parts += [(f"{need.resource_type} search by {p}", [(p, _probe_value(need.resource_type, p))])
                  for p in need.params]
        parts += [(f"{need.resource_type} search by {p}.{target_param}",
                   [(f"{p}.{target_param}", _probe_value(need.resource_type, f"{p}.{target_param}"))])
                  for p, _target, target_param in need.chains]
        parts += [(f"{need.resource_type} search with _include={v}", [("_include", v)]) for v in need.includes]
        parts += [(f"{need.resource_type} search with _revinclude={v}", [("_revinclude", v)])
                  for v in need.revincludes]
        whole = [pair for _, params in parts for pair in params] or [("_id", "kiosk-probe")]
        try:
            search(need.resource_type, [*whole, ("_count", "1")])
            continue
        except FhirUnavailable:
            raise
        except FhirError:
            pass
        for words, params in parts:
            try:
                search(need.resource_type, [*params, ("_count", "1")])
            except FhirUnavailable:
                raise
            except FhirError:
                refused.add(words)
        if not parts:
            refused.add(f"{need.resource_type} search")
    return Capabilities(software=software, fhir_version="", source=PROBED, refused_searches=frozenset(refused))
