"""Shared fixtures: a real sekmet-fhir server, the kiosk app on it, units of any size, and Chromium."""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kiosk import create_app
from kiosk.auth import Role
from kiosk.auth.services import ensure_demo_staff, use_test_pin_hashing
from kiosk.config import Settings, load_settings
from kiosk.demo.hospital import DemoBuilder, unit_plan
from kiosk.demo.loader import load_demo
from kiosk.extensions import database
from kiosk.fhir.gateway import FhirGateway, UnitRef
from tests.support.auth import sign_in_client
from tests.support.numbers import BLOCK, next_block
from tests.support.postgres import postgres_server, postgres_url, shared_database  # noqa: F401  (fixtures)
from tests.support.scanner import PREFIX as SCANNER_PREFIX
from tests.support.sekmet import SekmetServer, start_sekmet

ROOT = Path(__file__).resolve().parents[1]
#: Fixtures shared by the tests of paging and call lights (a real SMTP server, a webhook receiver).
pytest_plugins = ["tests.support.paging"]
ARTIFACTS = ROOT / "tests" / "artifacts"
TESTS = Path(__file__).resolve().parent

#: Tests under these folders get the marker of the same name (`-m "not e2e"`, `-m integration`).
FOLDER_MARKERS = ("integration", "e2e")


def pytest_configure(config: pytest.Config) -> None:
    """Every process of the run (each xdist worker too) hashes PINs at the test suite's cost."""
    use_test_pin_hashing()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark each test by its folder, and keep the tests that share the machine's one CUPS server on one
    xdist worker (`--dist loadgroup`)."""
    for item in items:
        folder = item.path.relative_to(TESTS).parts[0]
        if folder in FOLDER_MARKERS:
            item.add_marker(getattr(pytest.mark, folder))
        if "cups_pdf_queue" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("cups"))


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
        "KIOSK_SCANNER_PREFIX": SCANNER_PREFIX,
        # The shared census looks for changes on the server before every read (no scheduler runs in the
        # tests, and their clock does not move by itself); tests of the trust window set their own.
        "KIOSK_CENSUS_TRUST_SECONDS": "0",
        # sekmet-fhir stamps its changes in the order it commits them: no overlap, so that a unit just
        # seeded is not taken for a change at the next look (the request counts stay exact).
        "KIOSK_CENSUS_OVERLAP_MS": "0",
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


@pytest.fixture(scope="session")
def make_unit(gateway: FhirGateway) -> Callable[..., UnitRef]:
    """Build a fresh unit of `beds` beds (with patients, flags, cleaning tasks) for one test."""

    def build(beds: int = 20) -> UnitRef:
        n = next_block()
        code = f"T{n:03d}{uuid.uuid4().hex[:4].upper()}"
        builder = DemoBuilder(gateway.identifiers, first_number=BLOCK * n)
        gateway.client.transaction(builder.unit_transaction(unit_plan(code, f"Test Unit {n}", beds, seed=n)))
        return UnitRef(system=gateway.identifiers.location, value=code)

    return build


@pytest.fixture
def make_app(gateway: FhirGateway, demo_settings: Settings, tmp_path: Path) -> Callable[..., Flask]:
    """make_app(KIOSK_AUTH_IDLE_LOCK_SECONDS="10") -> the kiosk with those settings overridden, on the
    session FHIR server, with its own fresh database holding the demo staff."""
    counter = itertools.count()

    def make(**env: str) -> Flask:
        settings = make_settings(demo_settings.fhir.base_url, tmp_path / f"kiosk-{next(counter)}.db", **env)
        application = create_app(settings, testing=True)
        with application.app_context():
            database().upgrade()
            with database().session() as db:
                ensure_demo_staff(db, settings.identifiers.practitioner)
        return application

    return make


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def anonymous_client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client signed in as the demo unit secretary."""
    return sign_in_client(app.test_client(), Role.UNIT_SECRETARY)


@pytest.fixture
def signed_in_client(app: Flask) -> Callable[[Role], FlaskClient]:
    """signed_in_client(Role.PROVIDER) -> a test client signed in with that role."""

    def make(role: Role = Role.UNIT_SECRETARY) -> FlaskClient:
        return sign_in_client(app.test_client(), role)

    return make
