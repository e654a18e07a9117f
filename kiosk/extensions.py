"""Per-process services the app shares: settings, the database, the FHIR gateway, the clock.

The gateway (and its pooled HTTP client) is created on first use in each process, so that gunicorn
workers forked from one master never share a connection pool. The clock is what "now" means for code
that decides by time (the idle lock): the real time, or a test's clock that the test moves on, so that
no test waits for time to pass.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import Flask, current_app, has_request_context
from flask_htmx import HTMX
from flask_wtf.csrf import CSRFProtect

from kiosk.census.store import CensusStore
from kiosk.config import Settings
from kiosk.db import Database
from kiosk.fhir.gateway import FhirGateway
from kiosk.slots import FhirSlots, hold_for_request

EXTENSION_KEY = "kiosk"

#: CSRF protection on every POST (htmx sends the token in X-CSRFToken).
csrf = CSRFProtect()
#: flask-htmx: `if htmx:` is True for a request made by htmx; `htmx.target`, `htmx.boosted` ...
htmx = HTMX()


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class KioskServices:
    settings: Settings
    database: Database
    _gateway: FhirGateway | None = None
    _gateway_pid: int | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    #: Aware UTC "now" as sign-in, the idle lock, the client limit and the print queue see it; tests put
    #: their own clock here (tests/support/clock.py).
    clock: Callable[[], datetime] = utc_now
    #: The process's FHIR slots (kiosk.slots): taken by a request when it first asks for the gateway.
    slots: FhirSlots | None = None
    #: The shared census (kiosk.census): every unit's census, kept in the database.
    census: CensusStore | None = None

    def __post_init__(self) -> None:
        if self.census is None:
            self.census = CensusStore.of(self.database, lambda: self.clock(), self.settings.census)

    def gateway(self) -> FhirGateway:
        with self._lock:
            if self._gateway is None or self._gateway_pid != os.getpid():
                self._gateway = FhirGateway.from_settings(self.settings)
                self._gateway_pid = os.getpid()
                self._listen(self._gateway)
            return self._gateway

    def set_gateway(self, gw: FhirGateway) -> None:
        with self._lock:
            self._gateway = gw
            self._gateway_pid = os.getpid()
            self._listen(gw)

    def _listen(self, gw: FhirGateway) -> None:
        """What the kiosk writes makes the censuses it touches be read again."""
        assert self.census is not None
        if self.census.written not in gw.client.write_listeners:
            gw.client.write_listeners.append(self.census.written)


def init_services(app: Flask, settings: Settings) -> KioskServices:
    services = KioskServices(settings=settings, database=Database(settings.database_url),
                             slots=FhirSlots.sized(settings.web.fhir_slots))
    app.extensions[EXTENSION_KEY] = services
    return services


def services() -> KioskServices:
    return current_app.extensions[EXTENSION_KEY]


def gateway() -> FhirGateway:
    """The FHIR gateway. In a request, asking for it takes one of the process's FHIR slots (raising
    kiosk.slots.FhirBusy when none is free, before anything is sent)."""
    current = services()
    if has_request_context() and current.slots is not None:
        hold_for_request(current.slots)
    return current.gateway()


def database() -> Database:
    return services().database


def settings() -> Settings:
    return services().settings


def now() -> datetime:
    """The app's clock (UTC)."""
    return services().clock()
