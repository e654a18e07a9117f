"""Reading census resources defensively: what cannot be read is reported, never fatal."""

from __future__ import annotations

from datetime import date

import pytest

from kiosk.fhir.errors import UnreadableResource
from kiosk.fhir.records import (
    read_all,
    read_encounter,
    read_location,
    read_patient,
)

MRN = "urn:mrn"
ENC = "urn:enc"


def encounter(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "resourceType": "Encounter", "id": "e1", "meta": {"versionId": "4"}, "status": "in-progress",
        "class": {"code": "IMP"}, "subject": {"reference": "Patient/p1"},
        "identifier": [{"system": ENC, "value": "61000013"}],
        "period": {"start": "2026-11-20T10:00:00Z"},
        "location": [{"location": {"reference": "http://server/fhir/Location/b1/_history/3"}, "status": "active",
                      "period": {"start": "2026-11-20T10:00:00Z"}}],
        "extension": [{"url": "http://hl7.org/fhir/5.0/StructureDefinition/extension-Encounter.plannedEndDate",
                       "valueDate": "2026-11-27"}],
    }
    base.update(overrides)
    return base


def test_encounter_fields_and_absolute_references() -> None:
    rec = read_encounter(encounter(), ENC)
    assert rec.version == "4" and rec.number == "61000013" and rec.patient == "Patient/p1"
    assert rec.locations[0].location == "Location/b1" and rec.locations[0].status == "active"
    assert rec.planned_end == date(2026, 11, 27)


def test_vendor_extensions_and_stray_r5_elements_are_tolerated() -> None:
    rec = read_encounter(encounter(virtualService=[{"channelType": {"code": "zoom"}}],
                                   extension=[{"url": "http://vendor/x", "valueString": "y"}]), ENC)
    assert rec.status == "in-progress"


@pytest.mark.parametrize(
    "bad",
    [
        {"status": "bogus"},
        {"location": [{"location": {"reference": "Location/b1"}, "status": "occupied"}]},
        {"period": {"start": "yesterday"}},
        {"location": "Location/b1"},
        {"id": None},
    ],
)
def test_unreadable_encounters_raise_without_patient_data(bad: dict[str, object]) -> None:
    with pytest.raises(UnreadableResource) as err:
        read_encounter(encounter(**bad), ENC)
    assert str(err.value).startswith("Encounter/")
    assert "Patient/p1" not in str(err.value)


def test_read_all_keeps_the_good_and_lists_the_bad() -> None:
    out = read_all([encounter(), encounter(id="e2", status="bogus"), "junk"], lambda r: read_encounter(r, ENC))
    assert [r.id for r in out.records] == ["e1"]
    assert out.unreadable == ["Encounter/e2", "?"]


def test_patient_name_forms() -> None:
    p = read_patient({"resourceType": "Patient", "id": "p", "gender": "female", "birthDate": "1977-12-05",
                      "identifier": [{"system": MRN, "value": "20000259"}],
                      "name": [{"use": "old", "family": "Old"},
                               {"use": "official", "family": "Hernández-Villanueva", "given": ["María", "José"]}]},
                     MRN)
    assert p.name.last_first == "Hernández-Villanueva, María José"
    assert p.name.initials == "M.H."
    assert p.mrn == "20000259"
    assert p.age_on(date(2026, 12, 4)) == 48 and p.age_on(date(2026, 12, 5)) == 49


def test_location_with_an_unknown_bed_status_is_still_read() -> None:
    loc = read_location({"resourceType": "Location", "id": "b", "name": "4W-401",
                         "physicalType": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/"
                                                       "location-physical-type", "code": "bd"}]},
                         "operationalStatus": {"code": "Z"}, "partOf": {"reference": "Location/r"}})
    assert loc.is_bed and loc.operational_status == "Z" and loc.part_of == "Location/r"


@pytest.mark.parametrize("partial", ["1985", "1985-07"])
def test_a_partial_birth_date_is_never_made_into_a_day(partial: str) -> None:
    p = read_patient({"resourceType": "Patient", "id": "p", "birthDate": partial}, MRN)
    assert p.birth_date is None and p.birth_date_partial and p.birth_date_text == partial
    assert p.age_on(date(2026, 1, 1)) is None
