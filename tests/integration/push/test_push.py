"""Push on a real sekmet-fhir server and kiosks served over HTTP: the kiosk's rest-hook Subscriptions,
notifications that make the kiosk read a changed census once, and screens on any instance that hear of it
on their event stream without polling (issue 17)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, select, text

from kiosk.auth.models import StaffSession
from kiosk.beds.occupancy import BedState
from kiosk.census import census_store
from kiosk.extensions import database, services
from kiosk.push import push_hub
from kiosk.push.services import CensusNotifications, notification_token
from tests.support.beds import BedUnit, page_text, signed_in
from tests.support.browser import LiveServer
from tests.support.push import EventStream, session_cookie

from .conftest import PushSite, push_context

DEFAULT_CRITERIA = ("Location?", "Encounter?", "Patient?", "Flag?", "Task?")


def kiosk_subscriptions(site: PushSite, notify_url: str) -> list[dict]:
    found = httpx.get(f"{site.sekmet.base_url}/Subscription", params={"url": notify_url}).json()
    return [e["resource"] for e in found.get("entry", [])]


def events_url(server: LiveServer, board_page: str) -> str:
    """The page's stream, from the census version the page was drawn from (a change since is sent at once)."""
    found = re.search(r'sse-connect="([^"]+)"', board_page)
    assert found is not None, "the board page has no event stream"
    url = html.unescape(found.group(1))
    assert re.fullmatch(r"/[a-z/]+/events\?unit=[A-Za-z0-9.-]+&version=\d+", url), url
    return server.url + url


def block_on_server(unit: BedUnit, reason: str) -> None:
    """A change made on the FHIR server by someone else (not through a kiosk)."""
    bed = unit.beds(BedState.AVAILABLE, free=True)[0]
    unit.act("block", bed_id=bed.id, reason=reason)


def block_through_kiosk(unit: BedUnit, app: Flask, reason: str) -> None:
    """A change made through a kiosk (`app`): it reads the unit's census again at once."""
    writer = signed_in(app)
    page = writer.get("/beds/").get_data(as_text=True)
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page)
    assert token is not None
    bed = unit.beds(BedState.AVAILABLE, free=True)[0]
    panel = writer.get(f"/beds/bed/{bed.id}?open=block", headers={"HX-Request": "true"}).get_data(as_text=True)
    seen = re.search(r'name="seen" value="([^"]*)"', panel)
    assert seen is not None
    done = writer.post("/beds/act/block", headers={"HX-Request": "true", "X-CSRFToken": token.group(1)},
                       data={"panel": f"bed:{bed.id}", "bed": bed.id, "reason": reason, "seen": seen.group(1)})
    assert done.status_code == 200


#: The timed look at the census versions once a minute (the longest allowed): an event within TOLD seconds of
#: the change was told, not found by that look.
NEVER_MS = "60000"
TOLD = 30.0


def test_the_job_subscribes_once_and_asks_again_for_what_the_server_turned_off(
        push_site: PushSite, push_unit: Callable[..., BedUnit], serve: Callable[[Flask], LiveServer],
        subscribe: Callable[[Flask, str], str]) -> None:
    unit = push_unit()
    server = serve(unit.app)
    notify_url = server.url + "/push/fhir"
    assert subscribe(unit.app, notify_url).startswith("5 subscriptions working, 5 requested")
    held = kiosk_subscriptions(push_site, notify_url)
    assert sorted(s["criteria"] for s in held) == sorted(DEFAULT_CRITERIA)
    with unit.app.app_context():
        token = notification_token(unit.app.secret_key)
    for sub in held:
        assert sub["status"] == "active"
        assert sub["channel"] == {"type": "rest-hook", "endpoint": notify_url,
                                  "header": [f"Authorization: Bearer {token}"]}
        assert "payload" not in sub["channel"]  # a signal only: no patient data travels with it
    versions = {s["id"]: s["meta"]["versionId"] for s in held}

    assert subscribe(unit.app, notify_url) == "5 subscriptions working"
    assert {s["id"]: s["meta"]["versionId"] for s in kiosk_subscriptions(push_site, notify_url)} == versions

    # The server turns a subscription to "error" when it cannot deliver (the kiosk down): asked again.
    turned = next(s for s in held if s["criteria"] == "Encounter?")
    httpx.put(f"{push_site.sekmet.base_url}/Subscription/{turned['id']}",
              json={**turned, "status": "error", "error": "Delivery failed"}).raise_for_status()
    assert subscribe(unit.app, notify_url) == "5 subscriptions working, 1 requested (Encounter?)"
    again = next(s for s in kiosk_subscriptions(push_site, notify_url) if s["id"] == turned["id"])
    assert again["status"] == "active" and "error" not in again

    # Criteria taken out of the settings: their subscriptions are turned off, not left posting.
    from kiosk.push.jobs import keep_push_subscriptions

    summary = keep_push_subscriptions(push_context(unit.app, notify_url, criteria="Encounter?,Location?"))
    assert summary == "2 subscriptions working, 3 turned off"
    statuses = {s["criteria"]: s["status"] for s in kiosk_subscriptions(push_site, notify_url)}
    assert statuses == {"Encounter?": "active", "Location?": "active", "Patient?": "off", "Flag?": "off",
                        "Task?": "off"}


def test_without_a_notify_address_the_job_subscribes_nothing(push_unit: Callable[..., BedUnit],
                                                             subscribe: Callable[[Flask, str], str]) -> None:
    unit = push_unit()
    assert subscribe(unit.app, "") == ("No subscriptions: push.notify_url is empty; the census-check job looks "
                                       "on its schedule")


def test_a_notification_without_the_kiosks_token_is_refused_and_looks_at_nothing(
        push_unit: Callable[..., BedUnit], serve: Callable[[Flask], LiveServer]) -> None:
    unit = push_unit()
    server = serve(unit.app)
    for headers in ({}, {"Authorization": "Bearer " + notification_token("another kiosk's key")}):
        refused = httpx.post(server.url + "/push/fhir", headers=headers)
        assert refused.status_code == 401
        assert refused.json()["issue"][0]["code"] == "login"
    with unit.app.app_context():
        assert push_hub().check.runs == 0


def test_a_change_on_the_server_reaches_a_screen_on_another_instance_without_a_poll(
        push_site: PushSite, push_unit: Callable[..., BedUnit], make_app: Callable[..., Flask],
        serve: Callable[[Flask], LiveServer], subscribe: Callable[[Flask, str], str],
        shared_database: dict[str, str]) -> None:
    """Instance A takes the server's notifications; the screen is connected to instance B. Neither the
    screen nor B asks the server anything: B's screens never look themselves within the trust window."""
    env = {"KIOSK_CENSUS_TRUST_SECONDS": "3600", **shared_database}
    unit = push_unit(**env)
    receiving = serve(unit.app)
    other_app = make_app(KIOSK_FHIR_BASE_URL=push_site.sekmet.base_url, KIOSK_PUSH_WATCH_MS="50",
                         KIOSK_UNIT_LOCATION=f"{unit.ref.system}|{unit.ref.value}", **env)
    other = serve(other_app)
    assert subscribe(unit.app, receiving.url + "/push/fhir").startswith("5 subscriptions working")

    screen = signed_in(other_app)
    board = screen.get("/beds/")
    stream = EventStream(events_url(other, board.get_data(as_text=True)), session_cookie(other_app, screen))
    try:
        assert stream.response.status_code == 200
        with other_app.app_context():
            unit_id = unit.board().unit_id
            shown = census_store().version(unit_id)
        block_on_server(unit, "Pushed from the server")
        event = stream.next_event()
        assert event.name == "census"
        moved_unit, version = event.data.split()
        assert moved_unit == unit_id and int(version) > (shown or 0)
        with unit.app.app_context():
            assert push_hub().check.wait_idle(30) and push_hub().check.runs >= 1
        poll = screen.get("/beds/board", headers={"HX-Request": "true"})
        assert "Pushed from the server" in page_text(poll.get_data(as_text=True))
        # The census was read once, by the instance that was notified: this poll read only the transport
        # marks, which each process keeps per census version.
        assert poll.headers["X-FHIR-Requests"] == "1"
    finally:
        stream.close()


@dataclass
class InstanceB:
    """Instance A (`unit.app`) and B (`other_app`) of one unit on one database, a screen signed in on B and
    its event stream open."""

    unit: BedUnit
    other_app: Flask
    screen: FlaskClient
    stream: EventStream

    def notifications(self) -> CensusNotifications:
        """B's notifications (PostgreSQL), once B listens and has looked after LISTEN."""
        with self.other_app.app_context():
            notifications = push_hub().watcher.notifications
        assert notifications is not None and notifications.wait_for_connection(beyond=0, timeout=30)
        return notifications


@contextmanager
def screen_on_instance_b(push_site: PushSite, push_unit: Callable[..., BedUnit], make_app: Callable[..., Flask],
                         serve: Callable[[Flask], LiveServer], database_url: str, watch_ms: str
                         ) -> Iterator[InstanceB]:
    env = {"KIOSK_CENSUS_TRUST_SECONDS": "3600", "KIOSK_DATABASE_URL": database_url}
    unit = push_unit(**env)
    other_app = make_app(KIOSK_FHIR_BASE_URL=push_site.sekmet.base_url, KIOSK_PUSH_WATCH_MS=watch_ms,
                         KIOSK_UNIT_LOCATION=f"{unit.ref.system}|{unit.ref.value}", **env)
    other = serve(other_app)
    screen = signed_in(other_app)
    stream = EventStream(events_url(other, screen.get("/beds/").get_data(as_text=True)),
                         session_cookie(other_app, screen))
    try:
        yield InstanceB(unit, other_app, screen, stream)
    finally:
        stream.close()


def test_a_write_through_one_instance_reaches_a_screen_on_the_other(
        push_site: PushSite, push_unit: Callable[..., BedUnit], make_app: Callable[..., Flask],
        serve: Callable[[Flask], LiveServer], shared_database: dict[str, str]) -> None:
    """No subscriptions at all: the writing instance reads the census again, and the screen connected to the
    other instance hears of it through the shared database."""
    with screen_on_instance_b(push_site, push_unit, make_app, serve, shared_database["KIOSK_DATABASE_URL"],
                              "50") as b:
        block_through_kiosk(b.unit, b.unit.app, "Written on instance A")
        assert b.stream.next_event().name == "census"
        poll = b.screen.get("/beds/board", headers={"HX-Request": "true"})
        assert "Written on instance A" in page_text(poll.get_data(as_text=True))


def test_a_census_read_by_the_screens_own_process_reaches_it_without_the_timed_look(
        push_unit: Callable[..., BedUnit], serve: Callable[[Flask], LiveServer]) -> None:
    """SQLite, one instance: the request that read the census wakes the process's screens itself."""
    unit = push_unit(KIOSK_PUSH_WATCH_MS=NEVER_MS)
    server = serve(unit.app)
    screen = signed_in(unit.app)
    stream = EventStream(events_url(server, screen.get("/beds/").get_data(as_text=True)),
                         session_cookie(unit.app, screen))
    try:
        block_through_kiosk(unit, unit.app, "Read in this process")
        assert stream.next_event(within=TOLD).name == "census"
        poll = screen.get("/beds/board", headers={"HX-Request": "true"})
        assert "Read in this process" in page_text(poll.get_data(as_text=True))
    finally:
        stream.close()


def test_on_postgresql_a_census_read_by_one_instance_is_notified_to_the_other_at_once(
        push_site: PushSite, push_unit: Callable[..., BedUnit], make_app: Callable[..., Flask],
        serve: Callable[[Flask], LiveServer], postgres_url: str) -> None:
    """B's timed look comes once a minute: what reaches its screen within TOLD seconds was notified."""
    with screen_on_instance_b(push_site, push_unit, make_app, serve, postgres_url, NEVER_MS) as b:
        b.notifications()
        block_through_kiosk(b.unit, b.unit.app, "Notified by PostgreSQL")
        assert b.stream.next_event(within=TOLD).name == "census"
        poll = b.screen.get("/beds/board", headers={"HX-Request": "true"})
        assert "Notified by PostgreSQL" in page_text(poll.get_data(as_text=True))
        health = b.other_app.test_client().get("/healthz").get_json()["push"]
        assert health["screens_told_by"].startswith("PostgreSQL notifications (LISTEN)")


def test_on_postgresql_a_dropped_listening_connection_is_opened_again_and_still_hears(
        push_site: PushSite, push_unit: Callable[..., BedUnit], make_app: Callable[..., Flask],
        serve: Callable[[Flask], LiveServer], postgres_url: str) -> None:
    with screen_on_instance_b(push_site, push_unit, make_app, serve, postgres_url, NEVER_MS) as b:
        notifications = b.notifications()
        with create_engine(postgres_url).connect() as admin:
            dropped = admin.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = :name AND datname = current_database()"),
                {"name": notifications.APPLICATION}).scalars().all()
        assert dropped == [True]
        assert notifications.wait_for_connection(beyond=1, timeout=30)
        block_through_kiosk(b.unit, b.unit.app, "Heard after the drop")
        assert b.stream.next_event(within=TOLD).name == "census"


def test_a_screen_beyond_the_kiosks_streams_is_told_to_check_on_its_interval(
        push_unit: Callable[..., BedUnit], serve: Callable[[Flask], LiveServer]) -> None:
    unit = push_unit(KIOSK_WEB_EVENT_STREAMS="1")
    server = serve(unit.app)
    screen = signed_in(unit.app)
    url = events_url(server, screen.get("/beds/").get_data(as_text=True))
    cookies = session_cookie(unit.app, screen)
    first = EventStream(url, cookies)
    try:
        assert first.response.status_code == 200
        second = httpx.get(url, cookies=cookies)
        assert second.status_code == 503 and second.headers["Retry-After"]
    finally:
        first.close()


def test_the_health_page_says_how_the_kiosk_hears_of_changes(push_unit: Callable[..., BedUnit]) -> None:
    quiet = push_unit().app.test_client().get("/healthz").get_json()["push"]
    assert quiet == {"subscriptions": "none (push.notify_url is empty): the census-check job looks on its "
                                      "schedule",
                     "screens_told_by": "the kiosk's database looked at every 50 ms while screens are live",
                     "live_screens": 0}
    pushed = push_unit(KIOSK_PUSH_NOTIFY_URL="http://127.0.0.1:9/push/fhir").app.test_client().get("/healthz")
    assert pushed.get_json()["push"]["subscriptions"] == "not yet checked by the scheduler"


def test_a_screens_stream_is_not_where_the_person_comes_back_to_after_the_lock(
        push_unit: Callable[..., BedUnit]) -> None:
    """The stream is opened by the browser, not by the person: it keeps no session unlocked and is never
    the page an unlock returns to."""
    unit = push_unit()
    screen = signed_in(unit.app)
    page = screen.get("/beds/").get_data(as_text=True)
    found = re.search(r'sse-connect="([^"]+)"', page)
    assert found is not None
    stream = screen.get(html.unescape(found.group(1)), buffered=False)
    assert stream.status_code == 200 and stream.mimetype == "text/event-stream"
    stream.close()
    with unit.app.app_context(), database().session() as db:
        sessions = db.scalars(select(StaffSession)).all()
        assert [s.return_to for s in sessions] == ["/beds/"]


def test_a_change_between_the_page_and_its_stream_is_sent_at_once(push_unit: Callable[..., BedUnit]) -> None:
    unit = push_unit()
    screen = signed_in(unit.app)
    page = screen.get("/beds/").get_data(as_text=True)
    found = re.search(r'sse-connect="([^"]+)"', page)
    assert found is not None
    block_on_server(unit, "Between the page and the stream")
    with unit.app.app_context():
        census_store().check(services().gateway(), refresh=True)  # what the scheduler's look does
    stream = screen.get(html.unescape(found.group(1)), buffered=False)
    try:
        chunks = (bytes(chunk).decode() for chunk in stream.response)
        assert next(chunks).startswith("retry: ")
        assert next(chunks).startswith("event: census\ndata: ")
    finally:
        stream.close()
