"""The one change mechanism (kiosk.fhir.change) against a real sekmet-fhir server over HTTP: what it
sends, the closed set of outcomes, and that after a failure it says only what it read back, also
from a server that breaks transaction atomicity (a small proxy in front of the real server)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kiosk.config import Settings
from kiosk.fhir.change import (
    TRANSACTION,
    Change,
    Conflict,
    Done,
    Failed,
    Needs,
    NotAllowed,
    NotSeen,
    Undeclared,
    Unknown,
    edit,
    send,
)
from kiosk.fhir.client import FhirClient, count_requests, identifier_query
from kiosk.fhir.gateway import FhirGateway
from tests.support.beds import vendor_statement
from tests.support.fhir_faults import KeepsTheFirstEntry
from tests.support.sekmet import free_port

SYSTEM = "https://kiosk.example.org/fhir/sid/change-test"
NEEDS = Needs.of(("Location", "update"), ("Task", "conditional-create"), TRANSACTION)


def bed(name: str, status: str = "U") -> dict[str, Any]:
    return {"resourceType": "Location", "name": name, "status": "active", "mode": "instance",
            "identifier": [{"system": SYSTEM, "value": name}],
            "operationalStatus": {"system": "http://terminology.hl7.org/CodeSystem/v2-0116", "code": status}}


def job(key: str, bed_id: str) -> dict[str, Any]:
    return {"resourceType": "Task", "status": "requested", "intent": "order",
            "identifier": [{"system": SYSTEM, "value": key}], "focus": {"reference": f"Location/{bed_id}"}}


@pytest.fixture
def gw(demo_settings: Settings) -> Iterator[FhirGateway]:
    gateway = FhirGateway.from_settings(demo_settings)
    yield gateway
    gateway.close()


def with_transport(gw: FhirGateway, transport: httpx.BaseTransport) -> FhirGateway:
    gw.client = FhirClient(gw.client.base_url, transport=transport)
    return gw


def two_beds(gw: FhirGateway) -> tuple[dict[str, Any], dict[str, Any]]:
    tag = uuid.uuid4().hex[:6]
    first = gw.client.create(bed(f"C-{tag}-1")).resource
    second = gw.client.create(bed(f"C-{tag}-2")).resource
    return first, second


def status_change(resources: tuple[dict[str, Any], ...], code: str = "H", key: str | None = None) -> Change:
    """Beds to `code` and, with `key`, a cleaning job created on the first one (conditionally)."""
    change = Change("test", NEEDS)
    for resource in resources:
        edited, version = edit(resource)
        edited["operationalStatus"] = {**edited["operationalStatus"], "code": code}
        change.update((edited, version))
    if key:
        change.create(job(key, resources[0]["id"]), identifier_query(SYSTEM, key))
    return change


def test_a_change_of_several_resources_is_one_transaction_with_if_match_and_if_none_exist(gw: FhirGateway) -> None:
    sent: list[dict[str, Any]] = []

    class Recorder(httpx.BaseTransport):
        inner = httpx.HTTPTransport()

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if request.method == "POST" and request.content:
                sent.append(json.loads(request.content))
            return self.inner.handle_request(request)

    first, second = two_beds(gw)
    key = uuid.uuid4().hex
    with_transport(gw, Recorder())
    assert gw.capabilities.allows_transaction()  # the statement is read once, before
    with count_requests() as counter:
        outcome = send(gw, status_change((first, second), key=key))
    assert isinstance(outcome, Done) and counter.total == 1
    [bundle] = sent
    assert bundle["type"] == "transaction"
    assert [e["request"].get("ifMatch") for e in bundle["entry"][:2]] == ['W/"1"', 'W/"1"']
    assert bundle["entry"][2]["request"]["ifNoneExist"] == identifier_query(SYSTEM, key)
    assert sorted(outcome.written)[:2] == sorted([f"Location/{first['id']}", f"Location/{second['id']}"])
    # The same change sent again (a double tap) meets the versions it already moved on: nothing more.
    again = send(gw, status_change((first, second), key=key))
    assert isinstance(again, Conflict) and again.now.checked
    assert len(gw.client.search("Task", [("identifier", f"{SYSTEM}|{key}")]).matches) == 1


def test_the_versions_the_person_saw_go_as_if_match_and_an_unseen_update_is_not_sent(gw: FhirGateway) -> None:
    first, second = two_beds(gw)
    # Another station changes the first bed after this person saw version 1.
    gw.client.update({**first, "description": "Window"}, version="1")
    fresh = gw.client.read("Location", first["id"])
    change = status_change((fresh,))
    outcome = send(gw, change, seen={f"Location/{first['id']}": "1"})
    assert isinstance(outcome, Conflict)
    assert outcome.now.nothing_written and outcome.now.sentence() == "Nothing was written (checked on the FHIR server)."
    assert gw.client.read("Location", first["id"])["operationalStatus"]["code"] == "U"
    with pytest.raises(NotSeen):
        send(gw, status_change((second,)), seen={})


def test_what_the_server_does_not_allow_is_not_sent(gw: FhirGateway) -> None:
    first, _ = two_beds(gw)
    gw.capabilities_cache.set(vendor_statement("epic"))
    with count_requests() as counter:
        outcome = send(gw, status_change((first,)))
    assert isinstance(outcome, NotAllowed) and counter.total == 0
    assert "does not allow updates of Location" in outcome.message and "Nothing was sent" in outcome.message


def test_a_change_may_hold_nothing_it_did_not_declare(gw: FhirGateway) -> None:
    first, _ = two_beds(gw)
    change = Change("block", Needs.of(("Location", "update")))
    with pytest.raises(Undeclared):
        change.create(job("x", first["id"]))
    loose = status_change((first,))
    loose.needs = None
    with pytest.raises(Undeclared):
        send(gw, loose)


def test_a_server_that_keeps_part_of_a_failed_transaction_is_described_as_it_is(gw: FhirGateway) -> None:
    first, second = two_beds(gw)
    key = uuid.uuid4().hex
    with_transport(gw, KeepsTheFirstEntry(gw.client.base_url))
    change = status_change((first, second), key=key)
    change.names[f"Location/{second['id']}"] = "bed C-2"
    outcome = send(gw, change)
    assert isinstance(outcome, Failed) and outcome.status == 500
    now = outcome.now
    assert now.checked and not now.nothing_written and not now.all_written
    assert now.written == (f"Location/{first['id']}",)
    assert now.not_written == (f"Location/{second['id']}", "new#0")
    sentence = now.sentence(change.name_of)
    assert sentence == f"Saved on the FHIR server: {first['name']}. Not saved: bed C-2, a new job."
    # ... and that is what the server holds.
    assert gw.client.read("Location", first["id"])["operationalStatus"]["code"] == "H"
    assert gw.client.read("Location", second["id"])["operationalStatus"]["code"] == "U"
    assert gw.client.search("Task", [("identifier", f"{SYSTEM}|{key}")]).matches == []
    assert now.audit_text() == f"written Location/{first['id']}; not written Location/{second['id']}, new#0"


class LosesTheAnswer(httpx.BaseTransport):
    """Every request reaches the server; the answer to a transaction is lost on the way back."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method == "POST" and b'"transaction"' in request.read():
            response.read()
            raise httpx.ReadTimeout("lost", request=request)
        return response


def test_a_lost_answer_is_read_back_in_one_request(gw: FhirGateway) -> None:
    first, second = two_beds(gw)
    key = uuid.uuid4().hex
    with_transport(gw, LosesTheAnswer())
    assert gw.capabilities.allows_batch()
    with count_requests() as counter:
        outcome = send(gw, status_change((first, second), key=key))
    assert isinstance(outcome, Unknown)
    assert counter.by_kind == {"transaction": 1, "batch": 1}
    assert outcome.now.all_written and outcome.now.created["new#0"].startswith("Task/")


def test_a_server_that_cannot_be_reached_got_nothing(gw: FhirGateway) -> None:
    first, _ = two_beds(gw)
    statement = gw.client.metadata()  # read before the server went away
    gw.client = FhirClient(f"http://127.0.0.1:{free_port()}/fhir", connect_timeout=1, read_retries=0)
    gw.capabilities_cache.set(statement)
    outcome = send(gw, status_change((first,)))
    assert isinstance(outcome, Failed) and outcome.now.checked and outcome.now.nothing_written
    assert "cannot be reached" in outcome.message
