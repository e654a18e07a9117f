"""The demo's orders (`make run`): 4 West's orders in every state, two co-signatures past due; seeding
twice creates nothing more. The scheduler's co-signature count then shows on the home screen."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask

from kiosk.auth import Role
from kiosk.config import Settings
from kiosk.db import Database
from kiosk.demo.extras import DEMO_EXTRAS, DemoContext
from kiosk.demo.hospital import MED_SURG
from kiosk.demo.orders import ORDERS, seed
from kiosk.extensions import database
from kiosk.fhir.gateway import FhirGateway, UnitRef
from kiosk.orders.jobs import count_cosignatures
from kiosk.scheduler.context import JobContext
from tests.support.auth import sign_in_client
from tests.support.beds import page_text


def test_the_demo_has_orders_in_every_state_and_the_scheduler_counts_two_past_due(
        gateway: FhirGateway, demo_settings: Settings, make_app: Callable[..., Flask], tmp_path: Path) -> None:
    assert "kiosk.demo.orders:seed" in DEMO_EXTRAS
    scratch = Database(f"sqlite:///{tmp_path / 'demo.db'}")
    lines = [seed(DemoContext(demo_settings, gateway, scratch, lambda _l: None)) for _ in range(2)]
    scratch.dispose()
    assert f"0 created, {len(ORDERS)} already there." in lines[1], lines
    assert {state for _c, state, *_ in ORDERS} == {"cosign", "signed", "completed", "cancelled",
                                                       "disagreed", "own"}

    app = make_app()
    unit = UnitRef(system=gateway.identifiers.location, value=MED_SURG.code)
    assert demo_settings.unit.location == f"{unit.system}|{unit.value}"
    with app.app_context():
        line = count_cosignatures(JobContext(settings=demo_settings, database=database(), gateway=gateway,
                                             log=logging.getLogger("test"),
                                             clock=lambda: datetime.now(UTC)))
    assert ", 2 past due, 1 disagreement not yet seen" in line, line
    client = sign_in_client(app.test_client(), Role.PROVIDER)
    home = page_text(client.get("/").get_data(as_text=True))
    assert "orders awaiting co-signature, 2 past due" in home
    unit_list = sign_in_client(app.test_client()).get("/orders/cosign").get_data(as_text=True)
    assert unit_list.count("due-red") == 2 and "Dr. Adeyemi disagrees:" in unit_list
    # The provider's list also holds their orders on other units (other tests' units on this server).
    assert client.get("/orders/cosign").get_data(as_text=True).count('name="tasks"') >= 5
