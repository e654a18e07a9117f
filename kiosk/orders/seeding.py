"""Orders written in a known state, for the demo (kiosk/demo/orders.py) and the tests: an order of the
catalog as the order form sends it, then moved on to the state asked for (awaiting co-signature,
co-signed, completed, cancelled, revoked by its provider who disagreed, or the provider's own). Every
resource is a conditional create on its identifier or the order number, so seeding twice creates nothing
new."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kiosk.fhir import builders as b
from kiosk.fhir.client import Transaction, identifier_query, new_full_url
from kiosk.fhir.orders import (
    LOINC,
    SNOMED,
    NewOrder,
    Systems,
    cosign_task,
    disagree,
    entry_provenance,
    service_request,
)

from .services import accession_for
from .settings import CatalogItem

STATES = ("cosign", "signed", "completed", "cancelled", "disagreed", "own")
#: What the provider said of an order they disagreed with ("disagreed").
DISAGREED_REASON = "Not what I asked for: call me to clarify"


@dataclass(frozen=True)
class OrderSpec:
    number: str
    patient: str
    encounter: str
    unit_id: str
    item: CatalogItem
    provider: str
    provider_name: str
    state: str = "cosign"
    mode: str = "PC"
    priority: str | None = None
    hours_ago: float = 1
    cosign_hours: int = 24


def order_transaction(spec: OrderSpec, sys: Systems, now: datetime, enterer: dict[str, Any]) -> Transaction:
    if spec.state not in STATES:
        raise ValueError(f"unknown order state {spec.state!r}")
    entered = now - timedelta(hours=spec.hours_ago)
    mode = "EL" if spec.state == "own" else spec.mode
    item = spec.item
    details: list[tuple[str, str]] = []
    if item.category == "lab":
        details = [("specimen", item.specimen), ("container", item.container)]
    elif item.category == "imaging":
        details = [("reason", "Shortness of breath"), ("travel", "Portable")]
    elif item.category == "diet":
        details = [("texture", "Soft"), ("fluids", "Thin")]
    elif item.category == "consult":
        details = [("service", item.service), ("question", "Please advise on management")]
    new = NewOrder(
        number=spec.number, patient=spec.patient, encounter=spec.encounter, unit_id=spec.unit_id,
        category=item.category, item_system={"loinc": LOINC, "snomed": SNOMED}.get(item.system, sys.item),
        item_code=item.code, item_name=item.name, priority=spec.priority or item.priority, mode=mode,
        provider=spec.provider, provider_name=spec.provider_name, enterer=enterer, entered_at=entered,
        occurrence={"occurrenceDateTime": b.fhir_instant(entered)},
        details=tuple(details), accession=accession_for(spec.number) if item.category == "lab" else None,
        read_back=f"Read back to and confirmed by {spec.provider_name}." if mode in ("PC", "VO") else "",
        cosign_due=entered + timedelta(hours=spec.cosign_hours),
    )
    tx = Transaction()
    order = service_request(sys, new)
    if spec.state == "completed":
        order["status"] = "completed"
    elif spec.state == "cancelled":
        order["status"] = "revoked"
        order["note"] = [{"text": "Discontinued: No longer needed", "time": b.fhir_instant(entered)}]
    target = new_full_url()
    task = cosign_task(sys, new, target)
    if spec.state == "disagreed":
        disagree(order, task, sys, DISAGREED_REASON, entered + timedelta(hours=1))
    tx.create(order, if_none_exist=identifier_query(sys.order_number, spec.number), full_url=target)
    tx.create(entry_provenance(sys, new, target))
    if spec.state == "own":
        return tx
    if spec.state in ("signed", "completed"):
        task["status"] = "completed"
        task["executionPeriod"] = {"end": b.fhir_instant(entered + timedelta(hours=2))}
    elif spec.state == "cancelled":
        task["status"] = "cancelled"
        task["statusReason"] = {"text": "Order discontinued"}
    tx.create(task, if_none_exist=identifier_query(sys.task, f"order-cosign/{spec.number}"))
    if spec.state in ("signed", "completed"):
        tx.create({
            "resourceType": "Provenance", "target": [b.reference(target)],
            "recorded": b.fhir_instant(entered + timedelta(hours=2)),
            "activity": b.concept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "AUTHEN",
                                  "authenticator", "Co-signed by the ordering provider"),
            "agent": [{"type": b.concept("http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                                         "attester", "Attester"), "who": b.reference(spec.provider,
                                                                                     spec.provider_name)}],
        })
    return tx
