"""The shared census (kiosk.census) on a real sekmet-fhir server: one census per unit for every screen and
instance, read again only after a change on the server or a write of the kiosk's own, and polls that
find nothing changed costing no census."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from kiosk.beds.occupancy import BedState
from kiosk.census import census_store
from kiosk.census.jobs import check_census
from kiosk.extensions import services
from tests.support.auth import same_browser
from tests.support.beds import BOARD_REQUESTS, UNCHANGED_REQUESTS, BedUnit, page_text, signed_in
from tests.support.clock import use_clock
from tests.support.labels import job_context

Factory = Callable[..., BedUnit]


def htmx(client: FlaskClient) -> dict[str, str]:
    return {"HX-Request": "true"}


def fingerprint_of(html: str) -> str:
    found = re.search(r'"X-Board-Fingerprint": "([0-9a-f]+)"', html)
    assert found is not None
    return found.group(1)


def block_on_server(unit: BedUnit, reason: str) -> None:
    """A change made on the FHIR server by someone else (not through this kiosk)."""
    bed = unit.beds(BedState.AVAILABLE, free=True)[0]
    unit.act("block", bed_id=bed.id, reason=reason)


def test_a_change_on_the_server_is_read_once_and_unchanged_polls_cost_the_look_only(bed_unit: Factory) -> None:
    unit = bed_unit()
    client = signed_in(unit.app)
    client.get("/beds/")  # reads the statement, resolves the unit, reads the census
    first = client.get("/beds/board", headers=htmx(client))
    assert first.headers["X-FHIR-Requests"] == UNCHANGED_REQUESTS
    fingerprint = fingerprint_of(first.get_data(as_text=True))
    same = client.get("/beds/board", headers={**htmx(client), "X-Board-Fingerprint": fingerprint})
    assert same.status_code == 204 and same.headers["X-FHIR-Requests"] == UNCHANGED_REQUESTS

    block_on_server(unit, "Bed rail broken")
    changed = client.get("/beds/board", headers={**htmx(client), "X-Board-Fingerprint": fingerprint})
    # The look found the change, so the census (and the transport marks) are read again: once.
    assert changed.status_code == 200 and changed.headers["X-FHIR-Requests"] == BOARD_REQUESTS
    assert "Bed rail broken" in page_text(changed.get_data(as_text=True))
    again = client.get("/beds/board", headers={**htmx(client),
                                               "X-Board-Fingerprint": fingerprint_of(changed.get_data(as_text=True))})
    assert again.status_code == 204 and again.headers["X-FHIR-Requests"] == UNCHANGED_REQUESTS


def test_changes_on_another_unit_do_not_read_this_census_again(bed_unit: Factory) -> None:
    unit, other = bed_unit(), bed_unit(with_app=False)
    client = signed_in(unit.app)
    client.get("/beds/")
    block_on_server(other, "Another unit's bed")
    poll = client.get("/beds/board", headers=htmx(client))
    assert poll.headers["X-FHIR-Requests"] == UNCHANGED_REQUESTS


def test_within_the_trust_window_a_screen_asks_the_server_nothing(bed_unit: Factory) -> None:
    """With a change check this recent (the scheduler's job), a screen reads the kept census only; after
    the window (no scheduler), the next screen looks for changes itself."""
    unit = bed_unit(KIOSK_CENSUS_TRUST_SECONDS="30")
    clock = use_clock(unit.app)
    client = signed_in(unit.app)
    client.get("/beds/")
    page = client.get("/beds/")
    assert page.headers["X-FHIR-Requests"] == "0"
    block_on_server(unit, "Bed motor broken")
    clock.advance(29)
    assert "Bed motor broken" not in page_text(client.get("/beds/").get_data(as_text=True))
    clock.advance(1)
    later = client.get("/beds/")
    assert later.headers["X-FHIR-Requests"] == BOARD_REQUESTS  # the look, then the census it found changed
    assert "Bed motor broken" in page_text(later.get_data(as_text=True))


def second_instance(make_app: Callable[..., Flask], first: Flask, **env: str) -> Flask:
    """Another kiosk instance (its own processes and memory) on the same database as `first`."""
    with first.app_context():
        settings = services().settings
    return make_app(KIOSK_DATABASE_URL=settings.database_url, KIOSK_UNIT_LOCATION=settings.unit.location, **env)


def test_two_instances_share_one_census(bed_unit: Factory, make_app: Callable[..., Flask],
                                        shared_database: dict[str, str]) -> None:
    unit = bed_unit(**shared_database)
    one = signed_in(unit.app)
    one.get("/beds/")
    other_app = second_instance(make_app, unit.app)
    other = signed_in(other_app)
    other.get("/")  # reads the statement and resolves the unit (the home counts read the kept census)
    with other_app.app_context():
        version = census_store().version(unit.board().unit_id)
    page = other.get("/beds/")
    # The census the first instance read is used as it is: the look, and the transport marks' search (what
    # a mark source read is kept in each process's memory).
    assert page.headers["X-FHIR-Requests"] == "2"
    with other_app.app_context():
        assert census_store().version(unit.board().unit_id) == version


def test_a_write_through_one_instance_is_seen_by_a_poll_on_the_other(
        bed_unit: Factory, make_app: Callable[..., Flask], shared_database: dict[str, str]) -> None:
    """The writing instance marks the census to be read again (no look needed): the other instance, even
    within its trust window, shows the change at its next poll."""
    unit = bed_unit(KIOSK_CENSUS_TRUST_SECONDS="30", **shared_database)
    other_app = second_instance(make_app, unit.app, KIOSK_CENSUS_TRUST_SECONDS="30")
    watcher = signed_in(other_app)
    watcher.get("/beds/")
    first = watcher.get("/beds/board", headers=htmx(watcher))
    fingerprint = fingerprint_of(first.get_data(as_text=True))

    writer = signed_in(unit.app)
    form = writer.get("/beds/").get_data(as_text=True)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', form)
    assert token is not None
    bed = unit.beds(BedState.AVAILABLE, free=True)[0]
    panel = writer.get(f"/beds/bed/{bed.id}?open=block", headers=htmx(writer)).get_data(as_text=True)
    seen = re.search(r'name="seen" value="([^"]*)"', panel)
    assert seen is not None
    done = writer.post("/beds/act/block", headers={**htmx(writer), "X-CSRFToken": token.group(1)}, data={
        "panel": f"bed:{bed.id}", "bed": bed.id, "reason": "Written on one instance", "seen": seen.group(1)})
    assert done.status_code == 200, page_text(done.get_data(as_text=True))

    poll = watcher.get("/beds/board", headers={**htmx(watcher), "X-Board-Fingerprint": fingerprint})
    assert poll.status_code == 200 and "Written on one instance" in page_text(poll.get_data(as_text=True))


def test_a_session_signed_in_on_one_instance_works_on_the_other(
        bed_unit: Factory, make_app: Callable[..., Flask], shared_database: dict[str, str]) -> None:
    """Behind a load balancer a browser's requests reach either instance: its session (and the CSRF token
    of a page one instance drew) hold on both."""
    unit = bed_unit(**shared_database)
    other_app = second_instance(make_app, unit.app)
    one = signed_in(unit.app)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', one.get("/beds/").get_data(as_text=True))
    assert token is not None
    other = same_browser(other_app, one)
    page = other.get("/beds/")
    assert page.status_code == 200 and 'class="bed ' in page.get_data(as_text=True)
    bed = unit.beds(BedState.AVAILABLE, free=True)[0]
    panel = other.get(f"/beds/bed/{bed.id}?open=block", headers=htmx(other)).get_data(as_text=True)
    seen = re.search(r'name="seen" value="([^"]*)"', panel)
    assert seen is not None
    done = other.post("/beds/act/block", headers={**htmx(other), "X-CSRFToken": token.group(1)}, data={
        "panel": f"bed:{bed.id}", "bed": bed.id, "reason": "Across instances", "seen": seen.group(1)})
    assert done.status_code == 200 and "Across instances" in page_text(done.get_data(as_text=True))
    signed_out = other_app.test_client()
    assert signed_out.get("/beds/").status_code == 302  # without the cookie: the sign-in page


def test_the_census_check_job_reads_changed_units_so_polls_ask_the_server_for_the_census_nothing(
        bed_unit: Factory) -> None:
    unit = bed_unit(KIOSK_CENSUS_TRUST_SECONDS="30")
    clock = use_clock(unit.app)
    client = signed_in(unit.app)
    client.get("/beds/")
    ctx = job_context(unit.app)
    assert check_census(ctx).endswith("0 units to read again")  # the job's first look: nothing to read
    block_on_server(unit, "Found by the job")
    assert check_census(ctx).endswith(", 1 units to read again")
    clock.advance(20)
    page = client.get("/beds/")
    # The census the job read is used as it is; the transport marks' search is made again for the new
    # census version (what a mark source read is kept in each process's memory).
    assert page.headers["X-FHIR-Requests"] == "1"
    assert "Found by the job" in page_text(page.get_data(as_text=True))
    assert check_census(ctx) == "0 changes, 0 units to read again"


def test_housekeeping_timers_carry_their_start_so_the_browser_moves_them(bed_unit: Factory) -> None:
    """Time passing is not a change: a dirty bed's tile says since when (kiosk/static/js/timers.js moves
    the minutes and the colour), and the page loads that script."""
    unit = bed_unit()
    client = signed_in(unit.app)
    html = client.get("/beds/").get_data(as_text=True)
    dirty = [t for t in unit.board().tiles.values() if t.timer is not None]
    assert dirty
    for tile in dirty:
        assert (f'data-since="{tile.timer.since.isoformat()}" data-amber="45" data-red="90" '
                f'data-level-on=".bed"') in html
    assert "js/timers.js" in html
