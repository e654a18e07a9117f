"""The push parts on plain data: the watcher wakes only the screens whose unit moved, notifications during
a check make one more check (not one each), a screen's stream says what moved and frees its place."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from kiosk.push.services import (
    CensusNotifications,
    CensusWatcher,
    ChangeCheck,
    PushHub,
    authorization_header,
    census_events,
    notification_allowed,
    notification_token,
)


class Versions:
    """The shared census's versions, as a test sets them; counts the looks at them."""

    def __init__(self, **versions: int):
        self.now = dict(versions)
        self.looks = 0
        self._looked = threading.Condition()

    def __call__(self) -> dict[str, int]:
        with self._looked:
            self.looks += 1
            self._looked.notify_all()
        return dict(self.now)

    def wait_for_looks(self, count: int) -> bool:
        with self._looked:
            return self._looked.wait_for(lambda: self.looks >= count, 10)


def watcher(versions: Versions) -> CensusWatcher:
    # A long interval: the tests look themselves (watcher.look), the thread's own looks find nothing new.
    return CensusWatcher(versions, interval=3600)


def test_a_listener_hears_of_its_own_unit_only() -> None:
    versions = Versions(east=3, west=7)
    w = watcher(versions)
    east = w.listen("east", seen=3)
    everyone = w.listen(None, seen=None)
    versions.now["west"] = 8
    w.look()
    assert east.wait(0) == {}
    assert everyone.wait(0) == {"west": 8}
    versions.now["east"] = 4
    w.look()
    assert east.wait(0) == {"east": 4}
    assert everyone.wait(0) == {"east": 4}
    w.forget(east)
    w.forget(everyone)
    assert w.listening() == 0


class HandTold(CensusNotifications):
    """PostgreSQL's notifications as a test sends them (`tell`), no database."""

    def __init__(self) -> None:
        super().__init__("postgresql+psycopg://kiosk@db.example/kiosk", "kiosk_census")
        self.running = threading.Event()
        self.ended = threading.Event()
        self.tell: Callable[[], None] = lambda: None

    def run(self, heard: Callable[[], None], done: Callable[[], bool]) -> None:
        self.tell = heard
        self.ended.clear()
        self.running.set()
        while not done():
            time.sleep(0.01)
        self.running.clear()
        self.ended.set()


def test_a_notification_wakes_the_screens_without_the_timed_look_and_listening_ends_with_the_last_screen(
        ) -> None:
    versions = Versions(east=1)
    told = HandTold()
    w = CensusWatcher(versions, interval=3600, notifications=told)
    listener = w.listen("east", seen=1)
    assert told.running.wait(10)
    assert versions.wait_for_looks(2)  # the listen's, and the timed thread's first (the next in an hour)
    versions.now["east"] = 2
    assert listener.wait(0) == {}
    told.tell()
    assert listener.wait(10) == {"east": 2}
    assert versions.looks == 3
    w.forget(listener)
    assert told.ended.wait(10)
    again = w.listen("east", seen=2)  # a screen later: listening starts again
    assert told.running.wait(10)
    w.forget(again)
    assert told.ended.wait(10)


def test_the_listening_connection_is_made_from_the_kiosks_database_url() -> None:
    told = CensusNotifications("postgresql+psycopg://kiosk:p%40ss@db.example:5433/kiosk?sslmode=require", "c")
    assert told.conninfo == "postgresql://kiosk:p%40ss@db.example:5433/kiosk?sslmode=require"


def test_a_change_since_the_version_the_screen_shows_is_sent_at_once() -> None:
    w = watcher(Versions(east=5))
    listener = w.listen("east", seen=4)  # the page was drawn from version 4
    assert listener.wait(0) == {"east": 5}
    w.forget(listener)


def test_notifications_during_a_check_make_one_more_check_not_one_each() -> None:
    started = threading.Event()
    release = threading.Event()
    calls: list[int] = []

    def check() -> None:
        calls.append(1)
        started.set()
        release.wait(30)

    change = ChangeCheck(check)
    change.signal()
    assert started.wait(30)
    for _ in range(5):
        change.signal()  # while the first check runs
    release.set()
    assert change.wait_idle(30)
    assert len(calls) == 2 and change.runs == 2


def test_a_failing_check_is_logged_and_the_next_signal_checks_again() -> None:
    calls: list[int] = []

    def check() -> None:
        calls.append(1)
        raise RuntimeError("server down")

    change = ChangeCheck(check)
    change.signal()
    assert change.wait_idle(30)
    change.signal()
    assert change.wait_idle(30)
    assert len(calls) == 2


def hub(versions: Versions, streams: int = 2) -> PushHub:
    return PushHub(watcher=watcher(versions), check=ChangeCheck(lambda: None), max_streams=streams,
                   stream_seconds=3600)


def test_a_stream_sends_the_units_new_version_and_frees_its_place_when_closed() -> None:
    versions = Versions(east=1)
    h = hub(versions, streams=1)
    response = census_events(h, "east", seen=1)
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    body = response.response
    first = next(iter(body))
    assert first.startswith("retry: ")
    assert census_events(h, "east", seen=1).status_code == 503  # the one place is taken
    versions.now["east"] = 2
    h.watcher.look()
    assert next(iter(body)) == "event: census\ndata: east 2\n\n"
    response.close()
    assert h.open_streams() == 0 and h.watcher.listening() == 0
    again = census_events(h, "east", seen=2)
    assert again.status_code == 200
    again.close()


def test_no_streams_at_all_when_the_setting_says_none() -> None:
    h = hub(Versions(east=1), streams=0)
    refused = census_events(h, "east", seen=1)
    assert refused.status_code == 503 and refused.headers["Retry-After"]


def test_only_the_kiosks_own_token_is_taken() -> None:
    key = "a-secret-key"
    header = authorization_header(key)
    assert header == f"Authorization: Bearer {notification_token(key)}"
    assert notification_allowed(key, header.split(": ", 1)[1])
    assert not notification_allowed(key, None)
    assert not notification_allowed(key, "Bearer " + notification_token("another key"))
    assert not notification_allowed(key, notification_token(key))  # without "Bearer"
