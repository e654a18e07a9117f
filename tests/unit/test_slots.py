"""FHIR slots: a poll waits a short, bounded time for a slot (the screens of a unit refresh together); a
person's request a little longer, for a slot its own earlier requests still hold."""

from __future__ import annotations

import threading

from kiosk.slots import FhirSlots


def test_a_poll_and_a_person_wait_their_time_then_are_refused() -> None:
    slots = FhirSlots(total=1, for_polls=1, person_wait=0.05, poll_wait=0.01)
    assert slots.try_take(poll=False)
    assert not slots.try_take(poll=True)
    assert not slots.try_take(poll=False)  # waited person_wait, then refused
    slots.give_back(poll=False)
    assert slots.try_take(poll=True)
    slots.give_back(poll=True)


def test_a_person_gets_the_slot_given_back_while_it_waits() -> None:
    slots = FhirSlots(total=1, for_polls=1, person_wait=30)
    assert slots.try_take(poll=False)
    waiting = threading.Event()
    got: list[bool] = []

    def person() -> None:
        waiting.set()
        got.append(slots.try_take(poll=False))

    thread = threading.Thread(target=person)
    thread.start()
    waiting.wait(5)
    slots.give_back(poll=False)  # the earlier request ends: the waiting person takes its slot
    thread.join(30)
    assert got == [True]


def test_a_poll_gets_the_slot_another_poll_gives_back_while_it_waits() -> None:
    slots = FhirSlots(total=1, for_polls=1, poll_wait=30)
    assert slots.try_take(poll=True)
    waiting = threading.Event()
    got: list[bool] = []

    def poll() -> None:
        waiting.set()
        got.append(slots.try_take(poll=True))

    thread = threading.Thread(target=poll)
    thread.start()
    waiting.wait(5)
    slots.give_back(poll=True)
    thread.join(30)
    assert got == [True]
