"""The shared census (kiosk.census.store): one census per unit for every screen, worker, process and
instance, read from the FHIR server once per change."""

from __future__ import annotations

from kiosk.fhir.census import Census
from kiosk.fhir.gateway import FhirGateway, UnitRef

from .store import CensusStore, CheckResult

__all__ = ["CensusStore", "CheckResult", "census_store", "shared_census"]


def census_store() -> CensusStore:
    from kiosk.extensions import services

    return services().census


def shared_census(gw: FhirGateway, unit: UnitRef | None = None) -> Census:
    """The unit's census (the kiosk's own by default) from the shared store."""
    return census_store().census(gw, unit)
