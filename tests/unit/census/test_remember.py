"""What the shared census keeps per process (`CensusStore.remember`): made once for all the requests that
ask at the same moment (a unit's screens all refresh at one census event), and not kept when it fails."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from kiosk.census.store import CensusStore


def store() -> CensusStore:
    return CensusStore(None, lambda: datetime(2026, 11, 29, tzinfo=UTC), timedelta(0))  # type: ignore[arg-type]


def test_requests_asking_while_it_is_made_wait_for_the_one_answer() -> None:
    kept = store()
    started, release = threading.Event(), threading.Event()
    made: list[int] = []

    def make() -> str:
        made.append(1)
        started.set()
        release.wait(30)
        return "board"

    answers: list[str] = []
    first = threading.Thread(target=lambda: answers.append(kept.remember("key", make)))
    first.start()
    assert started.wait(30)
    waiting = threading.Thread(target=lambda: answers.append(kept.remember("key", make)))
    waiting.start()
    release.set()
    first.join(30)
    waiting.join(30)
    assert answers == ["board", "board"] and made == [1]
    assert kept.remember("key", make) == "board" and made == [1]


def test_a_failure_reaches_the_waiting_requests_and_is_not_kept() -> None:
    kept = store()
    started, release = threading.Event(), threading.Event()

    def fail() -> str:
        started.set()
        release.wait(30)
        raise LookupError("the FHIR server did not answer")

    errors: list[BaseException] = []

    def ask() -> None:
        try:
            kept.remember("key", fail)
        except LookupError as e:
            errors.append(e)

    first = threading.Thread(target=ask)
    first.start()
    assert started.wait(30)
    waiting = threading.Thread(target=ask)
    waiting.start()
    release.set()
    first.join(30)
    waiting.join(30)
    assert len(errors) == 2
    assert kept.remember("key", lambda: "made again") == "made again"
    with pytest.raises(ZeroDivisionError):
        kept.remember("other", lambda: 1 // 0)
