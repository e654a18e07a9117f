"""Sends the demo hospital to the FHIR server, one transaction per unit, idempotently."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from kiosk.fhir.gateway import FhirGateway, UnitRef

from .hospital import MED_SURG, build_hospital


@dataclass
class LoadReport:
    created: int = 0
    existing: int = 0
    steps: list[str] = field(default_factory=list)


def demo_loaded(gw: FhirGateway) -> bool:
    """Is the demo's 4 West unit already on the server?"""
    from kiosk.fhir.errors import FhirNotFound

    try:
        gw.unit_location_id(UnitRef(system=gw.identifiers.location, value=MED_SURG.code))
    except FhirNotFound:
        return False
    return True


def load_demo(gw: FhirGateway, beds: int | None = None, say: Callable[[str], None] = print) -> LoadReport:
    report = LoadReport()
    for label, tx in build_hospital(gw.identifiers, beds):
        results = gw.client.transaction(tx)
        created = sum(1 for r in results if r.created)
        report.created += created
        report.existing += len(results) - created
        line = f"{label}: {created} created, {len(results) - created} already there"
        report.steps.append(line)
        say(line)
    return report
