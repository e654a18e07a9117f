"""What the FHIR server allows, read from its CapabilityStatement.

The kiosk offers a write only when the server says it allows it; otherwise the action is shown as
unavailable with `reason()` and the rest keeps working. Search parameters are checked the same way.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from .errors import FhirNotAllowed

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


@dataclass(frozen=True)
class Capabilities:
    software: str
    fhir_version: str
    resources: dict[str, ResourceCapability] = field(default_factory=dict)
    system_interactions: frozenset[str] = frozenset()

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
        return resource_type in self.resources

    def allows(self, resource_type: str, interaction: str) -> bool:
        res = self.resources.get(resource_type)
        return res is not None and interaction in res.interactions

    def allows_transaction(self) -> bool:
        return "transaction" in self.system_interactions

    def allows_batch(self) -> bool:
        return "batch" in self.system_interactions

    def allows_conditional_create(self, resource_type: str, on_param: str = "identifier") -> bool:
        res = self.resources.get(resource_type)
        return (res is not None and "create" in res.interactions and res.conditional_create
                and on_param in res.search_params)

    def supports_search(self, resource_type: str, param: str) -> bool:
        """Is this search parameter (with modifiers and chains stripped) listed for the type?"""
        if param in CONTROL_PARAMETERS:
            return True
        name = param.split(":", 1)[0].split(".", 1)[0]
        if name in ("_id", "_lastUpdated"):
            return self.allows(resource_type, "search-type")
        res = self.resources.get(resource_type)
        return res is not None and name in res.search_params

    def supports_include(self, resource_type: str, value: str) -> bool:
        """Is `_include=<value>` (e.g. 'Location:partof') offered on searches of this type? A statement
        without searchInclude offers none."""
        res = self.resources.get(resource_type)
        return res is not None and bool({"*", value} & res.search_includes)

    def supports_revinclude(self, resource_type: str, value: str) -> bool:
        res = self.resources.get(resource_type)
        return res is not None and bool({"*", value} & res.search_revincludes)

    def missing_searches(self, need: SearchNeed) -> list[str]:
        """What of a search the server does not offer, in words ('Location search by partof'); empty
        when it offers all of it."""
        rtype = need.resource_type
        if not self.allows(rtype, "search-type"):
            return [f"{rtype} search"]
        missing = [f"{rtype} search by {p}" for p in need.params if not self.supports_search(rtype, p)]
        missing += [f"{rtype} search by {p}.{target_param}" for p, target, target_param in need.chains
                    if not (self.supports_search(rtype, p) and self.supports_search(target, target_param))]
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
    """Reads /metadata once (on first use) and keeps it until `refresh()`; shared by a process's threads."""

    def __init__(self, fetch: Callable[[], dict[str, Any]]):
        self._fetch = fetch
        self._value: Capabilities | None = None
        self._lock = threading.Lock()

    def get(self) -> Capabilities:
        with self._lock:
            if self._value is None:
                self._value = Capabilities.from_statement(self._fetch())
            return self._value

    def set(self, statement: dict[str, Any]) -> Capabilities:
        """Use this CapabilityStatement instead of the server's (tests: another vendor's statement)."""
        value = Capabilities.from_statement(statement)
        with self._lock:
            self._value = value
        return value

    def refresh(self) -> Capabilities:
        with self._lock:
            self._value = None
        return self.get()

    @property
    def loaded(self) -> bool:
        return self._value is not None
