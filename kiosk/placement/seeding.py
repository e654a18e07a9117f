"""New bed requests in one transaction: the patient, the planned hospital stay, the ServiceRequest and
its Task. Used by the
demo (`kiosk seed-demo`, `--admissions N`) and the tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kiosk.config import IdentifierSettings
from kiosk.fhir import builders as b
from kiosk.fhir import codes
from kiosk.fhir.client import Transaction, identifier_query

from .fhir import NewRequest, Systems, request_resources


@dataclass(frozen=True)
class Admission:
    """Who comes in: a new patient with a planned stay, asked for by a sending side."""

    number: str
    mrn: str
    encounter_number: str
    family: str
    given: tuple[str, ...]
    gender: str
    birth_date: str
    origin: str
    needs: tuple[str, ...]
    requester: str


def admission_transaction(adm: Admission, unit_ref: str, ids: IdentifierSettings, now: datetime,
                          planned_on_unit: bool = False) -> Transaction:
    """The stay is not placed on the unit (the unit may decline it): only the request names the unit, and
    the bed board meets the stay when a bed is reserved for it. `planned_on_unit` adds a `planned` entry on
    the unit (the board then lists it as a pending admission before any bed is assigned)."""
    tx = Transaction()
    patient = tx.create({
        "resourceType": "Patient",
        "identifier": [{"use": "usual", "type": b.concept(codes.V2_0203, "MR", "Medical record number"),
                        "system": ids.mrn, "value": adm.mrn}],
        "active": True, "name": [{"use": "official", "family": adm.family, "given": list(adm.given)}],
        "gender": adm.gender, "birthDate": adm.birth_date,
    }, if_none_exist=identifier_query(ids.mrn, adm.mrn))
    encounter = tx.create({
        "resourceType": "Encounter", "identifier": [b.identifier(ids.encounter, adm.encounter_number)],
        "status": "planned", "class": b.inpatient_class(), "subject": b.reference(patient),
        **({"location": [b.encounter_location(unit_ref, "planned")]} if planned_on_unit else {}),
    }, if_none_exist=identifier_query(ids.encounter, adm.encounter_number))
    sys = Systems(ids.code_systems)
    request, task, if_none_exist = request_resources(NewRequest(
        number=adm.number, patient=patient, encounter=encounter, unit=unit_ref, origin=adm.origin, needs=adm.needs,
        requester=adm.requester, authored=now), sys)
    request_urn = tx.create(request, if_none_exist=if_none_exist)
    task["basedOn"] = [b.reference(request_urn)]
    task["focus"] = b.reference(request_urn)
    tx.create(task, if_none_exist=if_none_exist)
    return tx
