"""Orders on what Epic and Oracle Health publish (their CapabilityStatements, tests/fixtures/capability,
injected into the kiosk's gateway; sekmet-fhir answers what the kiosk then sends). Epic takes
ServiceRequest create but only reads Provenance and creates no Task: the order is sent alone, who entered
it and how stay in the audit trail, and the screen says the co-signature happens in the EHR. Oracle
Health's ServiceRequest is read-only: orders are shown, entry is unavailable, with the reason."""

from __future__ import annotations

import re
from collections.abc import Callable

from kiosk.audit.models import AuditRecord
from kiosk.extensions import database
from tests.support.beds import app_gateway, vendor_statement
from tests.support.orders import OrdersUnit, order_form, send_order


def test_on_epic_the_order_is_sent_alone_and_co_signed_in_the_ehr(orders_unit: Callable[..., OrdersUnit]) -> None:
    unit = orders_unit()
    app_gateway(unit.app).capabilities_cache.set(vendor_statement("epic"))
    stay = unit.stays()[0]
    client = unit.client()
    html, number = order_form(client, stay)
    assert "Co-signature happens in the EHR" in html and "the provider co-signs it in the EHR" in html
    sent = send_order(client, stay, number, read_back="y")
    page = sent.get_data(as_text=True)
    assert sent.status_code == 200, re.findall(r'notice-text">(.*?)<', page)
    assert "co-signs it in the EHR" in page
    found = unit.orders(stay)
    assert len(found.orders) == 1 and found.cosigns == []
    assert unit.gw.client.search("Provenance", [("target", found.orders[0].reference)]).matches == []
    with unit.app.app_context(), database().session() as db:
        details = [r.detail or "" for r in db.query(AuditRecord).all()]
    assert any(f"order {number}: mode PC, entered by badge 100001, author {stay.attending}" in d for d in details)
    again = send_order(client, stay, number, read_back="y")
    assert "Already sent" in again.get_data(as_text=True) and len(unit.orders(stay).orders) == 1


def test_on_oracle_health_orders_are_shown_and_entry_is_unavailable(orders_unit: Callable[..., OrdersUnit]) -> None:
    unit = orders_unit()
    stay = unit.stays()[0]
    client = unit.client()
    _, number = order_form(client, stay)
    assert send_order(client, stay, number, read_back="y").status_code == 200
    app_gateway(unit.app).capabilities_cache.set(vendor_statement("oracle"))
    page = client.get(stay.base).get_data(as_text=True)
    assert "CBC with differential" in page, re.findall(r"notice-(?:text|title)\">(.*?)<", page)
    assert "Orders cannot be entered on this FHIR server" in page
    assert "Oracle Health does not allow creating ServiceRequest." in page and ">New order<" not in page
    form = client.get(f"{stay.base}/new").get_data(as_text=True)
    assert "Oracle Health does not allow creating ServiceRequest. Orders can be read here but not entered." in form
    assert 'name="number"' not in form
    refused = send_order(client, stay, "OR-00000000AB", read_back="y", item="51990-0")
    assert refused.status_code == 409 and len(unit.orders(stay).orders) == 1
