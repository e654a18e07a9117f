"""Capabilities of a server without a CapabilityStatement, found by trying each search once."""

from __future__ import annotations

from typing import Any

import pytest

from kiosk.fhir.capability import PROBED, SearchNeed, probe_searches
from kiosk.fhir.errors import FhirError, FhirUnavailable

NEEDS = [SearchNeed("Encounter", params=("location", "status"), includes=("Encounter:subject",)),
         SearchNeed("Task", params=("focus", "status"))]


def server(refused: set[str]) -> tuple[list[tuple[str, list[tuple[str, str]]]], Any]:
    asked: list[tuple[str, list[tuple[str, str]]]] = []

    def search(resource_type: str, params: list[tuple[str, str]]) -> None:
        asked.append((resource_type, params))
        if any(f"{resource_type}:{k}" in refused or f"{resource_type}:{k}={v}" in refused for k, v in params):
            raise FhirError("not supported", status=400)

    return asked, search


def test_a_server_that_answers_every_search_is_probed_once_per_search() -> None:
    asked, search = server(set())
    caps = probe_searches(search, NEEDS)
    assert caps.source == PROBED and caps.refused_searches == frozenset() and len(asked) == 2
    assert caps.supports_search("Encounter", "location") and caps.allows("ServiceRequest", "create")
    assert dict(asked[0][1])["status"] == "planned" and dict(asked[1][1])["status"] == "requested"


def test_a_refused_search_is_tried_part_by_part_and_only_the_refused_part_is_refused() -> None:
    _, search = server({"Task:focus", "Encounter:_include=Encounter:subject"})
    caps = probe_searches(search, NEEDS)
    assert caps.refused_searches == {"Task search by focus", "Encounter search with _include=Encounter:subject"}
    assert not caps.supports_search("Task", "focus") and caps.supports_search("Task", "status")
    assert caps.missing_searches(NEEDS[1]) == ["Task search by focus"]
    assert not caps.supports_include("Encounter", "Encounter:subject")


def test_a_server_that_cannot_be_reached_is_not_probed_into_refusals() -> None:
    def down(_rtype: str, _params: list[tuple[str, str]]) -> None:
        raise FhirUnavailable("cannot be reached", sent=False)

    with pytest.raises(FhirUnavailable):
        probe_searches(down, NEEDS)
