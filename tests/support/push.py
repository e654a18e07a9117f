"""A screen's event stream read over real HTTP (httpx), and a FHIR server of its own for the push tests
(its Subscriptions notify every change to the kiosks they name, so they must not see the whole run's)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
from flask import Flask
from flask.testing import FlaskClient

#: Every read of the stream waits at most this long: the kiosk sends a comment every 15 s.
READ_TIMEOUT = 30.0


@dataclass(frozen=True)
class Event:
    name: str
    data: str


class EventStream:
    """GET an event-stream URL with a browser's session cookie, and read its events one by one."""

    def __init__(self, url: str, cookies: dict[str, str] | None = None):
        self._client = httpx.Client(cookies=cookies or {}, timeout=httpx.Timeout(10, read=READ_TIMEOUT))
        self._context = self._client.stream("GET", url, headers={"Accept": "text/event-stream"})
        self.response = self._context.__enter__()
        self._lines: Iterator[str] = self.response.iter_lines()

    def next_event(self, within: float = 60.0) -> Event:
        """The next event (comments skipped); fails when none came `within` seconds."""
        deadline = time.monotonic() + within
        name, data = "message", []
        for line in self._lines:
            if line == "":
                if data:
                    return Event(name, "\n".join(data))
                name = "message"
            elif line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
            if time.monotonic() > deadline:
                break
        raise AssertionError(f"no event on the stream within {within:g} s")

    def close(self) -> None:
        self._context.__exit__(None, None, None)
        self._client.close()


def session_cookie(app: Flask, client: FlaskClient) -> dict[str, str]:
    """The signed-in browser's session cookie, to send over real HTTP."""
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = client.get_cookie(name)
    assert cookie is not None
    return {name: cookie.value}
