"""The kiosk validates what it writes: servers (sekmet-fhir included) accept invalid codes."""

from __future__ import annotations

import pytest

from kiosk.fhir.client import Transaction
from kiosk.fhir.errors import InvalidResource
from kiosk.fhir.validation import check_for_write


def test_a_valid_encounter_passes() -> None:
    check_for_write({"resourceType": "Encounter", "status": "finished", "class": {"code": "IMP"},
                     "location": [{"location": {"reference": "Location/b"}, "status": "completed"}]})


@pytest.mark.parametrize(
    ("resource", "message"),
    [
        ({"resourceType": "Encounter", "status": "bogus", "class": {"code": "IMP"}}, "status 'bogus'"),
        ({"resourceType": "Encounter", "status": "planned", "class": {"code": "IMP"},
          "location": [{"location": {"reference": "Location/b"}, "status": "occupied"}]}, "location.status"),
        ({"resourceType": "Location", "operationalStatus": {
            "system": "http://terminology.hl7.org/CodeSystem/v2-0116", "code": "X"}}, "v2-0116"),
        ({"resourceType": "Task", "status": "done", "intent": "order"}, "status 'done'"),
        ({"resourceType": "Encounter", "status": "planned", "class": {"code": "IMP"}, "plannedEndDate": "x"},
         "invalid"),
    ],
)
def test_invalid_resources_are_refused_before_sending(resource: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidResource, match=message):
        check_for_write(resource)


def test_transactions_validate_each_entry_and_always_carry_if_match() -> None:
    tx = Transaction()
    with pytest.raises(InvalidResource):
        tx.create({"resourceType": "Task", "status": "nope", "intent": "order"})
    with pytest.raises(ValueError, match="If-Match"):
        tx.update({"resourceType": "Task", "id": "t", "status": "requested", "intent": "order"}, version=None)
    tx.update({"resourceType": "Task", "id": "t", "status": "requested", "intent": "order"}, version="3")
    assert tx.bundle()["entry"][0]["request"] == {"method": "PUT", "url": "Task/t", "ifMatch": 'W/"3"'}


def test_server_text_is_scrubbed_of_what_may_be_patient_data() -> None:
    from kiosk.fhir.errors import outcome_text

    outcome = {"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": "processing",
         "diagnostics": "Invalid identifier=urn:oid:1.2.3|20000074 for patient 'García-López' born 1971-07-30"},
        {"severity": "error", "code": "not-supported",
         "diagnostics": "Unknown search parameter 'shoe-size' for Patient"},
    ]}
    text = outcome_text(outcome)
    assert "20000074" not in text and "García" not in text and "1971" not in text
    assert "Unknown search parameter 'shoe-size' for Patient" in text
