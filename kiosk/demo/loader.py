"""Sends the demo hospital to the FHIR server, one transaction per unit, idempotently."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from kiosk.fhir.client import Transaction, TransactionEntryResult
from kiosk.fhir.errors import FhirError, FhirUnavailable
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


#: Smaller and smaller transactions for a server that refuses large ones (each still consistent).
CHUNK_SIZES = (50, 20, 5)


def load_demo(gw: FhirGateway, beds: int | None = None, say: Callable[[str], None] = print) -> LoadReport:
    report = LoadReport()
    for label, tx in build_hospital(gw.identifiers, beds):
        load_transaction(gw, label, tx, report, say)
    return report


def load_transaction(gw: FhirGateway, label: str, tx: Transaction, report: LoadReport,
                     say: Callable[[str], None] = print) -> None:
    """One unit's transaction; a server that refuses it whole (a limit on transaction size) gets it in
    smaller transactions, each standing on what the earlier ones wrote (conditional references), so
    that whatever was loaded when a run stops is consistent, and a rerun completes it."""
    try:
        _record(report, label, gw.client.transaction(tx), say)
        return
    except FhirUnavailable:
        raise
    except FhirError as e:
        refused = e
    for size in CHUNK_SIZES:
        if size >= len(tx):
            continue
        parts = tx.chunks(size)
        try:
            first = gw.client.transaction(parts[0])
        except FhirUnavailable:
            raise
        except FhirError as e:
            refused = e
            continue
        say(f"{label}: the server refused {len(tx)} entries in one transaction; loading in parts of {size}")
        _record(report, f"{label}, part 1 of {len(parts)}", first, say)
        for n, part in enumerate(parts[1:], 2):
            _record(report, f"{label}, part {n} of {len(parts)}", gw.client.transaction(part), say)
        return
    raise refused


def _record(report: LoadReport, label: str, results: list[TransactionEntryResult], say: Callable[[str], None]) -> None:
    created = sum(1 for r in results if r.created)
    report.created += created
    report.existing += len(results) - created
    line = f"{label}: {created} created, {len(results) - created} already there"
    report.steps.append(line)
    say(line)
