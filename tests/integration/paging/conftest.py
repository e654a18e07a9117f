"""Paging on the real FHIR server with the demo's PractitionerRoles, a real SMTP server and a webhook
receiver started by the tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from kiosk.config import Settings
from kiosk.fhir.census import unit_census
from kiosk.fhir.gateway import FhirGateway
from kiosk.fhir.records import EncounterRecord
from tests.support.paging import SmtpSink, WebhookReceiver, load_roles, paging_env


@pytest.fixture(scope="session")
def role_system(gateway: FhirGateway, demo_settings: Settings) -> str:
    return load_roles(gateway, demo_settings)


@pytest.fixture
def paging_app(make_app: Callable[..., Flask], smtp: SmtpSink, webhook: WebhookReceiver, role_system: str) -> Flask:
    return make_app(**paging_env(smtp.port, webhook.url))


@pytest.fixture(scope="session")
def stays(gateway: FhirGateway) -> list[EncounterRecord]:
    """The demo 4 West unit's patients in a bed (shared with other tests: only read)."""
    return [e for e in unit_census(gateway).encounters if e.status == "in-progress" and e.patient]
