"""Orders in the demo: 4 West's patients with orders in every state (awaiting co-signature, two of them
past due, co-signed, completed, cancelled, one its provider disagreed with, a provider's own), most given
by Dr. Adeyemi so that the demo provider has orders to co-sign. Idempotent: orders already on the server
(by their numbers) are left as they are."""

from __future__ import annotations

from datetime import UTC, datetime

from kiosk.auth import Role
from kiosk.auth.services import DEMO_STAFF
from kiosk.fhir.census import unit_census
from kiosk.fhir.gateway import UnitRef
from kiosk.fhir.orders import practitioner_of, staff_reference, systems
from kiosk.orders import OrderSpec, load_orders_settings, order_transaction

from .extras import DemoContext
from .hospital import MED_SURG

#: (catalog code, state, mode, hours ago, priority or None for the item's): the demo's orders.
ORDERS = (
    ("57021-8", "cosign", "PC", 1, "stat"),
    ("51990-0", "cosign", "VO", 30, None),  # past due
    ("xr-chest-portable", "cosign", "PC", 26, None),  # past due
    ("10839-9", "cosign", "PC", 21, "stat"),  # due within the amber hours
    ("diet-cardiac", "cosign", "PA", 3, None),
    ("pt-eval", "signed", "PC", 20, None),
    ("24356-8", "completed", "VO", 40, None),
    ("ct-head-noncontrast", "cancelled", "PC", 12, None),
    ("vitals-q4h", "own", "EL", 5, None),
    ("consult-cardiology", "cosign", "PC", 2, None),
    ("us-doppler-legs", "disagreed", "PC", 4, None),
)


def seed(ctx: DemoContext) -> str:
    gw = ctx.gateway
    settings = load_orders_settings(ctx.settings)
    sys = systems(gw, settings.order_number_system, settings.accession_system)
    census = unit_census(gw, UnitRef(system=gw.identifiers.location, value=MED_SURG.code))
    stays = [e for e in census.encounters if e.status == "in-progress" and e.patient]
    ident = next(s[4] for s in DEMO_STAFF if s[2] is Role.PROVIDER)
    provider = practitioner_of(gw, f"Practitioner?identifier={gw.identifiers.practitioner}|{ident}")
    if provider is None or not stays:
        return "Orders: no demo provider or no patient on 4 West: nothing seeded."
    secretary = next(s for s in DEMO_STAFF if s[2] is Role.UNIT_SECRETARY)
    enterer = staff_reference(sys, secretary[0], secretary[1], None)
    numbers = [f"OR-DE{n + 1:08X}" for n in range(len(ORDERS))]
    there = gw.client.search("ServiceRequest", [("identifier", ",".join(f"{sys.order_number}|{n}" for n in numbers))])
    existing = {i.get("value") for m in there.matches for i in m.get("identifier") or []}
    now = datetime.now(UTC).replace(microsecond=0)
    created = 0
    for n, ((code, state, mode, hours, priority), number) in enumerate(zip(ORDERS, numbers, strict=True)):
        if number in existing:
            continue
        item = settings.catalog.item(code)
        if item is None:
            continue
        stay = stays[n % len(stays)]
        spec = OrderSpec(number=number, patient=stay.patient or "", encounter=stay.reference,
                         unit_id=census.unit.id, item=item, provider=provider, provider_name="Dr. Adeyemi",
                         state=state, mode=mode, priority=priority, hours_ago=hours,
                         cosign_hours=settings.cosign_hours)
        gw.client.transaction(order_transaction(spec, sys, now, enterer))
        created += 1
    return (f"Orders: {len(ORDERS)} orders on {census.unit.name} in every state, two co-signatures past due: "
            f"{created} created, {len(ORDERS) - created} already there.")
