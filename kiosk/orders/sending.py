"""One send per order number at a time, across threads, processes and kiosk instances on one database.

The two requests of a double tap carry the same order number (one per form shown). Before sending, the
kiosk asks the server whether an order has that number (`services.already_sent`), and where the server
takes conditional creates it creates the order only if none has it. Two requests that ask at the same
moment both find none, though: a server without If-None-Exist (Epic: the order is a plain create) then
keeps two orders, and one with it keeps a second record of who entered the order. So a send first claims
its number here (a row in `orders_sends_in_flight`, the number its primary key), and the second request
waits until the first has finished, then asks the server and finds the order: "Already sent".

A claim lasts one send, and carries a token of its own: a send gives back only its own claim. One left by a
process that died mid-send is taken over after STALE_AFTER, far longer than any send (each FHIR request
has its connect and read timeouts, and a read is tried three times). A request that still finds the
number claimed after WAIT_SECONDS is told so and sends nothing (`StillSending`); it waits on the FHIR
slot it already holds (a double tap is rare, and the wait is bounded).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from kiosk.db import Database

from .models import SendInFlight

#: A claim older than this was left by a process that stopped mid-send.
STALE_AFTER = timedelta(minutes=10)
#: How long the second request of a double tap waits for the first to finish.
WAIT_SECONDS = 15.0
#: How often it looks whether the first has finished.
LOOK_SECONDS = 0.1

STILL_SENDING = ("This order is still being sent from another tap or screen, so nothing more was sent. Look at "
                 "the patient's orders in a moment: send it again only if it is not there.")


class StillSending(Exception):
    """The order number stayed claimed by another send for WAIT_SECONDS: nothing was sent."""


@contextmanager
def one_send(database: Database, number: str, now: Callable[[], datetime],
             wait: float = WAIT_SECONDS, monotonic: Callable[[], float] = time.monotonic,
             pause: Callable[[float], None] = time.sleep) -> Iterator[None]:
    """Hold the order number for the block (the send): waits while another send holds it, and raises
    StillSending if that lasts longer than `wait` seconds. Released when the block ends, however it ends.
    `now`: an aware UTC clock (the claim's time, for STALE_AFTER)."""
    deadline = monotonic() + wait
    token = secrets.token_hex(16)
    while not _claim(database, number, token, now()):
        if monotonic() >= deadline:
            raise StillSending()
        pause(LOOK_SECONDS)
    try:
        yield
    finally:
        with database.session() as db:
            db.execute(delete(SendInFlight).where(SendInFlight.number == number, SendInFlight.token == token))


def _claim(database: Database, number: str, token: str, at: datetime) -> bool:
    try:
        with database.session() as db:
            db.execute(delete(SendInFlight).where(SendInFlight.number == number,
                                                  SendInFlight.started_at < at - STALE_AFTER))
            db.add(SendInFlight(number=number, token=token, started_at=at))
            db.flush()
        return True
    except IntegrityError:  # another send holds it
        return False
