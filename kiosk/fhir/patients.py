"""Finding patients by the identifiers people type or scan."""

from __future__ import annotations

from .client import token
from .gateway import FhirGateway
from .records import PatientRecord, read_all, read_patient


def patients_by_mrn(gw: FhirGateway, mrn: str) -> list[PatientRecord]:
    """Patients carrying this MRN (normally one); unreadable records are left out."""
    value = mrn.strip()
    if not value:
        return []
    result = gw.client.search("Patient", [("identifier", token(gw.identifiers.mrn, value))], post=True)
    return read_all(result.matches, lambda r: read_patient(r, gw.identifiers.mrn)).records


def patients_by_reference(gw: FhirGateway, references: list[str]) -> dict[str, PatientRecord]:
    """'Patient/<id>' -> the patient, for up to a page of references, in one request (POST: no ids of
    patients in a URL). References to other types, and patients that cannot be read, are left out."""
    ids = sorted({r.split("/", 1)[1] for r in references if r.startswith("Patient/") and "/" in r})
    if not ids:
        return {}
    result = gw.client.search("Patient", [("_id", ",".join(ids)), ("_count", str(len(ids)))], post=True)
    return {p.reference: p for p in read_all(result.matches, lambda r: read_patient(r, gw.identifiers.mrn)).records}
