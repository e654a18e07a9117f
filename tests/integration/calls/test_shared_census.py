"""The call-light screens on the shared census (kiosk.census): the page's bed grid and the polled list of
calls ask the FHIR server for no census while nothing changed on the unit, and a change made on the server,
not through the kiosk, shows on the next page."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient

from kiosk.auth import Role
from kiosk.beds.occupancy import BedState
from kiosk.calls.models import Reason, utcnow
from kiosk.calls.services import NewCall, raise_call
from kiosk.extensions import database
from tests.support.beds import UNCHANGED_REQUESTS, BedUnit, page_text, signed_in
from tests.support.whiteboard import CENSUS_READ_AGAIN_REQUESTS, Ward, split_among

Factory = Callable[..., Ward]


def shown_empty(html: str, bed_id: str) -> bool:
    """Is the bed on the two-tap grid as empty (no patient in it)?"""
    found = re.search(rf'<label class="bed-choice( is-empty)?"><input type="radio" name="bed" value="{bed_id}"', html)
    assert found is not None, f"bed {bed_id} is not on the grid"
    return found.group(1) is not None


def test_the_call_lights_read_no_census_while_nothing_changed(ward: Factory) -> None:
    unit = ward(12)
    unit.assign(lambda s: split_among(s, unit.nurses, unit.aides, unit.nurses[0]))
    beds = BedUnit(ref=unit.ref, gw=unit.gw)
    calling, leaving = beds.beds(BedState.OCCUPIED)[:2]
    with unit.app.app_context():
        # Who looks after each bed is kept a minute per process: time stands still for this test.
        unit.app.extensions["whiteboard.assignments"].clock = lambda: 0.0
        raise_call(database(), NewCall("kiosk", "shared-census-1", "station", calling.ref, calling.name, Reason.PAIN,
                                       utcnow(), "Dana Reyes"))
    client: FlaskClient = signed_in(unit.app, Role.UNIT_SECRETARY)
    first = client.get("/calls/")  # the census into the shared store; the shift's assignments
    assert first.status_code == 200 and not shown_empty(first.get_data(as_text=True), leaving.id)
    page = client.get("/calls/")
    assert page.headers["X-FHIR-Requests"] == UNCHANGED_REQUESTS  # the look only
    poll = client.get("/calls/open", headers={"HX-Request": "true"})
    assert poll.status_code == 200 and poll.headers["X-FHIR-Requests"] == "0"
    text = page_text(poll.get_data(as_text=True))
    # The bed's nurse this shift (the shared census says who is in the bed, the care teams who looks after them).
    assert calling.name in text and any(f"Page {n.name}" in text for n in unit.nurses)

    beds.act("discharge", encounter_id=leaving.patient.encounter_id, bed_id=leaving.id, disposition="home")
    changed = client.get("/calls/")
    assert changed.headers["X-FHIR-Requests"] == CENSUS_READ_AGAIN_REQUESTS  # the look, then the census
    assert shown_empty(changed.get_data(as_text=True), leaving.id)
    assert client.get("/calls/").headers["X-FHIR-Requests"] == UNCHANGED_REQUESTS
