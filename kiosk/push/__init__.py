"""Push instead of poll (issue 17): the FHIR server notifies the kiosk of changes (rest-hook
Subscriptions, kept by the scheduler's push-subscriptions job), the kiosk looks at what changed and reads
the touched censuses once, and the screens connected to any instance hear at once that their unit's census
changed (Server-Sent Events, htmx's SSE extension). A screen whose stream drops checks on its refresh
interval and says so. See kiosk/push/services.py and docs/decisions.md, "Push"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import Flask, Response, abort, current_app, request

from kiosk.census.store import CENSUS_CHANNEL
from kiosk.extensions import EXTENSION_KEY as SERVICES
from kiosk.extensions import KioskServices
from kiosk.fhir.records import FHIR_ID

from .services import CensusNotifications, CensusWatcher, ChangeCheck, PushHub, census_events
from .views import bp

__all__ = ["LiveScreen", "census_events", "live_screen", "push_hub", "push_status", "register", "requested_stream"]

EXTENSION_KEY = "kiosk_push"


def push_hub() -> PushHub:
    return current_app.extensions[EXTENSION_KEY]


@dataclass(frozen=True)
class LiveScreen:
    """What a live screen's page carries (templates/_live.html): its stream, and how often it checks."""

    events_url: str
    #: Seconds between checks while the stream is not open ("Checking every 15 s").
    check_seconds: int
    #: Seconds between checks while it is open ("Live").
    live_check_seconds: int


def live_screen(events_url: str, check_seconds: int) -> LiveScreen:
    """A live screen checks only every push.live_check_seconds while its stream is open if the server's
    changes are looked at for it: the census-check job or a notification looked within
    census.trust_seconds. Otherwise (no scheduler running, no subscriptions) its own checks are what looks
    at the server, so it goes on checking every `check_seconds`."""
    from kiosk.extensions import now, services

    current = services()
    assert current.census is not None
    checked = current.census.last_checked()
    watched = checked is not None and now() - checked < timedelta(seconds=current.settings.census.trust_seconds)
    return LiveScreen(events_url, check_seconds,
                      current.settings.push.live_check_seconds if watched else check_seconds)


def requested_stream() -> Response:
    """The event stream a screen's page asked for: `?unit=<Location id>&version=<census version drawn>`."""
    unit = request.args.get("unit", "")
    if not FHIR_ID.fullmatch(unit):
        abort(404)
    return census_events(push_hub(), unit, request.args.get("version", type=int))


def push_status() -> dict[str, object]:
    """For /healthz: how this kiosk hears of changes (the push-subscriptions job's last word) and how many
    live screens this process holds."""
    from kiosk.extensions import database, settings
    from kiosk.scheduler.requests import last_run

    if not settings().push.notify_url:
        subscriptions = "none (push.notify_url is empty): the census-check job looks on its schedule"
    else:
        with database().session() as db:
            last = last_run(db, "push-subscriptions")
        subscriptions = "not yet checked by the scheduler" if last is None else \
            (last.summary if last.ok else f"failing: {last.summary}")
    notifications = push_hub().watcher.notifications
    if notifications is None:
        fan_out = f"the kiosk's database looked at every {settings().push.watch_ms} ms while screens are live"
    elif notifications.listening.is_set():
        fan_out = "PostgreSQL notifications (LISTEN), and the database looked at on a timer as a safety net"
    else:
        fan_out = (f"PostgreSQL notifications not heard now (no live screen, or the listening connection is "
                   f"down): the database looked at every {settings().push.watch_ms} ms")
    return {"subscriptions": subscriptions, "screens_told_by": fan_out, "live_screens": push_hub().open_streams()}


def register(app: Flask) -> None:
    kiosk: KioskServices = app.extensions[SERVICES]
    settings = kiosk.settings
    assert kiosk.census is not None
    census = kiosk.census
    on_postgresql = kiosk.database.engine.dialect.name == "postgresql"
    notifications = CensusNotifications(kiosk.database.url, CENSUS_CHANNEL) if on_postgresql else None
    watcher = CensusWatcher(census.versions, settings.push.watch_ms / 1000, notifications)
    # A census this process read wakes its own screens at once (on SQLite, other processes' screens hear
    # of it at their next timed look; on PostgreSQL, at its NOTIFY).
    census.on_new_version.append(watcher.look_safely)

    def check() -> None:
        census.check(kiosk.gateway(), refresh=True)  # each census it reads wakes the screens (on_new_version)

    app.extensions[EXTENSION_KEY] = PushHub(watcher=watcher, check=ChangeCheck(check),
                                            max_streams=settings.web.event_streams,
                                            stream_seconds=settings.push.stream_seconds)
    app.register_blueprint(bp)
