"""Discharge-ready milestones on the real FHIR server and the kiosk's database: ticked from the bed board's
panel with who and when, refused for a patient no longer in the bed, counted on the occupied tile without a
FHIR request of their own."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

from flask.testing import FlaskClient

from kiosk.auth import Role
from kiosk.beds.occupancy import BedState
from tests.support.beds import (
    BOARD_REQUESTS,
    UNCHANGED_REQUESTS,
    BedUnit,
    audit_rows,
    page_text,
    read_again,
    signed_in,
)
from tests.support.whiteboard import Ward

Factory = Callable[..., Ward]
HX = {"HX-Request": "true"}


def beds_of(unit: Ward) -> BedUnit:
    return BedUnit(ref=unit.ref, gw=unit.gw)


def token_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None, "the section has no form"
    return found.group(1)


def note_of(html: str, label: str) -> str:
    label_html = f'<strong class="dm-label">{re.escape(label)}</strong>'
    found = re.search(label_html + r'<span class="dm-note muted">([^<]*)</span>', html)
    assert found is not None, f"no milestone {label}"
    return page_text(found.group(1)).strip()


def tick(client: FlaskClient, bed_id: str, milestone: str, encounter_id: str, done: str = "yes"):  # type: ignore[no-untyped-def]
    token = token_of(client.get(f"/discharge/section/{bed_id}", headers=HX).get_data(as_text=True))
    return client.post(f"/discharge/section/{bed_id}", headers=HX,
                       data={"csrf_token": token, "milestone": milestone, "done": done, "encounter": encounter_id})


def tile_text(client: FlaskClient, bed_id: str) -> str:
    page = client.get("/beds/").get_data(as_text=True)
    tile = re.search(rf'data-bed-id="{bed_id}">(.*?)</button>', page, re.S)
    assert tile is not None
    return page_text(tile.group(1))


def test_ticks_with_who_and_when_untick_and_ready_to_go(ward: Factory) -> None:
    unit = ward(12)
    bed = beds_of(unit).beds(BedState.OCCUPIED)[0]
    assert bed.patient is not None
    encounter_id = bed.patient.encounter_id
    nurse = signed_in(unit.app, Role.NURSE)
    section = nurse.get(f"/discharge/section/{bed.id}", headers=HX).get_data(as_text=True)
    assert "Discharge milestones: 0 of 5" in page_text(section)
    assert note_of(section, "Ride home arranged") == "Not yet."
    board = signed_in(unit.app, Role.UNIT_SECRETARY)
    assert "Home" not in tile_text(board, bed.id)

    saved = tick(nurse, bed.id, "ride-home", encounter_id)
    assert saved.status_code == 200
    html = saved.get_data(as_text=True)
    assert "Discharge milestones: 1 of 5" in page_text(html)
    assert re.fullmatch(r"Ticked by Grace Lambert at \d\d:\d\d\.", note_of(html, "Ride home arranged"))
    assert "Home 1/5" in tile_text(board, bed.id)

    undone = tick(nurse, bed.id, "ride-home", encounter_id, done="no").get_data(as_text=True)
    assert "0 of 5" in page_text(undone) and note_of(undone, "Ride home arranged").startswith("Unticked by Grace")

    for key in ("ride-home", "prescriptions", "teaching", "follow-up", "equipment"):
        assert tick(nurse, bed.id, key, encounter_id).status_code == 200
    done = nurse.get(f"/discharge/section/{bed.id}", headers=HX).get_data(as_text=True)
    assert "Discharge milestones: Ready to go" in page_text(done)
    assert "Ready to go" in tile_text(board, bed.id)

    rows = audit_rows(unit.app, "discharge-milestone")
    assert len(rows) == 7 and all(r.entity == f"Location/{bed.id}" for r in rows)
    assert {r.patient for r in rows} == {f"Patient/{bed.patient.patient_id}"}
    assert {r.entity_label for r in rows} == {f"bed {bed.name}"}


def test_a_tick_for_a_patient_no_longer_in_the_bed_is_refused(ward: Factory) -> None:
    unit = ward(12)
    bed = beds_of(unit).beds(BedState.OCCUPIED)[0]
    assert bed.patient is not None
    nurse = signed_in(unit.app, Role.CHARGE_NURSE)
    token = token_of(nurse.get(f"/discharge/section/{bed.id}", headers=HX).get_data(as_text=True))
    beds_of(unit).act("discharge", encounter_id=bed.patient.encounter_id, bed_id=bed.id, disposition="home")
    read_again(unit.app)
    stale = nurse.post(f"/discharge/section/{bed.id}", headers=HX, data={
        "csrf_token": token, "milestone": "teaching", "done": "yes", "encounter": bed.patient.encounter_id})
    assert stale.status_code == 409 and "Nothing was saved" in page_text(stale.get_data(as_text=True))
    rows = audit_rows(unit.app, "discharge-milestone")
    assert [r.outcome for r in rows] == ["failure"] and rows[0].patient is None


def test_who_may_tick_and_bad_input(ward: Factory) -> None:
    unit = ward(12)
    bed = beds_of(unit).beds(BedState.OCCUPIED)[0]
    assert bed.patient is not None
    aide = signed_in(unit.app, Role.NURSING_ASSISTANT)
    shown = aide.get(f"/discharge/section/{bed.id}", headers=HX).get_data(as_text=True)
    assert "Only a unit secretary, a charge nurse or a nurse ticks a milestone." in page_text(shown)
    assert 'name="milestone"' not in shown
    secretary = signed_in(unit.app, Role.UNIT_SECRETARY)
    unknown = tick(secretary, bed.id, "limousine", bed.patient.encounter_id)
    assert unknown.status_code == 422 and "not a milestone" in page_text(unknown.get_data(as_text=True))
    assert audit_rows(unit.app, "discharge-milestone") == []


def test_the_count_mark_costs_no_fhir_request(ward: Factory) -> None:
    unit = ward(12)
    bed = beds_of(unit).beds(BedState.OCCUPIED)[0]
    assert bed.patient is not None
    board = signed_in(unit.app, Role.UNIT_SECRETARY)
    board.get("/beds/")  # reads the statement, resolves the unit, reads the census
    tick(board, bed.id, "teaching", bed.patient.encounter_id)
    page = board.get("/beds/")
    # The ticks are the kiosk's own (no FHIR write) and the marks come from its database: unchanged census,
    # the look at the server's changes only.
    assert page.headers["X-FHIR-Requests"] == UNCHANGED_REQUESTS
    assert "Home 1/5" in tile_text(board, bed.id)
    beds_of(unit).act("expected-discharge", encounter_id=bed.patient.encounter_id, bed_id=bed.id,
                      day=(date.today() + timedelta(days=2)).isoformat())
    changed = board.get("/beds/")
    # A change on the server: the look, then the census and the transport marks, as without milestones.
    assert changed.headers["X-FHIR-Requests"] == BOARD_REQUESTS
    assert "Home 1/5" in page_text(changed.get_data(as_text=True))
