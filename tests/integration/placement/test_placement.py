"""Bed placement on the real FHIR server: assigning a bed writes the reservation and the Task accepted in
one transaction; a stale assign is a conflict that writes nothing (read again); decline keeps its reason;
the patient's arrival in the bed completes the request on the next look at the list; the transport to the
assigned bed, once picked up, puts the request in transit."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime

from flask.testing import FlaskClient

from kiosk.auth import Role
from kiosk.fhir.change import Seen
from kiosk.fhir.refs import version_of
from kiosk.transport import JobSpec, PlaceRef, job_transaction, staff_reference
from kiosk.transport import Systems as TSystems
from kiosk.transport.fhir import jobs_of_request
from tests.support.auth import page_token, sign_in_client
from tests.support.beds import BedUnit, audit_rows, page_text
from tests.support.placement import PlacementUnit, bed_buttons

Factory = Callable[..., PlacementUnit]


def test_the_list_shows_open_requests_with_their_needs(placement_unit: Factory) -> None:
    unit = placement_unit()
    unit.add(needs=("isolation-contact", "telemetry"))
    client = sign_in_client(unit.app.test_client(), Role.CHARGE_NURSE)
    text = page_text(client.get("/placement/").get_data(as_text=True))
    assert "TESTPERSON, Ada" in text or "Testperson" in text
    assert "Contact isolation" in text and "Telemetry" in text and "Waiting for a bed" in text


def test_assign_writes_the_reservation_and_the_task_accepted_in_one_transaction(placement_unit: Factory) -> None:
    unit = placement_unit()
    task_id = unit.add()
    client = sign_in_client(unit.app.test_client(), Role.CHARGE_NURSE)
    html = client.get(f"/placement/{task_id}/assign").get_data(as_text=True)
    buttons = bed_buttons(html)
    assert buttons, page_text(html)
    bed_id, version, seen = buttons[0]
    answer = client.post(f"/placement/{task_id}/assign", data={
        "csrf_token": page_token(client, "/placement/"), "seen": seen, "bed": bed_id, "bed_version": version})
    assert answer.status_code == 200, page_text(answer.get_data(as_text=True))
    req = unit.request(task_id)
    assert req.status == "accepted" and req.assigned_bed == f"Location/{bed_id}"
    assert req.encounter is not None
    assert any(loc.location == f"Location/{bed_id}" and loc.status == "reserved" for loc in req.encounter.locations)
    # One transaction: the Task's and the Encounter's new versions come from one write, audited as one.
    rows = [r for r in audit_rows(unit.app) if "placement-assign" in (r.detail or "")]
    assert rows and rows[-1].outcome == "success" and "Task/" in rows[-1].detail and "Encounter/" in rows[-1].detail
    tile = next(t for t in BedUnit(unit.ref, unit.gw).board().tiles.values() if t.ref == f"Location/{bed_id}")
    assert tile.state.value == "reserved"


def test_a_stale_assign_is_a_conflict_and_nothing_is_written(placement_unit: Factory) -> None:
    unit = placement_unit()
    task_id = unit.add()
    client = sign_in_client(unit.app.test_client(), Role.CHARGE_NURSE)
    bed_id, version, seen = bed_buttons(client.get(f"/placement/{task_id}/assign").get_data(as_text=True))[0]
    # Another station touches the Task after the page was drawn.
    task = unit.request(task_id).task
    task["note"] = [{"text": "called the ED"}]
    unit.gw.client.update(task, version=version_of(task))
    before = unit.request(task_id)
    answer = client.post(f"/placement/{task_id}/assign", data={
        "csrf_token": page_token(client, "/placement/"), "seen": seen, "bed": bed_id, "bed_version": version})
    text = page_text(answer.get_data(as_text=True))
    assert answer.status_code == 409 and "changed at another station" in text.lower()
    assert "Nothing was written (checked on the FHIR server)" in text
    after = unit.request(task_id)
    assert after.status == "requested" and version_of(after.task) == version_of(before.task)
    assert after.encounter_json is not None and before.encounter_json is not None
    assert version_of(after.encounter_json) == version_of(before.encounter_json)


def test_decline_keeps_the_reason_and_an_empty_reason_is_refused(placement_unit: Factory) -> None:
    unit = placement_unit()
    task_id = unit.add()
    client = sign_in_client(unit.app.test_client(), Role.UNIT_SECRETARY)
    seen = Seen.of(unit.request(task_id).seen().items()).text()
    empty = client.post(f"/placement/{task_id}/decline", data={"csrf_token": page_token(client, "/placement/"),
                                                                "seen": seen, "reason": "  "})
    assert empty.status_code == 422 and "Say why" in empty.get_data(as_text=True)
    assert unit.request(task_id).status == "requested"
    answer = client.post(f"/placement/{task_id}/decline", data={"csrf_token": page_token(client, "/placement/"),
                                                                 "seen": seen, "reason": "No telemetry bed free"})
    assert answer.status_code == 200
    req = unit.request(task_id)
    assert req.status == "rejected" and req.reason == "No telemetry bed free"
    assert req.request["status"] == "revoked"
    status = page_text(client.get(f"/placement/{task_id}").get_data(as_text=True))
    assert "Declined: No telemetry bed free" in status


def test_a_nurse_cannot_assign(placement_unit: Factory) -> None:
    unit = placement_unit()
    task_id = unit.add()
    client = sign_in_client(unit.app.test_client(), Role.NURSE)
    assert client.get(f"/placement/{task_id}/assign").status_code == 403


def test_in_transit_then_arrival_completes_the_request_on_the_next_look(placement_unit: Factory) -> None:
    unit = placement_unit()
    task_id = unit.add()
    client = sign_in_client(unit.app.test_client(), Role.CHARGE_NURSE)
    bed_id, version, seen = bed_buttons(client.get(f"/placement/{task_id}/assign").get_data(as_text=True))[0]
    client.post(f"/placement/{task_id}/assign", data={
        "csrf_token": page_token(client, "/placement/"), "seen": seen, "bed": bed_id, "bed_version": version})
    req = unit.request(task_id)
    assert "Bed assigned" in page_text(client.get(f"/placement/{task_id}").get_data(as_text=True))
    answer = client.post(f"/placement/{task_id}/transit", data={
        "csrf_token": page_token(client, "/placement/"), "seen": f"Task/{task_id}@{version_of(req.task)}"})
    assert answer.status_code == 200 and unit.request(task_id).status == "in-progress"
    assert "In transit" in page_text(client.get(f"/placement/{task_id}").get_data(as_text=True))
    # The bed board admits the patient into the reserved bed.
    assert req.encounter is not None
    BedUnit(unit.ref, unit.gw).act("admit", bed_id=bed_id, encounter_id=req.encounter.id)
    listing = page_text(client.get("/placement/").get_data(as_text=True))
    assert "Arrived" in listing
    done = unit.request(task_id)
    assert done.status == "completed" and done.request["status"] == "completed"
    assert "Arrived" in page_text(client.get(f"/placement/{task_id}").get_data(as_text=True))
    assert task_id not in [r.id for r in unit.open()]


def test_the_list_and_the_assign_page_cost_a_fixed_number_of_requests(placement_unit: Factory) -> None:
    unit = placement_unit()
    client = sign_in_client(unit.app.test_client(), Role.CHARGE_NURSE)
    client.get("/placement/")  # the unit's id is looked up once
    lists, assigns = [], []
    for n in (3, 27):
        added = [unit.add(needs=("telemetry",)) for _ in range(n)]
        first = added[0]
        listing = client.get("/placement/")
        assert listing.status_code == 200
        lists.append(listing.headers["X-FHIR-Requests"])
        assigns.append(client.get(f"/placement/{first}/assign").headers["X-FHIR-Requests"])
    assert len(unit.open()) == 30
    assert lists[0] == lists[1] == "1"
    assert assigns[0] == assigns[1]


def test_the_home_panel_counts_the_open_requests(placement_unit: Factory) -> None:
    unit = placement_unit()
    unit.add()
    unit.add(needs=("bariatric",))
    client = sign_in_client(unit.app.test_client(), Role.UNIT_SECRETARY)
    client.get("/placement/home")  # the first also reads the server's statement and looks the unit's id up
    panel = client.get("/placement/home")
    assert "2 bed requests waiting for a bed" in page_text(panel.get_data(as_text=True))
    assert panel.headers["X-FHIR-Requests"] == "1"
    assert "2 bed requests waiting for a bed" in page_text(client.get("/").get_data(as_text=True))


def test_two_stations_cannot_place_two_patients_in_one_bed(placement_unit: Factory) -> None:
    unit = placement_unit()
    first, second = unit.add(), unit.add()
    one = sign_in_client(unit.app.test_client(), Role.CHARGE_NURSE)
    other = sign_in_client(unit.app.test_client(), Role.UNIT_SECRETARY)
    bed_id, version, seen_first = bed_buttons(one.get(f"/placement/{first}/assign").get_data(as_text=True))[0]
    forms = {b: (v, s) for b, v, s in bed_buttons(other.get(f"/placement/{second}/assign").get_data(as_text=True))}
    assert bed_id in forms  # both screens offer the same free bed
    assert one.post(f"/placement/{first}/assign", data={
        "csrf_token": page_token(one, "/placement/"), "seen": seen_first, "bed": bed_id,
        "bed_version": version}).status_code == 200
    late_version, late_seen = forms[bed_id]
    answer = other.post(f"/placement/{second}/assign", data={
        "csrf_token": page_token(other, "/placement/"), "seen": late_seen, "bed": bed_id, "bed_version": late_version})
    text = page_text(answer.get_data(as_text=True))
    assert answer.status_code == 409 and "Changed at another station" in text
    # The re-read finds the stay and the request untouched (the bed, written unchanged with its If-Match as
    # the board's reserve does, reads the same as what this change sent).
    assert "Not saved: hospital stay, bed request" in text
    late = unit.request(second)
    assert late.status == "requested" and unit.request(first).status == "accepted"
    assert late.encounter is not None and not any(loc.status == "reserved" for loc in late.encounter.locations)


def test_a_stale_decline_keeps_the_reason_typed(placement_unit: Factory) -> None:
    unit = placement_unit()
    task_id = unit.add()
    client = sign_in_client(unit.app.test_client(), Role.CHARGE_NURSE)
    seen = Seen.of(unit.request(task_id).seen().items()).text()
    request = unit.request(task_id).request
    request["note"] = [{"text": "patient now on droplet precautions"}]
    unit.gw.client.update(request, version=version_of(request))
    answer = client.post(f"/placement/{task_id}/decline", data={"csrf_token": page_token(client, "/placement/"),
                                                                 "seen": seen, "reason": "Unit full tonight"})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 409 and 'value="Unit full tonight"' in html
    assert unit.request(task_id).status == "requested"


def test_an_administrator_sees_the_requests_without_the_desk_actions(placement_unit: Factory) -> None:
    unit = placement_unit()
    task_id = unit.add()
    html = sign_in_client(unit.app.test_client(), Role.ADMINISTRATOR).get("/placement/").get_data(as_text=True)
    assert "Waiting for a bed" in page_text(html) and f"/placement/{task_id}/assign" not in html


def _assigned(unit: PlacementUnit, client: FlaskClient) -> tuple[str, str]:
    """A new request with a bed assigned at the kiosk: (task id, bed id)."""
    task_id = unit.add()
    bed_id, version, seen = bed_buttons(client.get(f"/placement/{task_id}/assign").get_data(as_text=True))[0]
    assert client.post(f"/placement/{task_id}/assign", data={
        "csrf_token": page_token(client, "/placement/"), "seen": seen, "bed": bed_id,
        "bed_version": version}).status_code == 200
    return task_id, bed_id


def _transport(unit: PlacementUnit, task_id: str, bed_id: str, state: str) -> str:
    """A transport job for the request's patient from the ED to a bed, written as the transport workflow
    writes it; returns its request number."""
    req = unit.request(task_id)
    assert req.patient is not None and req.encounter is not None
    number = f"TR-{secrets.token_hex(4).upper()}"
    unit.gw.client.transaction(job_transaction(
        JobSpec(number=number, patient=req.patient.reference, encounter=req.encounter.reference,
                origin=PlaceRef("Emergency department", code="ed-bay"),
                destination=PlaceRef(f"bed {bed_id}", f"Location/{bed_id}", unit=unit.unit, is_bed=True),
                state=state, asked_ago=0, owner=staff_reference(TSystems(unit.gw.identifiers.code_systems),
                                                                "100007", "Jordan Blake", None)),
        TSystems(unit.gw.identifiers.code_systems), datetime.now(UTC).replace(microsecond=0),
        {"display": "ED charge nurse"}))
    return number


def _card(html: str, number: str) -> str:
    start = html.index(f'data-request="{number}"')
    return html[start:start + 3000].split("</li>")[0]


def test_picking_up_the_transport_to_the_assigned_bed_puts_the_request_in_transit(placement_unit: Factory) -> None:
    unit = placement_unit()
    client = sign_in_client(unit.app.test_client(), Role.CHARGE_NURSE)
    task_id, bed_id = _assigned(unit, client)
    walking_id, _walking_bed = _assigned(unit, client)
    number = unit.request(task_id).number
    walking = unit.request(walking_id).number

    # A transport to the assigned bed is asked for and accepted: the request shows it and offers no
    # "On the way" of its own; the request without a transport keeps the button.
    job = _transport(unit, task_id, bed_id, "accepted")
    listing = client.get("/placement/")
    html = listing.get_data(as_text=True)
    card = _card(html, number)
    assert "Bed assigned" in page_text(card) and f"Transport {job}: accepted" in page_text(card)
    assert f"/placement/{task_id}/transit" not in card
    assert f"/placement/{walking_id}/transit" in _card(html, walking)
    # The list's Task search and one search of the placed patients' transports.
    assert listing.headers["X-FHIR-Requests"] == "2"
    assert unit.request(task_id).status == "accepted"

    # The transporter picks the patient up (the Task in progress, as the phone screen writes it).
    [leg] = jobs_of_request(unit.gw, job).jobs
    task = unit.gw.client.read("Task", leg.id)
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    task.update(status="in-progress", executionPeriod={"start": now}, lastModified=now)
    unit.gw.client.update(task, version=version_of(task))
    html = client.get("/placement/").get_data(as_text=True)
    card = page_text(_card(html, number))
    assert "In transit" in card and f"Transport {job}: picked up, on the way" in card
    req = unit.request(task_id)
    assert req.status == "in-progress"  # written by the look that saw it, audited
    rows = [r for r in audit_rows(unit.app) if "placement-in-transit" in (r.detail or "")]
    assert rows and rows[-1].outcome == "success"
    status = page_text(client.get(f"/placement/{task_id}").get_data(as_text=True))
    assert "In transit to" in status and f"Transport {job}" in status
    assert unit.request(walking_id).status == "accepted"

    # Delivered and moved into the bed on the board: the existing arrival completes the request.
    task = unit.gw.client.read("Task", leg.id)
    task.update(status="completed", executionPeriod={"start": now, "end": now})
    unit.gw.client.update(task, version=version_of(task))
    assert req.encounter is not None
    BedUnit(unit.ref, unit.gw).act("admit", bed_id=bed_id, encounter_id=req.encounter.id)
    assert "Arrived" in page_text(client.get("/placement/").get_data(as_text=True))
    assert unit.request(task_id).status == "completed"


def test_a_transport_to_another_bed_or_not_yet_picked_up_is_not_in_transit(placement_unit: Factory) -> None:
    unit = placement_unit()
    client = sign_in_client(unit.app.test_client(), Role.UNIT_SECRETARY)
    task_id, bed_id = _assigned(unit, client)
    other_bed = next(b for b in unit.gw.client.search("Location", [("partof", unit.unit)]).matches
                     if b["id"] != bed_id)["id"]
    _transport(unit, task_id, other_bed, "picked-up")
    html = client.get("/placement/").get_data(as_text=True)
    card = _card(html, unit.request(task_id).number)
    assert "In transit" not in page_text(card) and f"/placement/{task_id}/transit" in card
    status = page_text(client.get(f"/placement/{task_id}").get_data(as_text=True))
    assert "In transit to" not in status and unit.request(task_id).status == "accepted"
