"""Bed placement's pure parts: the request's shapes, the changes each action builds, and the beds that
fit a request (isolation, the room's gender, bariatric where the beds record it)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from kiosk.config import IdentifierSettings
from kiosk.fhir import builders as b
from kiosk.fhir import codes
from kiosk.fhir.census import CensusSource
from kiosk.fhir.records import read_encounter, read_patient
from kiosk.placement.fhir import (
    BED_BARIATRIC,
    NewRequest,
    PlacementRequest,
    Systems,
    arrivals,
    decline,
    request_resources,
)
from kiosk.placement.services import suggest

IDS = IdentifierSettings(mrn="urn:mrn", encounter="urn:enc", location="urn:loc", code_systems="https://kiosk.test/cs")
SYS = Systems(IDS.code_systems)
NOW = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)


def _new(needs: tuple[str, ...] = ("telemetry",), origin: str = "ed") -> NewRequest:
    return NewRequest(number="PL-00000001", patient="Patient/p1", encounter="Encounter/e1", unit="Location/u",
                      origin=origin, needs=needs, requester="ED charge nurse", authored=NOW)


def test_the_request_and_its_task_share_the_identifier_the_create_is_conditional_on() -> None:
    request, task, if_none_exist = request_resources(_new(), SYS)
    assert request["orderDetail"][0]["coding"][0]["code"] == "telemetry"
    assert request["category"][0]["coding"][0]["code"] == "ed"
    assert request["locationReference"] == [{"reference": "Location/u"}]
    assert task["status"] == "requested" and task["identifier"] == request["identifier"]
    assert if_none_exist.endswith("PL-00000001")


def test_an_unknown_need_or_origin_is_refused() -> None:
    with pytest.raises(ValueError, match="need"):
        request_resources(_new(needs=("jetpack",)), SYS)
    with pytest.raises(ValueError, match="origin"):
        request_resources(_new(origin="helicopter"), SYS)


def _request(gender: str = "female", needs: tuple[str, ...] = (), status: str = "requested") -> PlacementRequest:
    request, task, _ = request_resources(_new(needs=needs), SYS)
    request.update(id="sr1", meta={"versionId": "1"})
    task.update(id="t1", status=status, meta={"versionId": "2"})
    enc = {"resourceType": "Encounter", "id": "e1", "meta": {"versionId": "3"}, "status": "planned",
           "class": b.inpatient_class(), "subject": {"reference": "Patient/p1"}}
    patient = {"resourceType": "Patient", "id": "p1", "gender": gender, "name": [{"family": "Test", "given": ["A"]}]}
    return PlacementRequest(task=task, request=request, encounter=read_encounter(enc, IDS.encounter),
                            encounter_json=enc, patient=read_patient(patient, IDS.mrn), needs=needs, number="PL-1")


def test_decline_rejects_the_task_with_its_reason_and_revokes_the_request() -> None:
    change = decline(_request(), "No bed with telemetry", NOW)
    task, version = change.updates[0]
    assert task["status"] == "rejected" and task["statusReason"] == {"text": "No bed with telemetry"}
    assert version == "2"
    assert change.updates[1][0]["status"] == "revoked" and change.updates[1][1] == "1"


def test_arrival_completes_every_arrived_request_in_one_change() -> None:
    change = arrivals([_request(status="in-progress")], NOW)
    assert [r["status"] for r, _ in change.updates] == ["completed", "completed"]
    assert change.updates[0][0]["executionPeriod"]["end"].startswith("2026-11-29T03:00")


def _place(rid: str, name: str, kind: str, part_of: str | None, status: str | None = None,
           traits: tuple[str, ...] = ()) -> dict[str, Any]:
    res = b.location(name=name, ident=b.identifier(IDS.location, name), kind=kind, part_of=part_of,
                     status_code=status)
    res["id"] = rid
    res["meta"] = {"versionId": "1"}
    if traits:
        res["type"] = [b.concept(SYS.bed, t) for t in traits]
    return res


def _source(occupants: dict[str, str], traits: dict[str, tuple[str, ...]] | None = None) -> CensusSource:
    """A unit with a single room (101) and a double room (102): bed -> the occupant's gender."""
    traits = traits or {}
    places = [_place("u", "Unit", codes.WARD, None), _place("r101", "101", codes.ROOM, "Location/u"),
              _place("r102", "102", codes.ROOM, "Location/u")]
    for bed, room in (("101A", "r101"), ("102A", "r102"), ("102B", "r102")):
        places.append(_place(bed, bed, codes.BED, f"Location/{room}",
                             codes.BED_OCCUPIED if bed in occupants else codes.BED_UNOCCUPIED, traits.get(bed, ())))
    encounters, patients = [], []
    for n, (bed, gender) in enumerate(occupants.items()):
        encounters.append({"resourceType": "Encounter", "id": f"x{n}", "status": "in-progress",
                           "class": b.inpatient_class(), "subject": {"reference": f"Patient/x{n}"},
                           "location": [b.encounter_location(f"Location/{bed}", "active")]})
        patients.append({"resourceType": "Patient", "id": f"x{n}", "gender": gender,
                         "name": [{"family": "Other", "given": ["B"]}]})
    return CensusSource(unit_id="u", locations=places, encounters=encounters, patients=patients, practitioners=[],
                        flags=[], tasks=[], fetched_at=NOW)


def test_isolation_needs_a_single_room() -> None:
    found = suggest(_source({}), _request(needs=("isolation-contact",)), SYS, IDS)
    assert [f.name for f in found.fitting] == ["101A"]
    assert {f.name for f in found.not_fitting} == {"102A", "102B"}


def test_the_room_of_a_patient_of_another_gender_does_not_fit() -> None:
    found = suggest(_source({"101A": "female", "102A": "male"}), _request(gender="female"), SYS, IDS)
    assert found.fitting == [] and [f.name for f in found.not_fitting] == ["102B"]
    same = suggest(_source({"102A": "female"}), _request(gender="female"), SYS, IDS)
    assert {f.name for f in same.fitting} == {"101A", "102B"}


def test_bariatric_is_said_unknown_unless_the_beds_record_it() -> None:
    unknown = suggest(_source({}), _request(needs=("bariatric",)), SYS, IDS)
    assert len(unknown.fitting) == 3 and any("Bariatric" in line for line in unknown.unknown)
    recorded = suggest(_source({}, {"102B": (BED_BARIATRIC,)}), _request(needs=("bariatric",)), SYS, IDS)
    assert [f.name for f in recorded.fitting] == ["102B"] and recorded.unknown == []
