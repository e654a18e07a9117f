"""The whiteboard's screens on the real FHIR server: the station screen set up with its token, a patient's
care team on the bed board's panel, and what Epic's and Oracle Health's statements leave possible."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from kiosk.auth import Role
from kiosk.beds.occupancy import BedState
from kiosk.calls.models import Reason, utcnow
from kiosk.calls.services import NewCall, answer, raise_call
from kiosk.demo.transport import seed_departments
from kiosk.extensions import database, services
from kiosk.fhir.change import Seen
from kiosk.fhir.client import count_requests
from kiosk.fhir.gateway import FhirGateway
from kiosk.whiteboard.assign import AssignmentRequest, Refused
from kiosk.whiteboard.services import plan_save
from tests.support.beds import BedUnit, app_gateway, audit_rows, page_text, signed_in, vendor_statement
from tests.support.transport import TransportUnit
from tests.support.whiteboard import Ward, split_among

Factory = Callable[..., Ward]
TOKEN = "whiteboard-screen-0123456789abcdef"


def test_the_station_screen_is_set_up_once_and_shows_no_patient(ward: Factory) -> None:
    unit = ward(12, KIOSK_WHITEBOARD_DISPLAY_TOKEN=TOKEN)
    unit.assign(lambda s: split_among(s, unit.nurses, unit.aides, unit.nurses[2]))
    screen = unit.app.test_client()
    assert screen.get("/whiteboard/display").status_code == 404  # not set up yet
    assert screen.get("/whiteboard/display/not-the-token-at-all-0000").status_code == 404
    setup = screen.get(f"/whiteboard/display/{TOKEN}")
    assert setup.status_code == 302 and setup.headers["Location"].endswith("/whiteboard/display")
    assert TOKEN not in setup.headers["Set-Cookie"] and "HttpOnly" in setup.headers["Set-Cookie"]
    page = screen.get("/whiteboard/display")
    html = page.get_data(as_text=True)
    text = page_text(html)
    assert page.status_code == 200 and "data-signed-in" not in html  # no sign-in, so no idle lock
    assert "Charge nurse Daniel K." in text and "Grace L." in text and "Tomás O." in text
    board = BedUnit(ref=unit.ref, gw=unit.gw).board()
    for tile in board.tiles.values():
        for person in [tile.patient, *tile.reserved_for]:
            if person is not None:
                assert person.name.split(",")[0] not in text.upper() and (person.mrn or "-") not in text
    poll = screen.get("/whiteboard/display/board", headers={"HX-Request": "true"})
    assert poll.status_code == 200 and 'id="wb-region"' in poll.get_data(as_text=True)
    other = unit.app.test_client()
    assert other.get("/whiteboard/display/board").status_code == 404  # the cookie is the screen's only key


def row_of(html: str, bed_id: str) -> str:
    """One bed's row of the whiteboard, as drawn."""
    found = re.search(rf'<tr class="wb-bed[^"]*" data-bed-id="{re.escape(bed_id)}">(.*?)</tr>', html, re.S)
    assert found is not None, f"bed {bed_id} is not on the whiteboard"
    return found.group(1)


def test_call_lights_and_transports_show_on_the_station_screen(ward: Factory, gateway: FhirGateway) -> None:
    unit = ward(12, KIOSK_WHITEBOARD_DISPLAY_TOKEN=TOKEN)
    unit.assign(lambda s: split_among(s, unit.nurses, unit.aides, unit.nurses[0]))
    transports = TransportUnit(ref=unit.ref, gw=unit.gw, app=unit.app, departments=seed_departments(gateway))
    calling, emergency, going, away, quiet = transports.occupants()[:5]
    with unit.app.app_context():
        pain, _ = raise_call(database(), NewCall("kiosk", "wb-1", "station", calling.bed.reference,
                                                 calling.bed.name, Reason.PAIN, utcnow(), "Dana Reyes"))
        raise_call(database(), NewCall("nurse-call", "wb-2", "station", emergency.bed.reference, emergency.bed.name,
                                       Reason.EMERGENCY, utcnow()))
    transports.seed(going, state="requested", priority="routine", asked_ago=5)
    transports.seed(away, state="picked-up", asked_ago=30, accepted_after=5, picked_after=10,
                    owner=transports.owner())

    screen = unit.app.test_client()
    assert screen.get(f"/whiteboard/display/{TOKEN}").status_code == 302
    html = screen.get("/whiteboard/display").get_data(as_text=True)
    assert '<span class="mark mark-call">Call: Pain</span>' in row_of(html, calling.bed.reference.split("/")[1])
    urgent = '<span class="mark mark-call is-urgent">EMERGENCY CALL</span>'
    assert urgent in row_of(html, emergency.bed.reference.split("/")[1])
    assert '<span class="mark mark-transport">Transport</span>' in row_of(html, going.bed.reference.split("/")[1])
    assert '<span class="mark mark-off-unit">Off unit</span>' in row_of(html, away.bed.reference.split("/")[1])
    assert 'class="mark' not in row_of(html, quiet.bed.reference.split("/")[1])
    assert calling.name.split(",")[0] not in page_text(html).upper()  # marks carry no patient data

    # The call answered: its bell is gone at the screen's next refresh, the others stay.
    with unit.app.app_context():
        assert answer(database(), pain, "kiosk", "Dana Reyes", utcnow())
    poll = screen.get("/whiteboard/display/board", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'class="mark' not in row_of(poll, calling.bed.reference.split("/")[1])
    assert "EMERGENCY CALL" in row_of(poll, emergency.bed.reference.split("/")[1])
    assert "Transport" in row_of(poll, going.bed.reference.split("/")[1])


def test_patients_are_shown_on_the_screen_only_as_the_settings_say(ward: Factory) -> None:
    unit = ward(12, KIOSK_WHITEBOARD_PATIENT_NAMES="initials", KIOSK_WHITEBOARD_STAFF_NAMES="initials")
    unit.assign(lambda s: split_among(s, unit.nurses, unit.aides, unit.nurses[0]))
    text = page_text(signed_in(unit.app).get("/whiteboard/").get_data(as_text=True))
    occupied = BedUnit(ref=unit.ref, gw=unit.gw).beds(BedState.OCCUPIED)[0]
    assert f" {occupied.patient.initials} " in f" {text} "
    assert occupied.patient.name.split(",")[0] not in text.upper()
    assert "G.L." in text and "Grace L." not in text


def test_a_patients_care_team_is_a_section_of_the_bed_boards_panel(ward: Factory) -> None:
    unit = ward(12)
    unit.assign(lambda s: split_among(s, unit.nurses, unit.aides, unit.nurses[0]))
    occupied = BedUnit(ref=unit.ref, gw=unit.gw).beds(BedState.OCCUPIED)[0]
    client = signed_in(unit.app, Role.CHARGE_NURSE)
    panel = client.get(f"/beds/bed/{occupied.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    url = f"/whiteboard/care-team/{occupied.patient.encounter_id}"
    assert f'hx-get="{url}"' in panel and 'hx-trigger="load"' in panel
    section = client.get(url, headers={"HX-Request": "true"})
    text = page_text(section.get_data(as_text=True))
    assert section.status_code == 200 and section.headers["X-FHIR-Requests"] in ("2", "3")
    assert "Attending" in text and "Nurse" in text and "Aide" in text and "Shift assignments" in text
    chosen = split_among(unit.screen(), unit.nurses, unit.aides, unit.nurses[0])[0][occupied.id]
    nurse = next(n for n in unit.nurses if n.ref == chosen["nurse"])
    assert nurse.name in text
    assert client.get("/whiteboard/care-team/not%20an%20id").status_code == 404


def test_on_epic_the_assignments_are_unavailable_with_the_reason_and_nothing_is_sent(ward: Factory) -> None:
    """Epic allows CareTeam read and search only: the whiteboard still shows the census, says why care teams
    cannot be assigned, and a save is refused before anything is read or written. (Epic reads care teams
    by encounter; sekmet-fhir, answering here for Epic, refuses that search, and the screen says so instead
    of showing a wrong list: tests/unit/whiteboard/test_board.py shows Epic-shaped care teams read-only.)"""
    unit = ward(12)
    app_gateway(unit.app).capabilities_cache.set(vendor_statement("epic"))
    client = signed_in(unit.app, Role.CHARGE_NURSE)
    board = client.get("/whiteboard/")
    text = page_text(board.get_data(as_text=True))
    assert board.status_code == 200 and "Care teams could not be read" in text
    assert "Unknown search parameter 'encounter' for CareTeam" in text
    assert len(re.findall(r'class="wb-bed[ "]', board.get_data(as_text=True))) == 12
    screen = client.get("/whiteboard/assign").get_data(as_text=True)
    reason = "Assignments cannot be saved here: Epic May 2026 does not allow updates of CareTeam."
    assert reason in page_text(screen) and "data-save" not in screen
    # A save that would assign a nurse to a bed (were it allowed), posted anyway.
    bed = unit.screen().beds[0]
    form = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', screen).group(1),  # type: ignore[union-attr]
            "shift": unit.screen().shift.key, "which": "current", "beds": bed.id,
            f"enc-{bed.id}": bed.encounter_id, f"nurse-{bed.id}": unit.nurses[0].ref, "charge": unit.nurses[1].ref}
    refused = client.post("/whiteboard/assign", data=form)
    assert refused.status_code == 409
    # The save itself asks the server nothing: planned on Epic's statement, it is refused with no request.
    wanted = AssignmentRequest(shift_key=form["shift"], encounters={bed.id: bed.encounter_id},
                               chosen={bed.id: {"nurse": unit.nurses[0].ref, "aide": ""}},
                               charge=unit.nurses[1].ref, seen=Seen.parse(""), absent=frozenset())
    refusal = pytest.raises(Refused, match="Epic May 2026 does not allow updates of CareTeam")
    with unit.app.app_context(), count_requests() as counter, refusal:
        plan_save(services().gateway(), database(), unit.settings, "current", wanted)
    assert counter.total == 0
    # What the refused POST costs is the assignment screen drawn again (the same reads as opening it).
    assert refused.headers["X-FHIR-Requests"] == client.get("/whiteboard/assign").headers["X-FHIR-Requests"]
    assert unit.screen().beds[0].current == {}  # on the server (read without Epic's statement): no care team
    assert [r.detail for r in audit_rows(unit.app, "fhir-write")] == [
        "assign-shift: refused before sending, nothing written"]
    assert "Epic May 2026 does not allow updates of CareTeam. Nothing was saved." in page_text(
        refused.get_data(as_text=True))
    section = page_text(client.get(f"/whiteboard/care-team/{unit.screen().beds[0].encounter_id}").get_data(
        as_text=True))
    assert "Read-only: Epic May 2026 does not allow updates of CareTeam." in section


def test_on_oracle_health_the_whiteboard_says_what_the_server_does_not_offer(ward: Factory) -> None:
    unit = ward(12)
    app_gateway(unit.app).capabilities_cache.set(vendor_statement("oracle"))
    client = signed_in(unit.app, Role.CHARGE_NURSE)
    page = client.get("/whiteboard/")
    text = page_text(page.get_data(as_text=True))
    assert "The whiteboard is not available" in text
    assert "needs Location search by partof, which Oracle Health does not offer" in text
    assert page.headers["X-FHIR-Requests"] == "0"
    screen = client.get("/whiteboard/assign")
    assert "Location search by partof" in page_text(screen.get_data(as_text=True))
    poll = client.get("/whiteboard/board", headers={"HX-Request": "true"})
    assert poll.status_code == 503 and poll.headers["HX-Reswap"] == "none"
