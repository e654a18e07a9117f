"""Capability discovery on the published Epic and Oracle Health CapabilityStatements
(tests/fixtures/capability, sources in SOURCES.md there)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.fhir.capability import Capabilities
from kiosk.fhir.errors import FhirNotAllowed

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "capability"


@pytest.fixture(scope="module")
def epic() -> Capabilities:
    return Capabilities.from_statement(json.loads((FIXTURES / "epic-r4-2026-05.json").read_text()))


@pytest.fixture(scope="module")
def oracle() -> Capabilities:
    return Capabilities.from_statement(json.loads((FIXTURES / "oracle-health-millennium-r4.json").read_text()))


@pytest.mark.parametrize(
    ("resource_type", "allowed", "refused"),
    [
        ("Encounter", {"read", "search-type"}, {"update", "patch", "create"}),
        ("Location", {"read", "search-type"}, {"update", "create"}),
        ("ServiceRequest", {"create", "read", "search-type", "update"}, {"delete"}),
        ("Task", {"read", "search-type", "update"}, {"create"}),
    ],
)
def test_epic(epic: Capabilities, resource_type: str, allowed: set[str], refused: set[str]) -> None:
    for interaction in allowed:
        assert epic.allows(resource_type, interaction), interaction
        assert epic.reason(resource_type, interaction) is None
    for interaction in refused:
        assert not epic.allows(resource_type, interaction), interaction
        assert epic.reason(resource_type, interaction)


@pytest.mark.parametrize(
    ("resource_type", "allowed", "refused"),
    [
        ("Encounter", {"read", "search-type", "create", "patch"}, {"update"}),
        ("Location", {"read", "search-type"}, {"update", "create"}),
        ("ServiceRequest", {"read", "search-type"}, {"create", "update"}),
    ],
)
def test_oracle(oracle: Capabilities, resource_type: str, allowed: set[str], refused: set[str]) -> None:
    for interaction in allowed:
        assert oracle.allows(resource_type, interaction), interaction
    for interaction in refused:
        assert not oracle.allows(resource_type, interaction), interaction


def test_oracle_offers_no_task_and_says_so(oracle: Capabilities) -> None:
    assert not oracle.supports_type("Task")
    assert oracle.reason("Task", "create") == "Oracle Health does not offer Task resources."


def test_reasons_read_as_sentences(epic: Capabilities) -> None:
    assert epic.reason("Encounter", "update") == "Epic May 2026 does not allow updates of Encounter."
    with pytest.raises(FhirNotAllowed, match="does not allow updates of Location"):
        epic.require("Location", "update")


def test_neither_offers_supply_requests_audit_events_or_transactions(epic: Capabilities,
                                                                   oracle: Capabilities) -> None:
    for caps in (epic, oracle):
        assert not caps.allows("SupplyRequest", "create")
        assert not caps.allows("AuditEvent", "create")
        assert not caps.allows_transaction()
        assert caps.reason("Bundle", "transaction")


def test_search_parameters(epic: Capabilities, oracle: Capabilities) -> None:
    assert epic.supports_search("Location", "partof")
    assert epic.supports_search("Encounter", "location")
    assert epic.supports_search("Encounter", "_count")
    assert not epic.supports_search("Location", "physical-type")
    assert oracle.supports_search("Encounter", "patient")
    assert not oracle.supports_search("Encounter", "location")
    assert not oracle.supports_search("Location", "partof")
