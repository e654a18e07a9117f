"""The demo's transport (`make run`): the departments, 4 West's jobs in every state with one waiting past
its target, a transporter account; seeding twice creates nothing more."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask

from kiosk.auth import Role
from kiosk.auth.services import DEMO_STAFF
from kiosk.config import Settings
from kiosk.db import Database
from kiosk.demo.extras import DEMO_EXTRAS, DemoContext
from kiosk.demo.hospital import MED_SURG
from kiosk.demo.transport import seed
from kiosk.fhir.gateway import FhirGateway, UnitRef
from kiosk.transport.board import overdue, unit_jobs
from kiosk.transport.fhir import open_jobs
from tests.support.auth import sign_in_client
from tests.support.beds import page_text


def test_the_demo_has_jobs_in_every_state_and_seeding_again_creates_nothing(
        gateway: FhirGateway, demo_settings: Settings, tmp_path: Path) -> None:
    assert "kiosk.demo.transport:seed" in DEMO_EXTRAS
    assert any(role is Role.TRANSPORTER for _b, _n, role, _p, _r in DEMO_STAFF)
    database = Database(f"sqlite:///{tmp_path / 'demo.db'}")
    lines = [seed(DemoContext(demo_settings, gateway, database, lambda _l: None)) for _ in range(2)]
    assert " 0 resources created," in lines[1] and "4 West Medical-Surgical" in lines[1]
    unit = f"Location/{gateway.unit_location_id(UnitRef(system=gateway.identifiers.location, value=MED_SURG.code))}"
    jobs = unit_jobs(open_jobs(gateway), unit)
    states = {(j.status, j.business) for j in jobs}
    assert {("requested", "pending"), ("accepted", "dispatched"), ("accepted", "delayed"),
            ("in-progress", "picked-up"), ("draft", "waiting-return")} <= states
    assert sum(1 for j in jobs if overdue(j, datetime.now(UTC))) == 1
    database.dispose()


def test_the_demo_board_shows_them(make_app: Callable[..., Flask], gateway: FhirGateway, demo_settings: Settings,
                                   tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'demo.db'}")
    seed(DemoContext(demo_settings, gateway, database, lambda _l: None))
    database.dispose()
    app = make_app()
    text = page_text(sign_in_client(app.test_client()).get("/transport/").get_data(as_text=True))
    for words in ("Waiting for a transporter", "Accepted by Jordan Blake", "Delayed", "Picked up, on the way",
                  "Waiting for the call to bring back", "late", "Move into 3E-"):
        assert words in text, words
