"""Finding a patient's open encounters from what is scanned or typed (an armband's MRN or encounter
number), in two searches sent in POST bodies (identifiers never in a URL), with patients and places
_included. Checks first that the server offers the searches, and raises FhirNotAllowed saying which
it does not.
"""

from __future__ import annotations

from dataclasses import dataclass

from .capability import SearchNeed
from .census import require_searches
from .client import SearchResult
from .codes import OPEN_ENCOUNTER_STATUSES
from .gateway import FhirGateway
from .records import (
    EncounterRecord,
    LocationRecord,
    PatientRecord,
    read_all,
    read_encounter,
    read_location,
    read_patient,
)

SCAN = (SearchNeed("Encounter", params=("identifier", "status"), chains=(("patient", "Patient", "identifier"),),
                   includes=("Encounter:subject", "Encounter:location")),)


@dataclass(frozen=True)
class ScanMatch:
    """An open encounter found for a scanned MRN or encounter number."""

    encounter: EncounterRecord
    patient: PatientRecord | None
    locations: dict[str, LocationRecord]

    def where(self) -> str:
        """The bed (or unit) the patient is in or planned for, in words."""
        for wanted in (("active",), ("reserved", "planned")):
            for loc in self.encounter.locations_with(*wanted):
                place = self.locations.get(loc.location)
                if place is not None:
                    prefix = "" if wanted == ("active",) else "planned for "
                    return prefix + place.name
        return "no bed recorded"


def find_open_encounters(gw: FhirGateway, number: str, mrn: str | None = None) -> list[ScanMatch]:
    """Open encounters whose number is `number`, or whose patient's MRN is `mrn` (by default the same
    text: a plain scan may be either); encounter-number matches first. Sent in POST bodies, never in a
    URL."""
    mrn = number if mrn is None else mrn
    require_searches(gw, SCAN, "Finding a scanned patient on other units")
    ids = gw.identifiers
    common = [
        ("status", ",".join(OPEN_ENCOUNTER_STATUSES)),
        ("_include", "Encounter:subject"),
        ("_include", "Encounter:location"),
    ]
    by_number = gw.client.search("Encounter", [("identifier", f"{ids.encounter}|{number}"), *common], post=True)
    by_mrn = gw.client.search("Encounter", [("patient.identifier", f"{ids.mrn}|{mrn}"), *common], post=True)
    return matches_of(gw, by_number, by_mrn)


def matches_of(gw: FhirGateway, *results: SearchResult) -> list[ScanMatch]:
    """The encounters of searches that _included their patients and places, each once, in order."""
    ids = gw.identifiers
    matches: list[ScanMatch] = []
    seen: set[str] = set()
    for result in results:
        patients = {p.reference: p for p in read_all(result.of_type("Patient"),
                                                     lambda r: read_patient(r, ids.mrn)).records}
        places = {p.reference: p for p in read_all(result.of_type("Location"),
                                                   lambda r: read_location(r, ids.location)).records}
        for enc in read_all(result.matches, lambda r: read_encounter(r, ids.encounter)).records:
            if enc.reference in seen:
                continue
            seen.add(enc.reference)
            matches.append(ScanMatch(enc, patients.get(enc.patient or ""), places))
    return matches


