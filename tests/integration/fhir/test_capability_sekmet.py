"""Capability discovery on sekmet-fhir's own CapabilityStatement, read once and refreshable."""

from __future__ import annotations

from kiosk.fhir.client import count_requests
from kiosk.fhir.gateway import FhirGateway


def test_sekmet_allows_the_writes_the_kiosk_needs(gateway: FhirGateway) -> None:
    caps = gateway.capabilities_cache.refresh()
    assert caps.software.startswith("SEKMET") and caps.fhir_version == "4.0.1"
    for rtype in ("Encounter", "Location", "ServiceRequest", "Task", "Flag", "AuditEvent"):
        for interaction in ("read", "search-type", "create", "update"):
            assert caps.allows(rtype, interaction), (rtype, interaction)
    assert caps.allows_transaction()
    assert caps.allows_conditional_create("Patient")
    assert caps.supports_search("Location", "partof") and caps.supports_search("Encounter", "location")
    assert not caps.supports_type("SupplyRequest")  # not in sekmet-fhir 0.1.1's statement


def test_metadata_is_read_once_until_refreshed(gateway: FhirGateway) -> None:
    gateway.capabilities_cache.refresh()
    with count_requests() as counter:
        for _ in range(3):
            assert gateway.capabilities.allows("Encounter", "update")
    assert counter.total == 0
    with count_requests() as counter:
        gateway.capabilities_cache.refresh()
    assert counter.by_kind == {"metadata": 1}
