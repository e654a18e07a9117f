"""One patient's encounter as armbands and labels need it, in two FHIR requests whatever the record:

1. Encounter?_id=<encounter>&_include=Encounter:subject&_include=Encounter:participant
   -> the Encounter, its Patient and its practitioners (the attending among them);
2. Flag?patient=Patient/<patient>&status=active -> the patient's active alerts.

Searches that name the patient go in a POST body (`POST [type]/_search`), never in a URL, as
docs/architecture.md asks; so does the Patient read when a server leaves out the `_include`.

Returns the typed records of kiosk/fhir/records.py. The room and bed are deliberately not part of it:
a location is never a patient identifier.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import codes
from .client import SearchResult
from .errors import FhirNotFound, UnreadableResource
from .gateway import FhirGateway
from .records import (
    EncounterRecord,
    FlagRecord,
    PatientRecord,
    PractitionerRecord,
    read_all,
    read_encounter,
    read_flag,
    read_patient,
    read_practitioner,
)

#: Flag categories printed on armbands: allergies and fall risk (isolation is for the board and door).
ARMBAND_ALERT_CATEGORIES = (codes.FLAG_ALLERGY, codes.FLAG_FALL_RISK)


@dataclass(frozen=True)
class EncounterContext:
    patient: PatientRecord
    encounter: EncounterRecord
    attending: PractitionerRecord | None
    flags: tuple[FlagRecord, ...]
    unreadable: tuple[str, ...] = field(default=())

    @property
    def armband_alerts(self) -> tuple[str, ...]:
        """Alert texts for the armband: allergy and fall-risk flags, allergies first."""
        chosen = [f for f in self.flags if f.category in ARMBAND_ALERT_CATEGORIES and f.text.strip()]
        chosen.sort(key=lambda f: (ARMBAND_ALERT_CATEGORIES.index(f.category or ""), f.text))
        return tuple(f.text.strip() for f in chosen)


@dataclass(frozen=True)
class FoundEncounter:
    """An encounter read by id with its patient, and the search that brought them (its includes)."""

    found: SearchResult
    encounter: EncounterRecord
    patient: PatientRecord


def encounter_of_patient(gw: FhirGateway, encounter_id: str, patient_id: str | None = None,
                         includes: tuple[str, ...] = ("Encounter:subject", "Encounter:participant")) -> FoundEncounter:
    """One Encounter search by `_id` with `includes`. With `patient_id`, an encounter of another patient
    is reported as not found (ids in a URL must agree); a patient the server did not include is read in
    one more request (a POST `_id` search: no patient id in a URL)."""
    found = gw.client.search("Encounter", [("_id", encounter_id), *(("_include", v) for v in includes)])
    if not found.matches:
        raise FhirNotFound(f"Encounter/{encounter_id} was not found on the FHIR server.")
    encounter = read_encounter(found.matches[0], gw.identifiers.encounter)
    if encounter.patient is None or (patient_id is not None and encounter.patient != f"Patient/{patient_id}"):
        raise FhirNotFound(f"Encounter/{encounter_id} is not an encounter of Patient/{patient_id}.")
    patient_json = found.resolve(encounter.patient)
    if patient_json is None:
        patient_id = encounter.patient.split("/", 1)[1]
        by_id = gw.client.search("Patient", [("_id", patient_id)], post=True)
        patient_json = next((r for r in by_id.matches if r.get("id") == patient_id), None)
        if patient_json is None:
            raise FhirNotFound(f"{encounter.patient} could not be read from the FHIR server.")
    return FoundEncounter(found, encounter, read_patient(patient_json, gw.identifiers.mrn))


def encounter_context(gw: FhirGateway, encounter_id: str, patient_id: str | None = None) -> EncounterContext:
    """The encounter, its patient, attending and active flags. With `patient_id`, an encounter that
    belongs to another patient is reported as not found (ids in a URL must agree)."""
    read = encounter_of_patient(gw, encounter_id, patient_id)
    found, encounter, patient = read.found, read.encounter, read.patient
    unreadable: list[str] = []
    attending = None
    attending_ref = encounter.participant(codes.ATTENDING)
    if attending_ref:
        resource = found.resolve(attending_ref)
        if resource is not None:
            try:
                attending = read_practitioner(resource)
            except UnreadableResource:
                unreadable.append(attending_ref)
    flags = gw.client.search("Flag", [("patient", patient.reference), ("status", "active")], post=True)
    read = read_all(flags.matches, read_flag)
    unreadable += read.unreadable
    return EncounterContext(patient, encounter, attending, tuple(read.records), tuple(unreadable))
