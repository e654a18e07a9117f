"""The call lights' few reads from the FHIR server: which bed a nurse-call system names (by the bed's
identifier, one search), and who is in a bed when a call is paged (one search), so that the page is
recorded about that patient. The calls themselves never go to the FHIR server: they are the unit's
operational data, kept in the kiosk's database.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.fhir.codes import BED
from kiosk.fhir.errors import UnreadableResource
from kiosk.fhir.gateway import FhirGateway
from kiosk.fhir.records import read_encounter, read_location


@dataclass(frozen=True)
class BedRef:
    ref: str  # 'Location/<id>'
    name: str


def bed_by_identifier(gw: FhirGateway, value: str) -> BedRef | None:
    """The bed whose identifier (in the hospital's location system) is `value`, or None."""
    found = gw.client.search("Location", [("identifier", f"{gw.identifiers.location}|{value}")])
    for resource in found.matches:
        try:
            location = read_location(resource, gw.identifiers.location)
        except UnreadableResource:
            continue
        if location.physical_type == BED:
            return BedRef(location.reference, location.name)
    return None


def bed_by_id(gw: FhirGateway, bed_id: str) -> BedRef | None:
    location = gw.read_location(bed_id)
    return BedRef(location.reference, location.name) if location.physical_type == BED else None


def occupant(gw: FhirGateway, bed_ref: str) -> tuple[str | None, str | None]:
    """(patient, encounter) references of the stay in the bed now, or (None, None)."""
    found = gw.client.search("Encounter", [("location", bed_ref), ("status", "in-progress")])
    for resource in found.matches:
        try:
            stay = read_encounter(resource, gw.identifiers.encounter)
        except UnreadableResource:
            continue
        if any(loc.location == bed_ref for loc in stay.locations_with("active")):
            return stay.patient, stay.reference
    return None, None
