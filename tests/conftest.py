"""Shared fixtures: a real sekmet-fhir server, the kiosk app on it, units of any size, and Chromium."""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask

from kiosk import create_app
from kiosk.config import Settings, load_settings
from kiosk.demo.hospital import DemoBuilder, unit_plan
from kiosk.demo.loader import load_demo
from kiosk.extensions import database
from kiosk.fhir.gateway import FhirGateway, UnitRef
from tests.support.sekmet import SekmetServer, start_sekmet

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="session")
def sekmet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SekmetServer]:
    """One sekmet-fhir server (in-memory store) for the whole run, loaded with the demo hospital."""
    server = start_sekmet(tmp_path_factory.mktemp("sekmet"))
    yield server
    server.stop()


def make_settings(base_url: str, db_path: Path, **env: str) -> Settings:
    overrides = {
        "KIOSK_FHIR_BASE_URL": base_url,
        "KIOSK_DATABASE_URL": f"sqlite:///{db_path}",
        "KIOSK_WEB_SECRET_KEY": "test-secret-key-not-for-production",
        "KIOSK_FHIR_READ_TIMEOUT": "10",
        **env,
    }
    environ = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    return load_settings(env={**environ, **overrides})


@pytest.fixture(scope="session")
def demo_settings(sekmet: SekmetServer, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(sekmet.base_url, tmp_path_factory.mktemp("db") / "kiosk.db")


@pytest.fixture(scope="session")
def gateway(demo_settings: Settings) -> Iterator[FhirGateway]:
    """A gateway on the session server, with the demo hospital loaded once."""
    gw = FhirGateway.from_settings(demo_settings)
    load_demo(gw, say=lambda _line: None)
    yield gw
    gw.close()


_unit_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def make_unit(gateway: FhirGateway) -> Callable[..., UnitRef]:
    """Build a fresh unit of `beds` beds (with patients, flags, cleaning tasks) for one test."""

    def build(beds: int = 20) -> UnitRef:
        n = next(_unit_numbers)
        code = f"T{n:03d}{uuid.uuid4().hex[:4].upper()}"
        builder = DemoBuilder(gateway.identifiers, first_number=100_000 * n)
        gateway.client.transaction(builder.unit_transaction(unit_plan(code, f"Test Unit {n}", beds, seed=n)))
        return UnitRef(system=gateway.identifiers.location, value=code)

    return build


@pytest.fixture
def app(gateway: FhirGateway, demo_settings: Settings, tmp_path: Path) -> Iterator[Flask]:
    settings = make_settings(demo_settings.fhir.base_url, tmp_path / "kiosk.db")
    application = create_app(settings)
    application.config["TESTING"] = True
    with application.app_context():
        database().upgrade()
    yield application


@pytest.fixture
def client(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_client()
