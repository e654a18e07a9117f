"""The kiosk's rest-hook Subscriptions on the FHIR server (R4 `Subscription`, channel `rest-hook`).

The server posts a notification to the kiosk's address (push.notify_url) whenever a resource matching one
of the criteria changes. The kiosk asks for no payload: a notification only says "something changed", and
the kiosk then looks at what changed the way the census-check job does (kiosk.fhir.changes, one request),
so no patient data travels with a notification, and a lost or doubled notification costs nothing but a
later or an extra look.

A Subscription is the kiosk's when its `channel.endpoint` is the kiosk's address. `keep_subscribed` makes
the set on the server match the settings: it creates the missing ones, asks again (`status: requested`)
for those the server turned off or to `error` (a server turns a subscription to `error` when it could not
deliver, for example while the kiosk was down), puts the current authorization header on those that carry
another one, and turns off those whose criteria are no longer in the settings. Every update is sent with
`If-Match` on the version read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .capability import Capabilities
from .errors import FhirConflict, FhirError
from .gateway import FhirGateway

#: The statuses of a subscription the server delivers on (or will, once it has checked it).
WORKING = ("active", "requested")
REASON = "Unit Coordinator Kiosk: census changes (the kiosk looks at what changed; no payload)"


@dataclass(frozen=True)
class KioskSubscription:
    """One of the kiosk's Subscriptions as the server holds it."""

    id: str
    version: str | None
    criteria: str
    status: str
    error: str | None
    headers: tuple[str, ...]
    resource: dict[str, Any] = field(repr=False, compare=False)


@dataclass(frozen=True)
class SubscriptionReport:
    """What `keep_subscribed` found and did."""

    #: The criteria the server delivers on (active, or requested and not refused).
    working: tuple[str, ...] = ()
    #: The criteria subscribed now: created, or asked again.
    requested: tuple[str, ...] = ()
    #: Subscriptions turned off because their criteria left the settings.
    turned_off: tuple[str, ...] = ()
    #: (criteria, why) for those the server refused or that could not be written.
    failed: tuple[tuple[str, str], ...] = ()

    def summary(self) -> str:
        parts = [f"{len(self.working)} subscriptions working"]
        if self.requested:
            parts.append(f"{len(self.requested)} requested ({', '.join(self.requested)})")
        if self.turned_off:
            parts.append(f"{len(self.turned_off)} turned off")
        if self.failed:
            parts.append("; ".join(f"{criteria}: {why}" for criteria, why in self.failed))
        return ", ".join(parts)


def offers_subscriptions(caps: Capabilities) -> str | None:
    """None when the server takes the kiosk's Subscriptions (create, read, update and search by endpoint),
    else why not, in words for the health page and the job's log."""
    if caps.probed:
        return "the server has no CapabilityStatement, so it does not say that it takes subscriptions"
    missing = [i for i in ("create", "update", "search-type") if not caps.allows("Subscription", i)]
    if missing:
        return f"the server does not offer Subscription {', '.join(missing)}"
    resource = caps.resources["Subscription"]
    if "url" not in resource.search_params:
        return "the server cannot search subscriptions by their endpoint (parameter url)"
    return None


def kiosk_subscriptions(gw: FhirGateway, endpoint: str) -> list[KioskSubscription]:
    """The subscriptions on the server whose channel posts to `endpoint` (one search)."""
    found = gw.client.search("Subscription", [("url", endpoint)])
    return [_read(s) for s in found.matches
            if (s.get("channel") or {}).get("endpoint", "").rstrip("/") == endpoint.rstrip("/")]


def _read(resource: dict[str, Any]) -> KioskSubscription:
    channel = resource.get("channel") or {}
    return KioskSubscription(
        id=str(resource.get("id")), version=(resource.get("meta") or {}).get("versionId"),
        criteria=str(resource.get("criteria") or ""), status=str(resource.get("status") or ""),
        error=resource.get("error"), headers=tuple(str(h) for h in channel.get("header") or []),
        resource=resource)


def subscription(criteria: str, endpoint: str, header: str) -> dict[str, Any]:
    """A new rest-hook Subscription of the kiosk (no payload: the notification is a signal only)."""
    return {
        "resourceType": "Subscription",
        "status": "requested",
        "reason": REASON,
        "criteria": criteria,
        "channel": {"type": "rest-hook", "endpoint": endpoint, "header": [header]},
    }


def keep_subscribed(gw: FhirGateway, endpoint: str, header: str, criteria: tuple[str, ...]) -> SubscriptionReport:
    """Make the kiosk's subscriptions on the server match `criteria` (see the module's docstring): one
    search, then a write only for each one that is missing or not as it should be."""
    held = kiosk_subscriptions(gw, endpoint)
    working: list[str] = []
    requested: list[str] = []
    turned_off: list[str] = []
    failed: list[tuple[str, str]] = []
    by_criteria: dict[str, KioskSubscription] = {}
    for sub in held:
        if sub.criteria in criteria and sub.criteria not in by_criteria:
            by_criteria[sub.criteria] = sub
        elif sub.status != "off":
            try:
                gw.client.update({**sub.resource, "status": "off"}, version=sub.version)
                turned_off.append(sub.criteria)
            except FhirError as e:
                failed.append((sub.criteria, e.message))
    for wanted in criteria:
        sub = by_criteria.get(wanted)
        try:
            if sub is None:
                made = gw.client.create(subscription(wanted, endpoint, header)).resource
                _sort(_read(made), wanted, working, requested, failed, asked=True)
            elif sub.status in WORKING and sub.headers == (header,):
                working.append(wanted)
            else:
                channel = {**(sub.resource.get("channel") or {}), "header": [header]}
                body = {k: v for k, v in sub.resource.items() if k != "error"}
                made = gw.client.update({**body, "status": "requested", "channel": channel},
                                        version=sub.version).resource
                _sort(_read(made), wanted, working, requested, failed, asked=True, was=sub.error)
        except FhirConflict:
            failed.append((wanted, "changed on the server while the kiosk wrote it; the next run checks again"))
        except FhirError as e:
            failed.append((wanted, e.message))
    return SubscriptionReport(working=tuple(working), requested=tuple(requested), turned_off=tuple(turned_off),
                              failed=tuple(failed))


def _sort(sub: KioskSubscription, criteria: str, working: list[str], requested: list[str],
          failed: list[tuple[str, str]], asked: bool, was: str | None = None) -> None:
    """File a subscription just written: the server may have activated it, left it requested, or refused it."""
    if sub.status in WORKING:
        working.append(criteria)
        if asked:
            requested.append(criteria)
    else:
        failed.append((criteria, f"the server set it to {sub.status or 'no status'}"
                                 f"{': ' + sub.error if sub.error else ''}{' (before: ' + was + ')' if was else ''}"))
