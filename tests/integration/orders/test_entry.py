"""Entering an order on the real FHIR server: the read-back, the one transaction's shape, a double
submit making one order, the duplicate check, and what the audit trail keeps."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

import pytest

from kiosk.audit.models import AuditRecord
from kiosk.auth import Role
from kiosk.extensions import database
from kiosk.orders.models import SendInFlight
from tests.support.auth import csrf_token, same_browser
from tests.support.beds import app_gateway, vendor_statement
from tests.support.orders import OrdersUnit, order_form, read_back, send_order


def test_a_telephone_order_is_read_back_then_sent_as_one_transaction(
        orders_unit: Callable[..., OrdersUnit]) -> None:
    unit = orders_unit()
    stay = unit.stays()[0]
    client = unit.client()
    html, number = order_form(client, stay)
    assert "Favourites of this unit" in html and "CBC with differential" in html

    review = send_order(client, stay, number, step="review")
    assert review.status_code == 200
    sentence = read_back(review.get_data(as_text=True))
    assert sentence.startswith("CBC with differential, stat, now, blood, lavender top (EDTA), for ")
    assert ", MRN " in sentence and ", ordered by telephone by Dr. " in sentence
    assert "Read back to and confirmed by Dr. " in review.get_data(as_text=True)

    unconfirmed = send_order(client, stay, number)
    assert unconfirmed.status_code == 422 and "Read the order back to Dr." in unconfirmed.get_data(as_text=True)
    assert unit.orders(stay).orders == []

    sent = send_order(client, stay, number, read_back="y", reason="Fever", note="Call results to Dr.")
    page = sent.get_data(as_text=True)
    assert sent.status_code == 200 and "is asked to co-sign it within 24 hours" in page, page[:3000]

    found = unit.orders(stay)
    [order] = found.orders
    [cosign] = found.cosigns
    raw = found.raw[order.reference]
    assert raw["status"] == "active" and raw["intent"] == "order" and raw["priority"] == "stat"
    assert raw["code"]["coding"][0] == {"system": "http://loinc.org", "code": "57021-8",
                                        "display": "CBC with differential"}
    assert raw["requester"]["reference"] == stay.attending
    assert raw["identifier"][0] == {"system": unit.sys.order_number, "value": number}
    assert raw["identifier"][1]["system"] == unit.sys.accession and order.accession == "A" + number[3:]
    assert raw["reasonCode"] == [{"text": "Fever"}]
    assert raw["category"][0]["coding"][0]["code"] == "108252007"
    task = found.raw[cosign.reference]
    assert task["code"]["coding"][0]["code"] == "approve" and task["status"] == "requested"
    assert task["owner"]["reference"] == stay.attending and task["focus"]["reference"] == order.reference
    assert task["for"]["reference"] == f"Patient/{stay.patient_id}" and cosign.due is not None
    provenance = unit.gw.client.search("Provenance", [("target", order.reference)]).matches
    [entry] = provenance
    assert entry["activity"]["coding"][0] == {"system": "http://terminology.hl7.org/CodeSystem/v2-0483", "code": "PC",
                                              "display": "Phone call"}
    assert entry["activity"]["text"].startswith("Read back to and confirmed by Dr. ")
    roles = {a["type"]["coding"][0]["code"]: a["who"] for a in entry["agent"]}
    assert roles["author"]["reference"] == stay.attending and roles["enterer"]["display"] == "Dana Reyes"

    with unit.app.app_context(), database().session() as db:
        details = [r.detail or "" for r in db.query(AuditRecord).all()]
    assert any(d.startswith(f"order {number} (telephone): read back to and confirmed by {stay.attending}")
               for d in details)
    assert any(d.startswith("order-entry: wrote ") and "ServiceRequest/" in d for d in details)

    again = send_order(client, stay, number, read_back="y")
    assert again.status_code == 200 and "Already sent" in again.get_data(as_text=True)
    assert len(unit.orders(stay).orders) == 1


@pytest.mark.parametrize("server", ["sekmet", "epic"])
def test_a_double_tap_on_send_makes_one_order_when_both_taps_arrive_together(
        orders_unit: Callable[..., OrdersUnit], server: str) -> None:
    """The two requests of a double tap (the same browser, the same form) sent at the same moment, each on
    its own connection: one order on the server, with one record of who entered it and one co-signature
    Task (sekmet-fhir's own statement), or the order alone (Epic's statement: a plain create, no
    If-None-Exist), and both answers say the order is in (the second "Already sent"), none an error. A
    barrier starts them together, not a delay."""
    unit = orders_unit()
    if server == "epic":
        app_gateway(unit.app).capabilities_cache.set(vendor_statement("epic"))
    stay = unit.stays()[0]
    first = unit.client()
    _, number = order_form(first, stay)
    taps = [first, same_browser(unit.app, first)]
    together = threading.Barrier(len(taps))
    answers: list[Any] = [None] * len(taps)

    def tap(n: int) -> None:
        together.wait(timeout=30)
        answers[n] = send_order(taps[n], stay, number, read_back="y", reason="Fever")

    threads = [threading.Thread(target=tap, args=(n,)) for n in range(len(taps))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    pages = [a.get_data(as_text=True) for a in answers]
    assert [a.status_code for a in answers] == [200, 200], [p[:2000] for p in pages]
    [order] = unit.orders(stay).orders
    assert sum("Already sent" in p for p in pages) == 1
    tasks = unit.gw.client.search("Task", [("focus", order.reference)]).matches
    entered = unit.gw.client.search("Provenance", [("target", order.reference)]).matches
    assert (len(tasks), len(entered)) == ((1, 1) if server == "sekmet" else (0, 0))
    with unit.app.app_context(), database().session() as db:
        assert db.query(SendInFlight).count() == 0  # the number is free again


def test_the_same_order_active_asks_order_anyway_with_a_reason(orders_unit: Callable[..., OrdersUnit]) -> None:
    unit = orders_unit()
    stay = unit.stays()[0]
    client = unit.client()
    _, first = order_form(client, stay)
    assert send_order(client, stay, first, read_back="y").status_code == 200
    _, second = order_form(client, stay)
    review = send_order(client, stay, second, step="review", mode="PA").get_data(as_text=True)
    assert "The same order is active" in review and "Order anyway" in review
    refused = send_order(client, stay, second, mode="PA", duplicate_reason="Repeat after transfusion")
    assert refused.status_code == 422 and "give the reason to order it anyway" in refused.get_data(as_text=True)
    assert 'value="Repeat after transfusion"' in refused.get_data(as_text=True)
    sent = send_order(client, stay, second, mode="PA", order_anyway="y", duplicate_reason="Repeat after transfusion")
    assert sent.status_code == 200, sent.get_data(as_text=True)[:2000]
    assert len(unit.orders(stay).orders) == 2


def test_a_form_error_keeps_what_was_typed_and_a_drug_search_says_where_it_belongs(
        orders_unit: Callable[..., OrdersUnit]) -> None:
    unit = orders_unit()
    stay = unit.stays()[0]
    client = unit.client()
    _, number = order_form(client, stay)
    bad = send_order(client, stay, number, step="review", item="xr-chest-portable", d_reason="Cough",
                     note="Portable please")
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "How the patient travels: needed for imaging orders." in page
    assert 'value="Cough"' in page and "Portable please" in page
    token = csrf_token(client.get(stay.base).get_data(as_text=True))
    drug = client.post("/orders/catalog", data={"q": "morphine", "csrf_token": token}).get_data(as_text=True)
    assert "Medication orders are not entered here: they belong to pharmacy and nursing in the EHR." in drug
    found = client.post("/orders/catalog", data={"q": "cbc", "csrf_token": token}).get_data(as_text=True)
    assert "CBC with differential" in found and "Medication orders" not in found


def test_a_provider_enters_their_own_order_without_co_signature(orders_unit: Callable[..., OrdersUnit]) -> None:
    unit = orders_unit()
    stay = unit.stays()[0]
    client = unit.client(Role.PROVIDER)
    _, number = order_form(client, stay)
    sent = send_order(client, stay, number, mode="EL", provider="", item="vitals-q4h", priority="routine")
    assert sent.status_code == 200, re.findall(r'notice-text">(.*?)<', sent.get_data(as_text=True))
    found = unit.orders(stay)
    assert len(found.orders) == 1 and found.cosigns == []
