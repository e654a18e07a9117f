"""Whether a server takes the kiosk's Subscriptions, decided from its CapabilityStatement: the published
Epic and Oracle Health statements (tests/fixtures/capability) offer none, so those kiosks look for changes on
the census-check job's schedule; a statement that offers them, and one without the search by endpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.fhir.capability import Capabilities
from kiosk.fhir.subscriptions import offers_subscriptions

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "capability"


@pytest.mark.parametrize("name", ["epic-r4-2026-05.json", "oracle-health-millennium-r4.json"])
def test_the_published_ehr_statements_offer_no_subscriptions(name: str) -> None:
    caps = Capabilities.from_statement(json.loads((FIXTURES / name).read_text()))
    assert offers_subscriptions(caps) == "the server does not offer Subscription create, update, search-type"


def statement(interactions: list[str], params: list[str]) -> Capabilities:
    return Capabilities.from_statement({"resourceType": "CapabilityStatement", "fhirVersion": "4.0.1", "rest": [{
        "mode": "server", "resource": [{"type": "Subscription",
                                        "interaction": [{"code": c} for c in interactions],
                                        "searchParam": [{"name": p, "type": "uri"} for p in params]}]}]})


def test_a_statement_with_subscriptions_searchable_by_endpoint_is_taken() -> None:
    assert offers_subscriptions(statement(["create", "read", "update", "search-type"], ["url", "status"])) is None


def test_subscriptions_that_cannot_be_found_by_their_endpoint_are_not_used() -> None:
    why = offers_subscriptions(statement(["create", "read", "update", "search-type"], ["status"]))
    assert why == "the server cannot search subscriptions by their endpoint (parameter url)"
