"""The whiteboard on the shared census (kiosk.census): its station screen's poll asks the FHIR server for
no census while nothing changed on the unit (only the look at the server's changes, or nothing within
the trust window, and the shift's care teams), and a change made on the server, not through the kiosk,
shows at the next poll."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient

from kiosk.beds.occupancy import BedState
from tests.support.beds import BedUnit, page_text
from tests.support.clock import use_clock
from tests.support.whiteboard import (
    WHITEBOARD_CHANGED_REQUESTS,
    WHITEBOARD_UNCHANGED_REQUESTS,
    Ward,
    split_among,
)

Factory = Callable[..., Ward]
TOKEN = "whiteboard-screen-0123456789abcdef"


def station_screen(unit: Ward) -> FlaskClient:
    screen = unit.app.test_client()
    assert screen.get(f"/whiteboard/display/{TOKEN}").status_code == 302
    return screen


def poll(screen: FlaskClient, fingerprint: str | None = None):  # type: ignore[no-untyped-def]
    headers = {"HX-Request": "true", **({"X-Board-Fingerprint": fingerprint} if fingerprint else {})}
    return screen.get("/whiteboard/display/board", headers=headers)


def fingerprint_of(html: str) -> str:
    found = re.search(r'"X-Board-Fingerprint": "([0-9a-f]+)"', html)
    assert found is not None
    return found.group(1)


def block_on_server(unit: Ward, reason: str) -> str:
    """A free bed blocked on the FHIR server by someone else (not through this kiosk): its name."""
    beds = BedUnit(ref=unit.ref, gw=unit.gw)
    bed = beds.beds(BedState.AVAILABLE, free=True)[0]
    beds.act("block", bed_id=bed.id, reason=reason)
    return bed.name


def bed_word(html: str, bed_label: str) -> str:
    """What the whiteboard says of an empty bed ('empty', 'blocked' ...), from its row's text."""
    text = page_text(html)
    found = re.search(rf"\b{re.escape(bed_label)}\b\s+(empty|dirty|cleaning|blocked|isolated)", text)
    assert found is not None, f"no row for bed {bed_label}"
    return found.group(1)


def test_an_unchanged_poll_reads_no_census_and_a_change_on_the_server_shows_at_the_next(ward: Factory) -> None:
    unit = ward(12, KIOSK_WHITEBOARD_DISPLAY_TOKEN=TOKEN)
    unit.assign(lambda s: split_among(s, unit.nurses, unit.aides, unit.nurses[0]))
    screen = station_screen(unit)
    assert screen.get("/whiteboard/display").status_code == 200  # reads the census into the shared store
    first = poll(screen)
    assert first.status_code == 200 and first.headers["X-FHIR-Requests"] == WHITEBOARD_UNCHANGED_REQUESTS
    fingerprint = fingerprint_of(first.get_data(as_text=True))
    same = poll(screen, fingerprint)
    assert same.status_code == 204 and same.headers["X-FHIR-Requests"] == WHITEBOARD_UNCHANGED_REQUESTS

    name = block_on_server(unit, "Bed rail broken")
    changed = poll(screen, fingerprint)
    # The look found the change: the census is read again, once, for every screen.
    assert changed.status_code == 200 and changed.headers["X-FHIR-Requests"] == WHITEBOARD_CHANGED_REQUESTS
    assert bed_word(changed.get_data(as_text=True), name.split("-", 1)[-1]) == "blocked"
    again = poll(screen, fingerprint_of(changed.get_data(as_text=True)))
    assert again.status_code == 204 and again.headers["X-FHIR-Requests"] == WHITEBOARD_UNCHANGED_REQUESTS


def test_a_second_screen_reads_the_census_the_first_one_read(ward: Factory) -> None:
    unit = ward(12, KIOSK_WHITEBOARD_DISPLAY_TOKEN=TOKEN)
    one, other = station_screen(unit), station_screen(unit)
    one.get("/whiteboard/display")
    block_on_server(unit, "Bed motor broken")
    assert poll(one).headers["X-FHIR-Requests"] == WHITEBOARD_CHANGED_REQUESTS
    assert poll(other).headers["X-FHIR-Requests"] == WHITEBOARD_UNCHANGED_REQUESTS


def test_within_the_trust_window_the_poll_reads_the_care_teams_only(ward: Factory) -> None:
    """With a change check this recent (the scheduler's job), a poll asks the server for the care teams
    only; once the window has passed (no scheduler), it looks for changes itself and finds the block."""
    unit = ward(12, KIOSK_WHITEBOARD_DISPLAY_TOKEN=TOKEN, KIOSK_CENSUS_TRUST_SECONDS="30")
    clock = use_clock(unit.app)
    screen = station_screen(unit)
    screen.get("/whiteboard/display")
    quiet = poll(screen)
    assert quiet.headers["X-FHIR-Requests"] == "1"  # the care teams
    name = block_on_server(unit, "Bed light broken")
    label = name.split("-", 1)[-1]
    clock.advance(29)
    assert bed_word(poll(screen).get_data(as_text=True), label) == "empty"
    clock.advance(1)
    later = poll(screen)
    assert later.headers["X-FHIR-Requests"] == WHITEBOARD_CHANGED_REQUESTS
    assert bed_word(later.get_data(as_text=True), label) == "blocked"
