"""An injected clock for the app (sign-in, idle lock, the client limit): tests move time, never sleep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


def use_clock(app: Flask, start: datetime | None = None) -> FakeClock:
    """Give `app` a clock the test moves (it starts at the real time unless told otherwise)."""
    clock = FakeClock(start)
    app.extensions["kiosk"].clock = clock
    return clock
