"""Fixtures of the bed board's integration tests: a fresh unit per test (the demo 4 West unit is read
by other tests and is never changed here)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from kiosk.fhir.gateway import FhirGateway, UnitRef
from tests.support.beds import BedUnit, unit_env, unit_gateway


@pytest.fixture
def bed_unit(gateway: FhirGateway, make_unit: Callable[..., UnitRef],
             make_app: Callable[..., Flask]) -> Callable[..., BedUnit]:
    """bed_unit(beds=20, with_app=True) -> a new unit, a gateway on it, and a kiosk app serving it."""

    def build(beds: int = 20, with_app: bool = True, **env: str) -> BedUnit:
        ref = make_unit(beds)
        app = make_app(**unit_env(ref), **env) if with_app else None
        return BedUnit(ref=ref, gw=unit_gateway(gateway, ref), app=app)

    return build
