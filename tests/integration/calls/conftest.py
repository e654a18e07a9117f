"""Call lights on the real FHIR server's demo unit, with paging through a real SMTP server and webhook
receiver, and the nurse-call simulator posting to the kiosk served over HTTP."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask

from kiosk.config import Settings
from kiosk.fhir.census import unit_census
from kiosk.fhir.gateway import FhirGateway
from kiosk.fhir.records import LocationRecord
from tests.support.browser import LiveServer
from tests.support.paging import SmtpSink, WebhookReceiver, load_roles, paging_env
from tests.support.whiteboard import ward

__all__ = ["Simulator", "calls_app", "occupied_beds", "served", "simulator", "ward"]

ROOT = Path(__file__).resolve().parents[3]
CALLS_SECRET = "nurse-call-shared-secret-0123"


@dataclass
class Simulator:
    kiosk: str
    secret: str = CALLS_SECRET

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`scripts/nurse_call_simulator.py <args>` against the kiosk, as a process of its own."""
        return subprocess.run([sys.executable, str(ROOT / "scripts" / "nurse_call_simulator.py"), "--kiosk",
                               self.kiosk, "--secret", self.secret, *args], capture_output=True, text=True,
                              timeout=60, cwd=ROOT)


@pytest.fixture
def calls_app(make_app: Callable[..., Flask], gateway: FhirGateway, demo_settings: Settings, smtp: SmtpSink,
              webhook: WebhookReceiver) -> Flask:
    load_roles(gateway, demo_settings)
    return make_app(**paging_env(smtp.port, webhook.url), KIOSK_CALLS_WEBHOOK_SECRET=CALLS_SECRET)


@pytest.fixture
def served(calls_app: Flask) -> Iterator[LiveServer]:
    server = LiveServer(calls_app).start()
    yield server
    server.stop()


@pytest.fixture
def simulator(served: LiveServer) -> Simulator:
    return Simulator(served.url)


@pytest.fixture(scope="session")
def occupied_beds(gateway: FhirGateway) -> list[LocationRecord]:
    census = unit_census(gateway)
    occupied = {loc.location for e in census.encounters if e.status == "in-progress"
                for loc in e.locations_with("active")}
    return [b for b in census.beds if b.reference in occupied]
