"""Fixtures of the housekeeping tests: a fresh unit per test with a kiosk serving it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from kiosk.fhir.gateway import FhirGateway, UnitRef
from tests.support.beds import BedUnit, unit_env, unit_gateway


@pytest.fixture
def hk_unit(gateway: FhirGateway, make_unit: Callable[..., UnitRef],
            make_app: Callable[..., Flask]) -> Callable[..., BedUnit]:
    """hk_unit(beds=20) -> a new unit, a gateway on it, and a kiosk app serving it."""

    def build(beds: int = 20) -> BedUnit:
        ref = make_unit(beds)
        return BedUnit(ref=ref, gw=unit_gateway(gateway, ref), app=make_app(**unit_env(ref)))

    return build
