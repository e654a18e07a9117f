"""The name alert on armbands and specimen labels: printed when another patient on the unit has the same family
name and first initial, by the same rule as the bed board's "Same name" chip (kiosk.fhir.records.name_key: case,
accents and punctuation ignored).

Knowing the unit's names costs the unit's census (kiosk.fhir.census.unit_census): 6 FHIR requests (more on a server
that cannot _revinclude a room's beds), whatever the size of the unit, made only for the label types that print
the alert. Cheaper searches were weighed: a Patient search by family name cannot tell who is on this unit
without the unit's places, and those are the census's first search; the encounters on them, with their
patients, are its second. The census is the board's own, so the board and the labels agree on who is "on the
unit" on every server the board supports.

It is read from the server at each print, not taken from the shared census the screens poll (kiosk.census):
that one may be as old as census.trust_seconds (30 s) when the scheduler's change check is running, and an
admission or transfer made on the EHR, not through this kiosk, is not in it until then. A patient of the same
name who arrived in those seconds is exactly the case the alert is for, and an armband without the alert is
trusted at the bedside. Printing is a tap, not a poll: the fresh read costs the unit's FHIR server little.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.fhir.census import unit_census
from kiosk.fhir.errors import FhirError
from kiosk.fhir.gateway import FhirGateway
from kiosk.fhir.records import PatientRecord, name_key
from printers import LabelType, PrintersConfig

#: The label types that print the name alert.
NAME_ALERT_LABELS = (LabelType.ADULT_ARMBAND, LabelType.INFANT_ARMBAND, LabelType.SPECIMEN)

NOT_CHECKED = ("The kiosk could not check whether another patient on this unit has the same name (the FHIR server "
               "did not give the unit's patients), so no name alert is printed: check the name and date of birth "
               "with particular care.")


@dataclass(frozen=True)
class NameAlert:
    text: str  # what the label prints ("" when no other patient on the unit shares the name)
    notice: str | None = None  # for the page when the unit could not be checked


def shares_name_on_unit(gw: FhirGateway, patient: PatientRecord) -> bool | None:
    """Does another patient with an open encounter on the unit share the name? None when it cannot be known."""
    key = name_key(patient.name)
    if not key[0]:
        return False
    try:
        census = unit_census(gw)
    except FhirError:
        return None
    return any(ref != patient.reference and name_key(other.name) == key for ref, other in census.patients.items())


def name_alert(gw: FhirGateway, patient: PatientRecord, label_type: LabelType, config: PrintersConfig) -> NameAlert:
    """The name alert for this label (no FHIR request for a label type that does not print one)."""
    if label_type not in NAME_ALERT_LABELS:
        return NameAlert("")
    shared = shares_name_on_unit(gw, patient)
    if shared is None:
        return NameAlert("", NOT_CHECKED)
    return NameAlert(config.same_name_alert if shared else "")
