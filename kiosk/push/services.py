"""The parts of push, one of each per kiosk process (`PushHub`):

- `ChangeCheck`: a notification from the FHIR server starts the census's change check (kiosk.census: one
  look at what changed, then the touched units' censuses read again) in the background, one check at a
  time: notifications that come while one runs make one more check after it, not one each.
- `CensusWatcher`: while screens are connected to this process, it looks at every unit's census version
  (one query of the kiosk's database, shared by every process and instance on it) and wakes the streams of
  the units whose version moved. It looks when told: on PostgreSQL at each NOTIFY of a new version
  (`CensusNotifications`: LISTEN on its own connection), in this process when it wrote one itself
  (`CensusStore.on_new_version`); and every push.watch_ms in any case (SQLite's only way to hear of
  another process's census, and PostgreSQL's safety net while its listening connection is down). A change
  read by another instance reaches the screens connected here that way: the database is the fan-out, no
  other server is needed.
- `census_events`: a screen's Server-Sent Events stream: `census` events carrying the unit's new census
  version, a comment every KEEPALIVE seconds (so a dropped connection is noticed), closed after
  push.stream_seconds (the browser opens it again). At most web.event_streams are open per process, each on
  its own thread; a screen beyond them gets 503 and checks on its refresh interval instead.

Nothing here carries patient data: a unit's Location id and a version number.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import psycopg
from flask import Response
from psycopg import sql
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

#: Seconds between comments on an idle stream: a connection the screen dropped is noticed within this.
KEEPALIVE = 15
#: How long a browser waits before it opens a closed stream again (the SSE `retry` field), milliseconds.
RETRY_MS = 3000


def notification_token(secret_key: str) -> str:
    """The bearer token the FHIR server sends with its notifications: derived from the kiosk's secret key,
    so every instance and the scheduler agree on it without another secret to keep."""
    return hmac.new(secret_key.encode(), b"kiosk: FHIR rest-hook notifications", hashlib.sha256).hexdigest()


def authorization_header(secret_key: str) -> str:
    """The header line the kiosk's Subscriptions ask the server to send (channel.header)."""
    return f"Authorization: Bearer {notification_token(secret_key)}"


def notification_allowed(secret_key: str, authorization: str | None) -> bool:
    expected = f"Bearer {notification_token(secret_key)}"
    return authorization is not None and hmac.compare_digest(authorization.encode(), expected.encode())


class ChangeCheck:
    """Runs `check` on a thread of its own when signalled; signals during a run make one more run."""

    def __init__(self, check: Callable[[], None]):
        self._check = check
        self._lock = threading.Condition()
        self._running = False
        self._again = False
        #: Runs finished (tests wait on it).
        self.runs = 0

    def signal(self) -> None:
        with self._lock:
            if self._running:
                self._again = True
                return
            self._running = True
        threading.Thread(target=self._loop, daemon=True, name="kiosk-push-check").start()

    def _loop(self) -> None:
        while True:
            try:
                self._check()
            except Exception as e:  # a failed check is retried by the next notification or the scheduled check
                log.warning("The change check after a FHIR notification failed: %s",
                            getattr(e, "message", None) or type(e).__name__)
            with self._lock:
                self.runs += 1
                if not self._again:
                    self._running = False
                    self._lock.notify_all()
                    return
                self._again = False

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no check runs or is due (tests: a deterministic point to look from)."""
        with self._lock:
            return self._lock.wait_for(lambda: not self._running, timeout)


@dataclass(eq=False)
class Listener:
    """One screen's interest in one unit's census (None: any unit), from the version it has shown."""

    unit_id: str | None
    seen: dict[str, int]
    _woken: threading.Condition = field(default_factory=threading.Condition)
    _pending: dict[str, int] = field(default_factory=dict)

    def offer(self, versions: dict[str, int]) -> None:
        moved = {u: v for u, v in versions.items()
                 if (self.unit_id is None or u == self.unit_id) and self.seen.get(u) != v}
        if moved:
            with self._woken:
                self._pending.update(moved)
                self.seen.update(moved)
                self._woken.notify_all()

    def wait(self, timeout: float) -> dict[str, int]:
        """The units whose census moved since the last wait ({} after `timeout` seconds without a change)."""
        with self._woken:
            self._woken.wait_for(lambda: bool(self._pending), timeout)
            moved, self._pending = self._pending, {}
            return moved


class CensusNotifications:
    """PostgreSQL's notifications of new census versions (kiosk.census.store.announce), heard on a
    connection of their own (LISTEN). `run` calls `heard` after LISTEN took effect (a version written
    before it is found by that look) and at each notification, until `done()` answers True (asked at least
    every WAIT seconds). A listening connection that drops is opened again at once; one that cannot be
    opened is tried again every `reconnect` seconds, while the watcher's timed look wakes the screens."""

    #: Seconds between `done()` questions while no notification comes.
    WAIT = 1.0
    #: The listening connection's application_name (pg_stat_activity shows it).
    APPLICATION = "kiosk-census-listener"

    def __init__(self, database_url: str, channel: str, reconnect: float = 5.0):
        self.conninfo = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._channel = channel
        self._reconnect = reconnect
        #: Set while LISTEN is in effect (for /healthz and tests).
        self.listening = threading.Event()
        #: Connections that reached LISTEN and looked once after it (tests wait for one).
        self.connections = 0
        self._counted = threading.Condition()

    def run(self, heard: Callable[[], None], done: Callable[[], bool]) -> None:
        failing = False
        while not done():
            listened = False
            try:
                with psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5,
                                     application_name=self.APPLICATION) as connection:
                    connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
                    listened = True
                    self.listening.set()
                    if failing:
                        log.info("Listening for new census versions on PostgreSQL works again")
                    failing = False
                    heard()
                    with self._counted:
                        self.connections += 1
                        self._counted.notify_all()
                    while not done():
                        if any(True for _ in connection.notifies(timeout=self.WAIT, stop_after=1)):
                            # The rest of a burst (a check that read ten units) is served by the same look.
                            for _ in connection.notifies(timeout=0):
                                pass
                            heard()
            except Exception as e:  # a database restarting, a refused connection: tried again below
                if not failing:  # once per outage
                    reason = str(e).strip().splitlines()[0][:200] if str(e).strip() else ""
                    log.warning("Listening for new census versions on PostgreSQL failed (%s%s): screens are woken "
                                "by the timed look at the versions until it works again", type(e).__name__,
                                f": {reason}" if reason else "")
                failing = True
            finally:
                self.listening.clear()
            if failing and not listened and not done():
                time.sleep(self._reconnect)

    def wait_for_connection(self, beyond: int, timeout: float) -> bool:
        """Wait until more than `beyond` connections reached LISTEN and looked after it (tests)."""
        with self._counted:
            return self._counted.wait_for(lambda: self.connections > beyond, timeout)


class CensusWatcher:
    """Looks at every unit's census version (`versions`, one database query) while any screen listens:
    every `interval` seconds, when `look` is called, and at each of `notifications` (PostgreSQL); wakes the
    listeners whose unit moved."""

    def __init__(self, versions: Callable[[], dict[str, int]], interval: float,
                 notifications: CensusNotifications | None = None):
        self._versions = versions
        self._interval = interval
        self.notifications = notifications
        self._lock = threading.Lock()
        self._listeners: set[Listener] = set()
        self._thread: threading.Thread | None = None
        self._notified: threading.Thread | None = None
        self._looking = threading.Lock()
        self._failing = False

    def listen(self, unit_id: str | None, seen: int | None) -> Listener:
        """`seen`: the unit's version the screen shows (a change since then is sent at once); None: now's."""
        current = self._versions()
        start = dict(current)
        if unit_id is not None and seen is not None:
            start[unit_id] = seen
        listener = Listener(unit_id, start)
        with self._lock:
            self._listeners.add(listener)
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, daemon=True, name="kiosk-census-watcher")
                self._thread.start()
            if self.notifications is not None and self._notified is None:
                self._notified = threading.Thread(target=self._hear, daemon=True, name="kiosk-census-listener")
                self._notified.start()
        listener.offer(current)
        return listener

    def _idle(self) -> bool:
        with self._lock:
            return not self._listeners

    def _hear(self) -> None:
        """The notifications' thread, while any screen listens (the next listener starts another if this
        one ends in any way)."""
        assert self.notifications is not None
        try:
            while True:
                self.notifications.run(self.look_safely, self._idle)
                with self._lock:
                    if not self._listeners:
                        return
        finally:
            with self._lock:
                self._notified = None

    def forget(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.discard(listener)

    def listening(self) -> int:
        with self._lock:
            return len(self._listeners)

    def look(self) -> None:
        """One look now (also called by this process's change check right after it read censuses)."""
        with self._lock:
            listeners = list(self._listeners)
        if not listeners:
            return
        # One look at a time (the timer, a notification, a request that read a census): the versions are
        # offered in the order they were read, so a screen is never offered an older one after a newer.
        with self._looking:
            versions = self._versions()
            for listener in listeners:
                listener.offer(versions)

    def look_safely(self) -> None:
        """A look whose failure is logged once per outage, not raised (the database may be restarting: the
        next look tries again)."""
        try:
            self.look()
            if self._failing:
                log.info("Looking at the census versions works again")
            self._failing = False
        except Exception as e:
            if not self._failing:  # once per outage, not every push.watch_ms
                log.warning("Looking at the census versions failed: %s", type(e).__name__)
            self._failing = True

    def _loop(self) -> None:
        while True:
            with self._lock:
                if not self._listeners:
                    self._thread = None
                    return
            self.look_safely()
            time.sleep(self._interval)


@dataclass
class PushHub:
    """This process's push parts (see the module's docstring)."""

    watcher: CensusWatcher
    check: ChangeCheck
    #: Event streams this process holds open at most (web.event_streams; 0: none).
    max_streams: int
    stream_seconds: float
    clock: Callable[[], float] = time.monotonic
    _open: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def open_stream(self) -> bool:
        with self._lock:
            if self._open >= self.max_streams:
                return False
            self._open += 1
            return True

    def close_stream(self) -> None:
        with self._lock:
            self._open -= 1

    def open_streams(self) -> int:
        with self._lock:
            return self._open


def census_events(hub: PushHub, unit_id: str | None, seen: int | None) -> Response:
    """A screen's event stream for `unit_id`'s census (None: every unit's)."""
    if not hub.open_stream():
        busy = Response("This kiosk holds as many live screens as it may; this one checks on its interval.\n",
                        status=503, mimetype="text/plain")
        busy.headers["Retry-After"] = "60"
        return busy
    try:
        listener = hub.watcher.listen(unit_id, seen)
    except Exception:
        hub.close_stream()
        raise

    def stream() -> Iterator[str]:
        try:
            yield f"retry: {RETRY_MS}\n: live\n\n"
            deadline = hub.clock() + hub.stream_seconds
            while (left := deadline - hub.clock()) > 0:
                moved = listener.wait(min(KEEPALIVE, left))
                if moved:
                    for unit, version in sorted(moved.items()):
                        yield f"event: census\ndata: {unit} {version}\n\n"
                else:
                    yield ": still here\n\n"
        finally:
            hub.watcher.forget(listener)
            hub.close_stream()

    response = Response(stream(), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"  # a proxy must pass each event on at once
    return response
