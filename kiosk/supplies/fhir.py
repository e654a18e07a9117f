"""The supply workflow's FHIR code: reorders on the FHIR server, one SupplyRequest per item and day, never two.

A reorder's identifier is <unit>/<location>/<item>/<day> in the configured reorder system. How it
is made idempotent depends on what the server offers (its CapabilityStatement):

- conditional create on SupplyRequest `identifier`: POST with If-None-Exist on the identifier
  (DESIGN.md's way; a second check the same day finds the first request);
- otherwise update-as-create (`updateCreate`) with `_id` search: the resource id is derived from the
  identifier (sr-<sha-256 of system|value>), the day's ids are read in one `_id` search, and only
  the ones not there are written, with PUT, so a rerun finds and keeps what exists (no overwrite);
- neither: the reorders are not sent, and the check says why.

sekmet-fhir 0.1.1 takes SupplyRequest but leaves it out of its CapabilityStatement and refuses
`SupplyRequest?identifier=`; it is named in supplies.toml (`unlisted_supply_request_servers`) and
gets the second way, which tests/integration/supplies proves on it. Epic and Oracle Health do not
offer SupplyRequest at all. A check's writes go in one transaction Bundle where the server allows it.

The supply Locations are not created by the kiosk: a Location the hospital registered with the
identifier <unit>-<location code> is referenced literally; otherwise deliverTo is a logical reference
by that identifier (R4 Reference.identifier), which the hospital's materials system can resolve.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol

from kiosk import timeutil
from kiosk.fhir import builders as b
from kiosk.fhir.capability import Capabilities
from kiosk.fhir.client import Transaction, identifier_query, token
from kiosk.fhir.gateway import FhirGateway
from kiosk.fhir.records import ref_key

from .config import SuppliesConfig, SupplyLocation
from .stock import ItemStock

SUPPLY_KIND = "http://terminology.hl7.org/CodeSystem/supply-kind"
OPEN_STATUSES = ("draft", "active", "suspended")
STATUS_LABELS = {"draft": "Draft", "active": "Requested", "suspended": "On hold", "completed": "Delivered",
                 "cancelled": "Cancelled", "entered-in-error": "Entered in error", "unknown": "Unknown"}


class Channel(StrEnum):
    CONDITIONAL_CREATE = "conditional-create"
    CLIENT_ID = "client-id"


@dataclass(frozen=True)
class ReorderRoute:
    """How this server takes reorders, or why it does not (`channel` None, `reason` a sentence)."""

    channel: Channel | None
    transaction: bool = False
    declared: bool = False
    reason: str | None = None

    @property
    def can_read_by_id(self) -> bool:
        return self.channel is not None


def reorder_route(caps: Capabilities, unlisted_servers: tuple[str, ...]) -> ReorderRoute:
    resource = caps.resources.get("SupplyRequest")
    transaction = caps.allows_transaction()
    if resource is None:
        if any(caps.software.startswith(name) for name in unlisted_servers):
            return ReorderRoute(Channel.CLIENT_ID, transaction=transaction, declared=True)
        return ReorderRoute(None, reason=caps.reason("SupplyRequest", "create"))
    if caps.allows_conditional_create("SupplyRequest", "identifier"):
        return ReorderRoute(Channel.CONDITIONAL_CREATE, transaction=transaction)
    if (caps.allows("SupplyRequest", "update") and resource.update_create
            and caps.supports_search("SupplyRequest", "_id")):
        return ReorderRoute(Channel.CLIENT_ID, transaction=transaction)
    if not caps.allows("SupplyRequest", "create"):
        return ReorderRoute(None, reason=caps.reason("SupplyRequest", "create"))
    return ReorderRoute(None, reason=(
        f"{caps.software} allows creating SupplyRequest but neither conditional create on its identifier nor "
        "update-as-create, so a retried check could order twice."))


def reorder_identifier(unit_code: str, location_code: str, item_code: str, day: date) -> str:
    return f"{unit_code}/{location_code}/{item_code}/{day.isoformat()}"


def reorder_id(system: str, value: str) -> str:
    """A FHIR id made from the identifier: the same reorder always gets the same id."""
    return "sr-" + hashlib.sha256(f"{system}|{value}".encode()).hexdigest()[:40]


def location_identifier(unit_code: str, location: SupplyLocation) -> str:
    return f"{unit_code}-{location.code}"


@dataclass(frozen=True)
class ReorderPlan:
    stock: ItemStock
    identifier: str
    resource_id: str

    @property
    def quantity(self) -> int:
        return self.stock.reorder_quantity

    @property
    def priority(self) -> str:
        return self.stock.priority


def plan_reorders(config: SuppliesConfig, due: list[ItemStock], day: date) -> list[ReorderPlan]:
    plans = []
    for stock in due:
        value = reorder_identifier(config.unit_code, stock.location.code, stock.item.code, day)
        plans.append(ReorderPlan(stock, value, reorder_id(config.settings.reorder_system, value)))
    return plans


@dataclass(frozen=True)
class Targets:
    """Who asks (requester) and where each location's reorders go (deliverTo), as References."""

    unit_name: str
    requester: dict[str, Any] | None
    deliver_to: dict[str, dict[str, Any]]


def find_targets(gw: FhirGateway, config: SuppliesConfig) -> Targets:
    """Two searches whatever the number of items: the unit with its parents and organizations, and the
    registered supply Locations (by identifier)."""
    unit_id = gw.unit_location_id()
    unit_search = gw.client.search("Location", [
        ("_id", unit_id),
        ("_include", "Location:partof"),
        ("_include", "Location:organization"),
        ("_include:iterate", "Location:organization"),
    ])
    unit = unit_search.resolve(f"Location/{unit_id}") or {}
    unit_name = str(unit.get("name") or config.unit_code)
    system = gw.identifiers.location
    wanted = {location_identifier(config.unit_code, loc): loc for loc in config.par.locations}
    registered: dict[str, str] = {}
    if gw.capabilities.supports_search("Location", "identifier"):
        found = gw.client.search("Location", [("identifier", ",".join(f"{system}|{v}" for v in wanted))])
        for resource in found.matches:
            for ident in resource.get("identifier") or []:
                if ident.get("system") == system and ident.get("value") in wanted:
                    registered.setdefault(ident["value"], f"Location/{resource['id']}")
    deliver_to: dict[str, dict[str, Any]] = {}
    for value, location in wanted.items():
        display = f"{location.name}, {unit_name}"
        if value in registered:
            deliver_to[location.code] = b.reference(registered[value], display)
        else:
            deliver_to[location.code] = {"identifier": b.identifier(system, value), "display": display}
    return Targets(unit_name=unit_name, requester=_requester(unit, unit_search), deliver_to=deliver_to)


def _requester(unit: dict[str, Any], search: Any) -> dict[str, Any] | None:
    """R4 SupplyRequest.requester cannot be a Location: the Organization that manages the unit
    (or, failing that, the nearest parent Location's) asks on the unit's behalf."""
    location: dict[str, Any] | None = unit
    for _ in range(4):
        if not location:
            return None
        org_ref = ref_key(location.get("managingOrganization"))
        if org_ref:
            org = search.resolve(org_ref) or {}
            return b.reference(org_ref, org.get("name"))
        location = search.resolve(ref_key(location.get("partOf")))
    return None


def supply_request(plan: ReorderPlan, config: SuppliesConfig, targets: Targets, authored: datetime,
                   with_id: bool) -> dict[str, Any]:
    stock, item = plan.stock, plan.stock.item
    settings = config.settings
    occurrence = authored if plan.priority == "stat" else authored + settings.routine_within
    counted = timeutil.local(stock.last.counted_at).strftime("%Y-%m-%d %H:%M") if stock.last else "?"
    resource: dict[str, Any] = {
        "resourceType": "SupplyRequest",
        "identifier": [b.identifier(settings.reorder_system, plan.identifier)],
        "status": "active",
        "category": b.concept(SUPPLY_KIND, "central", "Central Supply"),
        "priority": plan.priority,
        "itemCodeableConcept": b.concept(settings.item_system, item.code, item.description, item.description),
        "quantity": {"value": plan.quantity, "unit": item.unit},
        "occurrenceDateTime": b.fhir_instant(occurrence),
        "authoredOn": b.fhir_instant(authored),
        "reasonCode": [{"text": f"Counted {stock.count} {item.unit} at {counted} in {stock.location.name}; "
                                f"reorder point {item.reorder_point}, par {item.par}"}],
        "deliverTo": targets.deliver_to[stock.location.code],
    }
    if targets.requester:
        resource["requester"] = targets.requester
    if with_id:
        resource["id"] = plan.resource_id
    return resource


class ReorderResult(StrEnum):
    CREATED = "created"
    EXISTING = "existing"
    #: On the server, seen by reading it again after the answer to its write was lost.
    FOUND = "found"


@dataclass(frozen=True)
class SentReorder:
    plan: ReorderPlan
    result: ReorderResult
    fhir_id: str
    status: str


class ReorderWrites(Protocol):
    """Hears each write of reorders: `before` with the plans one request carries, before it is sent (the
    check commits its audit intents there), `after` with what that request wrote (not called when it
    raised)."""

    def before(self, plans: list[ReorderPlan]) -> None: ...

    def after(self, sent: list[SentReorder]) -> None: ...


def send_reorders(gw: FhirGateway, config: SuppliesConfig, route: ReorderRoute, plans: list[ReorderPlan],
                  authored: datetime, writes: ReorderWrites) -> list[SentReorder]:
    """Write the day's reorders that are not on the server yet; FhirError when the server refuses."""
    if not plans:
        return []
    if route.channel is Channel.CLIENT_ID:
        return _send_with_ids(gw, config, route, plans, authored, writes)
    return _send_conditional(gw, config, route, plans, authored, writes)


def _send_with_ids(gw: FhirGateway, config: SuppliesConfig, route: ReorderRoute, plans: list[ReorderPlan],
                   authored: datetime, writes: ReorderWrites) -> list[SentReorder]:
    existing = read_by_ids(gw, [p.resource_id for p in plans])
    sent = [SentReorder(p, ReorderResult.EXISTING, p.resource_id, str(existing[p.resource_id].get("status")))
            for p in plans if p.resource_id in existing]
    new = [p for p in plans if p.resource_id not in existing]
    if not new:
        return _in_plan_order(plans, sent)
    targets = find_targets(gw, config)
    resources = [supply_request(p, config, targets, authored, with_id=True) for p in new]

    def written(plan: ReorderPlan, was_created: bool) -> SentReorder:
        # Not created means someone wrote the same reorder between the read and this write: same day, item, id.
        return SentReorder(plan, ReorderResult.CREATED if was_created else ReorderResult.EXISTING,
                           plan.resource_id, "active")

    if route.transaction:
        tx = Transaction()
        for resource in resources:
            tx.create_with_id(resource)
        writes.before(new)
        results = gw.client.transaction(tx)
        done = [written(plan, r.created) for plan, r in zip(new, results, strict=True)]
        writes.after(done)
        sent += done
    else:
        for plan, resource in zip(new, resources, strict=True):
            writes.before([plan])
            one = written(plan, gw.client.create_with_id(resource).created)
            writes.after([one])
            sent.append(one)
    return _in_plan_order(plans, sent)


def _send_conditional(gw: FhirGateway, config: SuppliesConfig, route: ReorderRoute, plans: list[ReorderPlan],
                      authored: datetime, writes: ReorderWrites) -> list[SentReorder]:
    system = config.settings.reorder_system
    targets = find_targets(gw, config)
    resources = [supply_request(p, config, targets, authored, with_id=False) for p in plans]

    def written(plan: ReorderPlan, created: bool, fhir_id: str, status: str) -> SentReorder:
        return SentReorder(plan, ReorderResult.CREATED if created else ReorderResult.EXISTING, fhir_id, status)

    sent: list[SentReorder] = []
    if route.transaction:
        tx = Transaction()
        for plan, resource in zip(plans, resources, strict=True):
            tx.create(resource, if_none_exist=identifier_query(system, plan.identifier))
        writes.before(plans)
        for plan, entry in zip(plans, gw.client.transaction(tx), strict=True):
            reference = entry.reference or ""
            status = str((entry.resource or {}).get("status") or "active")
            sent.append(written(plan, entry.created, reference.rpartition("/")[2], status))
        writes.after(sent)
    else:
        for plan, resource in zip(plans, resources, strict=True):
            writes.before([plan])
            result = gw.client.create(resource, if_none_exist=identifier_query(system, plan.identifier))
            one = written(plan, result.created, result.id, str(result.resource.get("status") or "active"))
            writes.after([one])
            sent.append(one)
    return sent


def _in_plan_order(plans: list[ReorderPlan], sent: list[SentReorder]) -> list[SentReorder]:
    order = {p.resource_id: n for n, p in enumerate(plans)}
    return sorted(sent, key=lambda s: order[s.plan.resource_id])


def read_by_ids(gw: FhirGateway, ids: list[str]) -> dict[str, dict[str, Any]]:
    """SupplyRequests by id, in one search (the client posts it when the list is long)."""
    if not ids:
        return {}
    found = gw.client.search("SupplyRequest", [("_id", ",".join(ids)), ("_count", str(max(len(ids), 10)))])
    return {str(r.get("id")): r for r in found.matches}


def find_reorders(gw: FhirGateway, config: SuppliesConfig, route: ReorderRoute,
                  plans: list[ReorderPlan]) -> list[SentReorder]:
    """The reorders of `plans` the server holds, in one request: after a write whose answer was lost (or
    a server error), what it wrote. By id on the client-id route, by identifier (an OR-list) on the
    conditional-create route (whose If-None-Exist needs that search). FhirError when the server cannot
    say."""
    if not plans:
        return []
    if route.channel is Channel.CLIENT_ID:
        by_id = read_by_ids(gw, [p.resource_id for p in plans])
        return [SentReorder(p, ReorderResult.FOUND, p.resource_id, str(by_id[p.resource_id].get("status")))
                for p in plans if p.resource_id in by_id]
    system = config.settings.reorder_system
    found = gw.client.search("SupplyRequest", [("identifier", ",".join(token(system, p.identifier) for p in plans)),
                                               ("_count", str(max(len(plans), 10)))])
    by_value: dict[str, dict[str, Any]] = {}
    for resource in found.matches:
        for ident in resource.get("identifier") or []:
            if ident.get("system") == system and isinstance(ident.get("value"), str):
                by_value.setdefault(ident["value"], resource)
    return [SentReorder(p, ReorderResult.FOUND, str(by_value[p.identifier].get("id")),
                        str(by_value[p.identifier].get("status"))) for p in plans if p.identifier in by_value]
