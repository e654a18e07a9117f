"""Fixtures of the push tests: a sekmet-fhir server of their own (its Subscriptions post every change to
the kiosks they name), units on it, kiosks served over HTTP, and their subscriptions."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from flask import Flask

from kiosk import secret_key
from kiosk.demo.hospital import DemoBuilder, unit_plan
from kiosk.demo.loader import load_demo
from kiosk.extensions import services
from kiosk.fhir.gateway import FhirGateway, UnitRef
from kiosk.fhir.subscriptions import keep_subscribed
from kiosk.push.jobs import keep_push_subscriptions
from kiosk.push.services import authorization_header
from kiosk.scheduler.context import JobContext
from tests.conftest import make_settings
from tests.support.beds import BedUnit, unit_env, unit_gateway
from tests.support.browser import LiveServer
from tests.support.labels import job_context
from tests.support.numbers import BLOCK, next_block
from tests.support.sekmet import SekmetServer, start_sekmet


@dataclass
class PushSite:
    sekmet: SekmetServer
    gw: FhirGateway


@pytest.fixture(scope="module")
def push_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PushSite]:
    server = start_sekmet(tmp_path_factory.mktemp("push-sekmet"))
    settings = make_settings(server.base_url, tmp_path_factory.mktemp("push") / "seed.db")
    gw = FhirGateway.from_settings(settings)
    load_demo(gw, say=lambda _line: None)
    yield PushSite(server, gw)
    gw.close()
    server.stop()


@pytest.fixture
def push_unit(push_site: PushSite, make_app: Callable[..., Flask]) -> Callable[..., BedUnit]:
    """push_unit(**env) -> a new unit of 12 beds on the push tests' server and a kiosk for it (the shared
    census watched every 50 ms unless `env` says otherwise)."""

    def build(**env: str) -> BedUnit:
        n = next_block()
        code = f"P{n:03d}{uuid.uuid4().hex[:4].upper()}"
        builder = DemoBuilder(push_site.gw.identifiers, first_number=BLOCK * n)
        push_site.gw.client.transaction(builder.unit_transaction(unit_plan(code, f"Push Unit {n}", 12, seed=n)))
        ref = UnitRef(system=push_site.gw.identifiers.location, value=code)
        app = make_app(**{"KIOSK_FHIR_BASE_URL": push_site.sekmet.base_url, "KIOSK_PUSH_WATCH_MS": "50",
                          **unit_env(ref), **env})
        return BedUnit(ref=ref, gw=unit_gateway(push_site.gw, ref), app=app)

    return build


@pytest.fixture
def serve() -> Iterator[Callable[[Flask], LiveServer]]:
    """serve(app) -> the app over real HTTP (stopped after the test)."""
    started: list[LiveServer] = []

    def start(app: Flask) -> LiveServer:
        server = LiveServer(app).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def push_context(app: Flask, notify_url: str, criteria: str | None = None) -> JobContext:
    """The scheduler's job context for `app`, its notifications addressed to `notify_url`."""
    ctx = job_context(app)
    push = dataclasses.replace(ctx.settings.push, notify_url=notify_url,
                               **({"criteria": criteria} if criteria is not None else {}))
    return dataclasses.replace(ctx, settings=dataclasses.replace(ctx.settings, push=push))


@pytest.fixture
def subscribe() -> Iterator[Callable[[Flask, str], str]]:
    """subscribe(app, notify_url) -> the push-subscriptions job's summary; the subscriptions are turned
    off after the test (the server would go on posting to a kiosk that is gone)."""
    made: list[tuple[Flask, str]] = []

    def run(app: Flask, notify_url: str) -> str:
        made.append((app, notify_url))
        return keep_push_subscriptions(push_context(app, notify_url))

    yield run
    for app, notify_url in made:
        with app.app_context():
            keep_subscribed(services().gateway(), notify_url, authorization_header(secret_key(services().settings)),
                            ())
