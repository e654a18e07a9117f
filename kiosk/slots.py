"""FHIR slots: how many of a process's request threads may be busy with the FHIR server at once.

gunicorn runs `web.threads` threads per worker. When the FHIR server is slow, every thread could end up
waiting for it behind board polls, and sign-in, /healthz and static files would wait too. So a request
takes one of `web.fhir_slots` slots (fewer than the threads) the first time it asks for the gateway,
and gives it back when it ends: at least one thread is always free for everything else.

Polls may hold at most `fhir_slots - 1` of them (all of them when there is only one), so that a person
opening a page still finds a slot while twenty boards poll. A poll waits for a slot at most `poll_wait`
(1 s): the screens of a unit refresh together at a census event (kiosk.push), each for a few milliseconds
from the shared census, and must queue rather than be refused; one that still finds none is answered "not
up to date". A person's request waits for one a short, bounded time
(`person_wait`, 2 s): the slots are most often held by that person's own requests a moment ago (a panel's
sections still loading, a preview being redrawn when Send is tapped), which end in well under a second
on a healthy server. After that it gets "the FHIR server is slow, try again", before anything was sent.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field

from flask import g

from kiosk.fhir.errors import FhirUnavailable
from kiosk.polling import is_poll

BUSY_MESSAGE = ("The FHIR server is answering slowly and the kiosk is already waiting for it on other requests. "
                "Nothing was sent; try again in a moment.")


class FhirBusy(FhirUnavailable):
    """No FHIR slot was free for this request: nothing was sent to the server."""

    def __init__(self) -> None:
        super().__init__(BUSY_MESSAGE, status=503)


@dataclass
class FhirSlots:
    """The process's slots (made again after a fork: each gunicorn worker has its own)."""

    total: int
    for_polls: int
    #: Seconds a person's request waits for a slot before it is told the server is slow.
    person_wait: float = 2.0
    #: Seconds a poll waits for one before it is answered "not up to date".
    poll_wait: float = 1.0
    _pid: int = field(default_factory=os.getpid)
    _all: threading.BoundedSemaphore = field(init=False)
    _polls: threading.BoundedSemaphore = field(init=False)
    _guard: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._all = threading.BoundedSemaphore(self.total)
        self._polls = threading.BoundedSemaphore(self.for_polls)
        self._pid = os.getpid()

    def try_take(self, poll: bool) -> bool:
        with self._guard:
            if self._pid != os.getpid():
                self._reset()
        wait = self.poll_wait if poll else self.person_wait
        deadline = time.monotonic() + wait
        if poll and not self._polls.acquire(timeout=wait):
            return False
        if self._all.acquire(timeout=max(0.0, deadline - time.monotonic())):
            return True
        if poll:
            self._polls.release()
        return False

    def give_back(self, poll: bool) -> None:
        self._all.release()
        if poll:
            self._polls.release()

    @classmethod
    def sized(cls, fhir_slots: int) -> FhirSlots:
        return cls(total=fhir_slots, for_polls=max(1, fhir_slots - 1))


_HELD = "fhir_slot_poll"


def hold_for_request(slots: FhirSlots) -> None:
    """Take a slot for this request (once; kept until the request ends), or raise FhirBusy."""
    if _HELD in g:
        return
    poll = is_poll()
    if not slots.try_take(poll):
        raise FhirBusy()
    setattr(g, _HELD, poll)


def give_back_for_request(slots: FhirSlots) -> None:
    """teardown_request: the slot this request held, if any, is free again."""
    poll = g.pop(_HELD, None)
    if poll is not None:
        slots.give_back(poll)
