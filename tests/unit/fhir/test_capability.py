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


def test_the_census_searches_against_each_vendor(epic: Capabilities, oracle: Capabilities) -> None:
    """What the census asks (kiosk.fhir.census.CENSUS_SEARCHES) is checked parameter by parameter,
    include by include: Oracle Health offers neither Location search by partof nor Flag or Task search;
    Epic offers all of it, except the _revinclude that brings the rooms' beds in the same search (the
    census then makes a second Location search)."""
    from kiosk.fhir.census import BEDS_IN_ROOMS, CENSUS_SEARCHES, searches_not_offered

    assert [m for need in CENSUS_SEARCHES for m in epic.missing_searches(need)] == []
    assert not epic.supports_revinclude("Location", BEDS_IN_ROOMS)
    assert epic.supports_include("Location", "Location:partof")  # searchInclude "*"
    refused = searches_not_offered(oracle, CENSUS_SEARCHES, "The bed board")
    assert isinstance(refused, FhirNotAllowed)
    assert refused.message.startswith("The bed board needs Location search by partof, which Oracle Health does "
                                      "not offer. Also missing: Location search with _include=Location:partof, "
                                      "Encounter search by location")
    assert "Flag search" in refused.message and "Task search" in refused.message


def test_includes_chains_and_statements_that_list_none() -> None:
    from kiosk.fhir.capability import SearchNeed

    caps = Capabilities.from_statement({"software": {"name": "Tiny"}, "rest": [{"mode": "server", "resource": [
        {"type": "Encounter", "interaction": [{"code": "search-type"}],
         "searchParam": [{"name": "patient"}, {"name": "status"}], "searchInclude": ["Encounter:subject"]},
        {"type": "Patient", "interaction": [{"code": "search-type"}], "searchParam": [{"name": "name"}]},
    ]}]})
    need = SearchNeed("Encounter", params=("status",), chains=(("patient", "Patient", "identifier"),),
                      includes=("Encounter:subject", "Encounter:location"), revincludes=("Provenance:target",))
    assert caps.missing_searches(need) == [
        "Encounter search by patient.identifier",  # Patient has no identifier search to chain to
        "Encounter search with _include=Encounter:location",
        "Encounter search with _revinclude=Provenance:target",  # no searchRevInclude listed: none offered
    ]
    assert caps.missing_searches(SearchNeed("Flag", params=("patient",))) == ["Flag search"]
    assert caps.reason("Encounter", "conditional-create") == "Tiny does not allow creating Encounter."
