"""Fixtures of the transport tests: the hospital's departments (once per run) and a fresh unit per
test with a kiosk serving it (the demo's 4 West is left alone)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from kiosk.demo.transport import seed_departments
from kiosk.fhir.gateway import FhirGateway, UnitRef
from tests.support.beds import unit_env, unit_gateway
from tests.support.transport import TransportUnit


@pytest.fixture(scope="session")
def departments(gateway: FhirGateway) -> dict[str, str]:
    return seed_departments(gateway)


@pytest.fixture
def transport_unit(gateway: FhirGateway, make_unit: Callable[..., UnitRef], make_app: Callable[..., Flask],
                   departments: dict[str, str]) -> Callable[..., TransportUnit]:
    """transport_unit(beds=12, **env) -> a new unit, a gateway on it and a kiosk serving it."""

    def build(beds: int = 12, **env: str) -> TransportUnit:
        ref = make_unit(beds)
        app = make_app(**unit_env(ref), **env)
        return TransportUnit(ref=ref, gw=unit_gateway(gateway, ref), app=app, departments=departments)

    return build
