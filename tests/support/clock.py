"""A clock that tests move on instead of waiting for time to pass.

Code that decides by time takes a clock (a callable returning now): the app (`services().clock`, read by
`kiosk.extensions.now`: sign-in, the idle lock, the client limit, the print queue), a scheduled job
(`JobContext.clock`), the SMART authenticator. A test gives it a `TestClock` and calls
`advance(seconds)`; nothing sleeps, so a loaded machine changes how long a test takes, never what it sees.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask

from kiosk.extensions import services


class TestClock:
    """Aware UTC now: the moment the clock was made, moved only by `advance`.

    Make it after the steps that still ran on the real clock (a sign-in, say), so that it starts at or
    after every time they wrote."""

    __test__ = False  # not a test class, whatever pytest's name rules say

    def __init__(self, start: datetime | None = None):
        self.now = start or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now

    def timestamp(self) -> float:
        """The same moment as Unix seconds, for code whose clock returns time.time()."""
        return self.now.timestamp()


def set_app_clock(app: Flask, clock: TestClock) -> TestClock:
    """From now on the app's "now" is `clock`."""
    with app.app_context():
        services().clock = clock
    return clock


def use_clock(app: Flask, start: datetime | None = None) -> TestClock:
    """Give `app` a clock the test moves (it starts at the real time unless told otherwise)."""
    return set_app_clock(app, TestClock(start))
