"""One send per order number at a time (kiosk/orders/sending.py) on a real SQLite database, without a
server: the second request of a double tap waits for the first, a claim is always given back, one left by
a stopped process is taken over, and a wait that lasts too long ends in StillSending. Clocks and pauses are
injected: nothing here waits on real time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.db import Database
from kiosk.orders.models import SendInFlight
from kiosk.orders.sending import LOOK_SECONDS, STALE_AFTER, StillSending, one_send

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


@pytest.fixture
def database(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'kiosk.db'}")
    database.upgrade()
    return database


def held(database: Database) -> list[str]:
    with database.session() as db:
        return [row.number for row in db.query(SendInFlight).all()]


def test_the_number_is_held_for_the_send_and_given_back_however_it_ends(database: Database) -> None:
    with one_send(database, "OR-0000000001", lambda: NOW):
        assert held(database) == ["OR-0000000001"]
    assert held(database) == []
    with pytest.raises(RuntimeError), one_send(database, "OR-0000000001", lambda: NOW):
        raise RuntimeError("the send failed")
    assert held(database) == []


def test_the_second_tap_waits_for_the_first_send_then_goes_on(database: Database) -> None:
    first = one_send(database, "OR-0000000002", lambda: NOW)
    first.__enter__()
    pauses: list[float] = []

    def pause(seconds: float) -> None:  # the first send ends while the second looks
        pauses.append(seconds)
        first.__exit__(None, None, None)

    with one_send(database, "OR-0000000002", lambda: NOW, pause=pause):
        assert held(database) == ["OR-0000000002"]
    assert pauses == [LOOK_SECONDS] and held(database) == []


def test_a_send_still_under_way_after_the_wait_is_reported_and_nothing_is_taken(database: Database) -> None:
    clock = [0.0]
    with one_send(database, "OR-0000000003", lambda: NOW):
        with pytest.raises(StillSending), one_send(database, "OR-0000000003", lambda: NOW, wait=1.0,
                                                   monotonic=lambda: clock[0],
                                                   pause=lambda s: clock.__setitem__(0, clock[0] + s)):
            pytest.fail("the second send must not start")
        assert held(database) == ["OR-0000000003"]  # the first send's claim is untouched
    assert clock[0] >= 1.0


def test_a_claim_left_by_a_stopped_process_is_taken_over_after_it_is_stale(database: Database) -> None:
    with database.session() as db:
        db.add(SendInFlight(number="OR-0000000004", token="stopped",
                            started_at=NOW - STALE_AFTER - timedelta(seconds=1)))
        db.add(SendInFlight(number="OR-0000000005", token="sending",
                            started_at=NOW - STALE_AFTER + timedelta(seconds=30)))

    def no_pause(_seconds: float) -> None:
        pytest.fail("a stale claim is taken over at once")

    with one_send(database, "OR-0000000004", lambda: NOW, pause=no_pause):
        pass
    with pytest.raises(StillSending), one_send(database, "OR-0000000005", lambda: NOW, wait=0.0):
        pytest.fail("a claim younger than STALE_AFTER is another send's")


def test_a_send_gives_back_its_own_claim_only_not_one_taken_over_after_it_went_stale(database: Database) -> None:
    """A send that outlived STALE_AFTER (the server that slow) must not free the number for a third tap
    while the send that took the claim over is still under way."""
    clock = [NOW]
    slow = one_send(database, "OR-0000000006", lambda: clock[0])
    slow.__enter__()
    clock[0] = NOW + STALE_AFTER + timedelta(seconds=1)
    with one_send(database, "OR-0000000006", lambda: clock[0], wait=0.0):
        slow.__exit__(None, None, None)  # the slow send ends while the other holds the number
        assert held(database) == ["OR-0000000006"]
        with pytest.raises(StillSending), one_send(database, "OR-0000000006", lambda: clock[0], wait=0.0):
            pytest.fail("a third send must wait for the one holding the number")
    assert held(database) == []
