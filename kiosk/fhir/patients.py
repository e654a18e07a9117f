"""Finding patients by the identifiers people type or scan."""

from __future__ import annotations

from .gateway import FhirGateway
from .records import PatientRecord, read_all, read_patient


def patients_by_mrn(gw: FhirGateway, mrn: str) -> list[PatientRecord]:
    """Patients carrying this MRN (normally one); unreadable records are left out."""
    value = mrn.strip()
    if not value:
        return []
    result = gw.client.search("Patient", [("identifier", f"{gw.identifiers.mrn}|{value}")], post=True)
    return read_all(result.matches, lambda r: read_patient(r, gw.identifiers.mrn)).records
