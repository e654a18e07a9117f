"""The whiteboard and the assignment plan worked out from plain census records and care team JSON: who
shows where, what the privacy settings allow, the EHR's care teams read-only, and the change a save makes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from kiosk.fhir.capability import Capabilities
from kiosk.fhir.census import Census
from kiosk.fhir.change import Seen
from kiosk.fhir.client import WriteResult
from kiosk.fhir.records import (
    EncounterLocation,
    EncounterRecord,
    LocationRecord,
    Participant,
    PatientRecord,
    PersonName,
    PractitionerRecord,
)
from kiosk.whiteboard.assign import AssignmentRequest, Refused, assign_screen, created_elsewhere, plan_assignment
from kiosk.whiteboard.board import TeamIndex, build_whiteboard, patient_label, staff_name
from kiosk.whiteboard.fhir import (
    CLIENT_ID_NEEDS,
    CONDITIONAL_NEEDS,
    TeamsRead,
    WriteRoute,
    encounter_team_key,
    new_team,
    team_access,
    team_id,
    unit_team_key,
)
from kiosk.whiteboard.settings import WhiteboardSettings
from kiosk.whiteboard.shifts import shift_at
from kiosk.whiteboard.teams import NURSE, SNOMED, Person, read_team
from kiosk.whiteboard.unit import unit_view
from tests.support.beds import vendor_statement

NOW = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
SYSTEM = "https://kiosk.example.org/fhir/CodeSystem/care-team"
SETTINGS = WhiteboardSettings()
SHIFT = shift_at(NOW, SETTINGS.shifts)
GRACE = Person("Practitioner/n1", "Grace Lambert", "Lambert", "Grace", "nurse", True, "fhir")
TOMAS = Person("Practitioner/a1", "Tomás Ortega", "Ortega", "Tomás", "aide", False, "fhir")
RUTH = Person("Practitioner/n2", "Ruth Nakamura", "Nakamura", "Ruth", "nurse", True, "staff")


def loc(id_: str, name: str, kind: str, part_of: str | None, status: str | None = None) -> LocationRecord:
    return LocationRecord(id=id_, version="1", name=name, physical_type=kind, part_of=part_of, status="active",
                          operational_status=status, mode="instance", identifier=None, description="")


def enc(id_: str, status: str, *locations: tuple[str, str], planned_end: date | None = None,
        attending: str | None = None) -> EncounterRecord:
    return EncounterRecord(id=id_, version="1", status=status, class_code="IMP", patient=f"Patient/p{id_}",
                           number=f"N{id_}", start=NOW, end=None, planned_end=planned_end,
                           locations=tuple(EncounterLocation(f"Location/{b}", s, NOW, None) for b, s in locations),
                           participants=(Participant(attending, "ATND"),) if attending else (),
                           discharge_disposition=None)


def census() -> Census:
    room, other = loc("r1", "Room 401", "ro", "Location/u"), loc("r2", "Room 402", "ro", "Location/u")
    beds = [loc("b1", "4W-401A", "bd", "Location/r1", "O"), loc("b2", "4W-401B", "bd", "Location/r1", "U"),
            loc("b3", "4W-402", "bd", "Location/r2", "H")]
    encounters = [enc("e1", "in-progress", ("b1", "active"), planned_end=date(2026, 11, 28),
                      attending="Practitioner/d1"),
                  enc("e2", "planned", ("u", "planned"), ("b2", "reserved")),
                  enc("e3", "planned", ("u", "planned"))]
    patients = {f"Patient/p{e}": PatientRecord(f"p{e}", PersonName(family, (given,)), None, "female", f"MRN{e}")
                for e, family, given in (("e1", "García-López", "María"), ("e2", "O'Brien", "Siobhan"),
                                         ("e3", "Okafor", "Chinedu"))}
    doctor = PractitionerRecord("d1", PersonName("Shapiro", ("Rachel",)))
    return Census(unit=loc("u", "4 West", "wa", None), rooms=[room, other], beds=beds, encounters=encounters,
                  patients=patients, practitioners={doctor.reference: doctor}, flags={}, tasks=[], fetched_at=NOW)


def kiosk_team(encounter: str, members: dict[str, Person], version: str = "1") -> dict[str, Any]:
    key = encounter_team_key(encounter, SHIFT)
    team = new_team(SYSTEM, key, SHIFT, "4 West", members, encounter=f"Encounter/{encounter}",
                    patient=f"Patient/p{encounter}", resource_id=team_id(SYSTEM, key))
    return {**team, "meta": {"versionId": version}}


#: A care team as an EHR (Epic) gives it: its own id and no kiosk identifier, a nurse by SNOMED role with
#: only a reference (the name comes with _include), and a case manager by text.
EHR_TEAM = {"resourceType": "CareTeam", "id": "eEHR1", "meta": {"versionId": "7"}, "status": "active",
            "encounter": {"reference": "Encounter/e2"},
            "participant": [
                {"role": [{"coding": [{"system": SNOMED, "code": NURSE}]}], "member": {"reference": "Practitioner/n2"}},
                {"role": [{"text": "Case manager"}], "member": {"reference": "Practitioner/cm", "display": "Joan W."}}]}


def teams(*resources: dict[str, Any]) -> TeamsRead:
    return TeamsRead([read_team(r, SYSTEM) for r in resources], {f"CareTeam/{r['id']}": r for r in resources})


def board(settings: WhiteboardSettings = SETTINGS):  # type: ignore[no-untyped-def]
    view = unit_view(census())
    found = teams(kiosk_team("e1", {"nurse": GRACE, "aide": TOMAS}), EHR_TEAM)
    index = TeamIndex.of(found.teams, {e.reference: encounter_team_key(e.id, SHIFT) for e in view.encounters},
                         unit_team_key("u", SHIFT))
    return build_whiteboard(view, index, settings, SHIFT, date(2026, 11, 28), {},
                            {"Practitioner/n2": "Ruth Nakamura"})


def test_each_bed_shows_its_nurse_aide_and_attending_and_the_ehrs_care_teams_read_only() -> None:
    wb = board()
    first, second, third = wb.beds
    assert (first.label, first.nurse, first.aide, first.attending, first.patient) == \
        ("401A", "Grace L.", "Tomás O.", "Shapiro", None)
    assert second.incoming and second.nurse == "Ruth N." and second.aide is None  # from the EHR's team
    assert third.state == "dirty" and not third.occupied
    assert [(c.key, c.number) for c in wb.counts] == [("patients", 1), ("open", 0), ("dirty", 1), ("coming", 2),
                                                      ("going", 1)]
    assert [(r.bed, r.detail) for r in wb.coming_in] == [("401B", "Admission"), ("No bed yet", "Admission")]
    assert [(r.bed, r.detail) for r in wb.going_home] == [("401A", "today")]
    assert wb.columns == [[first, second], [third]]  # a room is never split


def test_patients_appear_only_as_the_settings_allow() -> None:
    assert all(b.patient is None for b in board().beds)
    initials = board(WhiteboardSettings(patient_names="initials", staff_names="initials"))
    first = initials.beds[0]
    assert (first.patient, first.nurse, first.attending) == ("M.G.", "G.L.", "R.S.")
    named = board(WhiteboardSettings(patient_names="name"))
    assert named.beds[0].patient == "GARCÍA-LÓPEZ, M." and named.coming_in[0].patient == "O'BRIEN, S."
    assert patient_label(None, "name") is None and staff_name("Dr. Vivian Tran", "name") == "Vivian T."


def assign_plan(route: WriteRoute, chosen: dict[str, dict[str, str]], charge: str = "", resources=()):  # type: ignore[no-untyped-def]
    needs = {WriteRoute.CLIENT_ID: CLIENT_ID_NEEDS, WriteRoute.CONDITIONAL_CREATE: CONDITIONAL_NEEDS}[route]
    # The plan follows the route it is given; which route a server gets is test_access.py's subject.
    access = replace(team_access(Capabilities.from_statement(vendor_statement("epic")), ()), write=route, needs=needs)
    view = unit_view(census())
    found = teams(*resources)
    screen = assign_screen(view, found, [GRACE, TOMAS, RUTH], access, SHIFT, SHIFT, "current")
    request = AssignmentRequest(SHIFT.key, {b.id: b.encounter_id for b in screen.beds}, chosen, charge,
                                Seen.parse(screen.seen), frozenset(screen.absent.split()))
    return plan_assignment(view, found, [GRACE, TOMAS, RUTH], access, SHIFT, request, SYSTEM, "4 West")


def test_a_save_creates_the_missing_teams_as_the_server_allows_and_updates_the_others() -> None:
    planned = assign_plan(WriteRoute.CLIENT_ID, {"b1": {"nurse": GRACE.ref, "aide": TOMAS.ref}}, charge=RUTH.ref)
    assert planned.beds == 1 and len(planned.change.updates) == 0
    made = list(planned.change.creates)
    assert all(c.at_id for c in made) and made[0].resource["id"] == team_id(SYSTEM, encounter_team_key("e1", SHIFT))
    assert made[1].resource["participant"][0]["role"][0]["coding"][0]["code"] == "224573008"
    assert "charge nurse Ruth N." in planned.message
    conditional = assign_plan(WriteRoute.CONDITIONAL_CREATE, {"b2": {"nurse": GRACE.ref}})
    assert conditional.change.creates[0].if_none_exist == \
        f"identifier={SYSTEM.replace(':', '%3A').replace('/', '%2F')}%7Ce2%2F{SHIFT.key}"
    existing = kiosk_team("e1", {"nurse": GRACE, "aide": TOMAS}, version="4")
    existing["participant"].append({"role": [{"text": "Case manager"}], "member": {"display": "Joan W."}})
    updated = assign_plan(WriteRoute.CLIENT_ID, {"b1": {"nurse": RUTH.ref, "aide": TOMAS.ref}},
                          resources=[existing])
    (resource, version), = updated.change.updates
    assert version == "4" and not updated.change.creates
    roles = [p["role"][0].get("text") for p in resource["participant"]]
    assert sorted(roles) == ["Aide", "Case manager", "Nurse"]  # the case manager is kept
    assert next(p for p in resource["participant"] if p["role"][0].get("text") == "Nurse")["member"]["reference"] == \
        RUTH.ref


def test_a_save_is_refused_before_sending_when_it_cannot_be_right() -> None:
    with pytest.raises(Refused, match="not one of the unit's nursing assistants"):
        assign_plan(WriteRoute.CLIENT_ID, {"b1": {"aide": GRACE.ref}})
    with pytest.raises(Refused, match="not one of the unit's nurses"):
        assign_plan(WriteRoute.CLIENT_ID, {"b1": {"nurse": "Practitioner/nobody"}})


def test_a_conditional_create_that_found_another_stations_team_is_reported() -> None:
    planned = assign_plan(WriteRoute.CONDITIONAL_CREATE, {"b1": {"nurse": GRACE.ref}, "b2": {"nurse": GRACE.ref}})
    ours = WriteResult({"resourceType": "CareTeam", "id": "x1"}, created=True)
    theirs = WriteResult({"resourceType": "CareTeam", "id": "x2"}, created=False)
    assert created_elsewhere([ours, theirs], planned.change) == 1
    assert created_elsewhere([ours], planned.change) == 0
