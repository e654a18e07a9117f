"""The unit's transport board, the transporters' list and the bed tiles' marks on the real FHIR server:
each state in words with its times, the clock amber then red, a fixed number of requests whatever the
number of jobs, a poll that changes nothing answers 204, a delivered transfer offers the move into the
new bed, the bed tiles get "Transport" and "Off unit", and escalated jobs show on the board and home."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

from kiosk.auth import Role
from kiosk.extensions import database
from kiosk.fhir.locations import available_beds_elsewhere
from kiosk.transport.escalation import escalate, raised_jobs
from kiosk.transport.fhir import PlaceRef
from tests.support.beds import app_gateway, page_text
from tests.support.transport import TransportUnit

Factory = Callable[..., TransportUnit]


def row_of(html: str, task_id: str) -> str:
    start = html.index(f'data-job-id="{task_id}"')
    end = html.find("data-job-id=", start + 20)
    return page_text(html[start: end if end > 0 else None])


def test_the_board_shows_every_state_with_its_times(transport_unit: Factory) -> None:
    unit = transport_unit(16)
    people = unit.occupants()
    owner = unit.owner()
    seeded = {
        "waiting": unit.seed(people[0], state="requested", asked_ago=5),
        "amber": unit.seed(people[1], state="requested", asked_ago=40),
        "red": unit.seed(people[2], state="requested", priority="stat", target_minutes=10, asked_ago=25),
        "accepted": unit.seed(people[3], state="accepted", owner=owner, asked_ago=10, accepted_after=2),
        "delayed": unit.seed(people[4], state="delayed", owner=owner, reason="Elevator delay"),
        "moving": unit.seed(people[5], state="picked-up", owner=owner, asked_ago=30, picked_after=12),
        "back": unit.seed(people[6], state="back-waiting", owner=owner, asked_ago=90),
    }
    client = unit.client()
    html = client.get("/transport/").get_data(as_text=True)
    ids = {k: next(j for j in v.jobs if j.leg == "outbound").id for k, v in seeded.items()}
    assert "Waiting for a transporter" in row_of(html, ids["waiting"])
    assert re.search(r"\b5 of 45 min\b", row_of(html, ids["waiting"]))
    assert "40 of 45 min soon late" in row_of(html, ids["amber"])
    assert "25 of 10 min late" in row_of(html, ids["red"]) and "Stat" in row_of(html, ids["red"])
    assert "Accepted by Jordan Blake" in row_of(html, ids["accepted"])
    assert "Delayed Elevator delay" in row_of(html, ids["delayed"])
    assert "Picked up, on the way" in row_of(html, ids["moving"])
    back = next(j for j in seeded["back"].jobs if j.leg == "return")
    assert "Waiting for the call to bring back" in row_of(html, back.id) and "Ready to come back" in row_of(
        html, back.id)
    assert ids["back"] not in html  # a delivered leg is off the board
    # Stat and late first.
    assert html.index(f'data-job-id="{ids["red"]}"') < html.index(f'data-job-id="{ids["waiting"]}"')
    assert "7 open jobs" in page_text(html)


def test_the_board_costs_two_requests_whatever_the_number_of_jobs(transport_unit: Factory) -> None:
    unit = transport_unit(20)
    people = unit.occupants()
    client = unit.client()
    client.get("/transport/")  # the unit's id is looked up once
    counts = []
    for n in (1, 10):
        for person in people[len(counts) * 1: len(counts) * 1 + n]:
            unit.seed(person, state="requested")
        response = client.get("/transport/board", headers={"HX-Request": "true"})
        counts.append(response.headers["X-FHIR-Requests"])
    assert counts == ["2", "2"]


def test_a_poll_that_finds_nothing_new_answers_204(transport_unit: Factory) -> None:
    unit = transport_unit()
    unit.seed(unit.occupants()[0], state="accepted", owner=unit.owner())
    client = unit.client()
    first = client.get("/transport/board", headers={"HX-Request": "true"})
    fingerprint = re.search(r'"X-Region-Fingerprint": "([0-9a-f]+)"', first.get_data(as_text=True)).group(1)
    again = client.get("/transport/board", headers={"HX-Request": "true", "X-Region-Fingerprint": fingerprint})
    assert again.status_code == 204


def test_a_delivered_transfer_offers_the_move_into_the_new_bed_in_one_tap_on_the_bed_board(
        transport_unit: Factory) -> None:
    unit = transport_unit()
    occupant = unit.occupants()[0]
    unit_id = unit.gw.unit_location_id(unit.ref)
    target = available_beds_elsewhere(unit.gw, unit_id)[0]
    place = PlaceRef(target.bed.name, target.bed.reference, unit=target.unit.reference if target.unit else None,
                     unit_name=target.unit_name, is_bed=True)
    unit.seed(occupant, state="delivered", purpose="transfer", destination=place, owner=unit.owner(), asked_ago=40)
    client = unit.client()
    html = client.get("/transport/").get_data(as_text=True)
    link = f"/beds/encounter/{occupant.encounter_id}"
    assert f'href="{link}"' in html and f"Move into {target.bed.name}" in html
    # The patient's panel on the bed board offers the move itself: one form, the board's transfer.
    panel = client.get(link, headers={"HX-Request": "true"}).get_data(as_text=True)
    start = panel.index('class="move-offer"')
    offer = panel[start: panel.index("</form>", start)]
    assert 'hx-post="/beds/act/transfer"' in offer
    assert f"Move into {target.bed.name}" in page_text(offer) and "Transport delivered" in page_text(offer)
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', offer))
    assert fields["target"] == target.bed.id and fields["encounter"] == occupant.encounter_id
    assert f"Encounter/{occupant.encounter_id}@" in fields["seen"]
    # One tap: the transfer is sent with the versions the panel showed.
    done = client.post("/beds/act/transfer", data=fields, headers={"HX-Request": "true"})
    assert done.status_code == 200, page_text(done.get_data(as_text=True))
    assert f"is transferred to bed {target.bed.name}" in page_text(done.get_data(as_text=True))
    encounter = unit.gw.client.read("Encounter", occupant.encounter_id)
    assert [loc["location"]["reference"] for loc in encounter["location"] if loc["status"] == "active"] == [
        target.bed.reference]
    # Made: neither the transport board nor the panel offers it again.
    assert f"Move into {target.bed.name}" not in client.get("/transport/").get_data(as_text=True)
    # A transporter sees the delivery, not the button.
    assert "Move into" not in unit.client(Role.TRANSPORTER).get("/transport/").get_data(as_text=True)


def test_the_one_tap_move_is_refused_when_the_patient_moved_since_the_panel_was_drawn(
        transport_unit: Factory) -> None:
    unit = transport_unit()
    occupant = unit.occupants()[0]
    target = available_beds_elsewhere(unit.gw, unit.gw.unit_location_id(unit.ref))[0]
    place = PlaceRef(target.bed.name, target.bed.reference, unit=target.unit.reference if target.unit else None,
                     unit_name=target.unit_name, is_bed=True)
    unit.seed(occupant, state="delivered", purpose="transfer", destination=place, owner=unit.owner(), asked_ago=40)
    client = unit.client()
    panel = client.get(f"/beds/encounter/{occupant.encounter_id}", headers={"HX-Request": "true"}).get_data(
        as_text=True)
    start = panel.index('class="move-offer"')
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', panel[start: panel.index("</form>", start)]))
    # Another station changes the patient's encounter after the panel was drawn.
    encounter = unit.gw.client.read("Encounter", occupant.encounter_id)
    version = encounter["meta"]["versionId"]
    encounter.pop("meta")
    encounter["priority"] = {"text": "changed elsewhere"}
    unit.gw.client.update(encounter, version=version)
    refused = client.post("/beds/act/transfer", data=fields, headers={"HX-Request": "true"})
    assert refused.status_code == 409
    assert "changed at another station" in page_text(refused.get_data(as_text=True)).lower()
    after = unit.gw.client.read("Encounter", occupant.encounter_id)
    assert target.bed.reference not in [loc["location"]["reference"] for loc in after["location"]]


def test_the_bed_tiles_show_transport_and_off_unit_in_one_request(transport_unit: Factory) -> None:
    unit = transport_unit()
    people = unit.occupants()
    unit.seed(people[0], state="requested", priority="stat", target_minutes=10, asked_ago=30)
    unit.seed(people[1], state="picked-up", owner=unit.owner())
    unit.seed(people[2], state="back-waiting", owner=unit.owner())
    unit.seed(people[3], state="delivered", owner=unit.owner())
    client = unit.client()
    client.get("/beds/")
    response = client.get("/beds/")
    html = response.get_data(as_text=True)

    def tile(person: object) -> str:
        bed_id = person.bed.reference.split("/")[1]  # type: ignore[attr-defined]
        return next(t for t in html.split("<button") if f'data-bed-id="{bed_id}"' in t)

    assert '<span class="mark mark-transport is-urgent">Transport</span>' in tile(people[0])
    assert '<span class="mark mark-off-unit">Off unit</span>' in tile(people[1])
    assert '<span class="mark mark-off-unit">Off unit</span>' in tile(people[2])
    assert "mark-" not in tile(people[3])
    # Nothing changed since the first render: the census and the marks' one search are kept per census
    # version, and this render costs the look at the server's changes only (kiosk.census).
    assert response.headers["X-FHIR-Requests"] == "1"


def test_escalated_jobs_show_on_the_board_and_home_and_clear_when_accepted(transport_unit: Factory) -> None:
    unit = transport_unit()
    jobs = unit.seed(unit.occupants()[0], state="requested", priority="stat", target_minutes=10, asked_ago=25)
    unit.seed(unit.occupants()[1], state="requested", asked_ago=5)
    [late] = jobs.jobs
    with unit.app.app_context():
        run = escalate(app_gateway(unit.app), database(), datetime.now(UTC))
        assert (run.raised, run.still, run.cleared) == (1, 0, 0)
        assert escalate(app_gateway(unit.app), database(), datetime.now(UTC)).line() == \
            "Escalated 0 jobs waiting past the target; 1 still raised; 0 cleared."
    client = unit.client()
    board = client.get("/transport/").get_data(as_text=True)
    assert "Escalated" in row_of(board, late.id) and "1 escalated" in page_text(board)
    assert "Escalation is stopped" in page_text(board)  # no scheduler runs in this test
    home = client.get("/")
    text = page_text(home.get_data(as_text=True))
    assert "1 transport job waits past the target" in text and "Stat:" in text
    assert "Transport escalation is stopped: the scheduler is not running." in text
    # The look at the server's changes, the census for the counts (first read: 6), the housekeeping
    # panel's search of the open cleaning jobs and the bed requests' panel's Task search; the transport
    # panel reads the database only.
    assert home.headers["X-FHIR-Requests"] == "9"
    with unit.app.app_context():
        unit.gw.client.update({**unit.gw.client.read("Task", late.id), "status": "accepted"}, version="1")
        assert escalate(app_gateway(unit.app), database(), datetime.now(UTC)).cleared == 1
        assert raised_jobs(database()) == []
    assert "transport job" not in page_text(client.get("/").get_data(as_text=True))


def test_a_transporter_sees_their_zone_and_their_jobs(transport_unit: Factory) -> None:
    unit = transport_unit()
    people = unit.occupants()
    mine = unit.seed(people[0], state="accepted", owner=unit.owner())
    waiting = unit.seed(people[1], state="requested")
    later = unit.seed(people[2], state="requested", pickup_in=180)
    other = unit.seed(people[3], state="accepted", owner=unit.owner("100095", "Riley Moss"))
    client = unit.client(Role.TRANSPORTER)
    response = client.get("/transport/jobs")
    html = response.get_data(as_text=True)
    text = page_text(html)
    # "My jobs" are the transporter's on any unit (other tests' too); the rest is this unit's zone.
    for words in ("This unit", "Waiting for a transporter 1", "Later, or waiting for the call 1"):
        assert words in text, text[text.find("This unit"):]
    order = [html.index(mine.jobs[0].id), html.index("Waiting for a transporter <"), html.index(waiting.jobs[0].id),
             html.index(later.jobs[0].id)]
    assert order == sorted(order)
    assert other.jobs[0].id not in html
    # The first visit reads the statement and names the zones' units, once per process.
    assert response.headers["X-FHIR-Requests"] == "5"
    again = client.get("/transport/jobs/list", headers={"HX-Request": "true"})
    assert again.headers["X-FHIR-Requests"] == "1"
