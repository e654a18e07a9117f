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

from flask import Flask, current_app

from kiosk.config import Settings
from kiosk.db import Database
from kiosk.fhir.gateway import FhirGateway

EXTENSION_KEY = "kiosk"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class KioskServices:
    settings: Settings
    database: Database
    #: Aware UTC "now"; tests replace it (tests/support/clock.py).
    clock: Callable[[], datetime] = utc_now
    _gateway: FhirGateway | None = None
    _gateway_pid: int | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def gateway(self) -> FhirGateway:
        with self._lock:
            if self._gateway is None or self._gateway_pid != os.getpid():
                self._gateway = FhirGateway.from_settings(self.settings)
                self._gateway_pid = os.getpid()
            return self._gateway

    def set_gateway(self, gw: FhirGateway) -> None:
        with self._lock:
            self._gateway = gw
            self._gateway_pid = os.getpid()


def init_services(app: Flask, settings: Settings) -> KioskServices:
    services = KioskServices(settings=settings, database=Database(settings.database_url))
    app.extensions[EXTENSION_KEY] = services
    return services


def services() -> KioskServices:
    return current_app.extensions[EXTENSION_KEY]


def gateway() -> FhirGateway:
    return services().gateway()


def database() -> Database:
    return services().database


def settings() -> Settings:
    return services().settings


def now() -> datetime:
    """The app's clock: aware UTC."""
    return services().clock()
