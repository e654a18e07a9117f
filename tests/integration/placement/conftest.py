"""A fresh unit per test with a kiosk serving it (the demo's 4 West is left alone)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from kiosk.fhir.gateway import FhirGateway, UnitRef
from tests.support.beds import unit_env, unit_gateway
from tests.support.placement import PlacementUnit


@pytest.fixture
def placement_unit(gateway: FhirGateway, make_unit: Callable[..., UnitRef],
                   make_app: Callable[..., Flask]) -> Callable[..., PlacementUnit]:
    def build(beds: int = 32) -> PlacementUnit:
        ref = make_unit(beds)
        return PlacementUnit(ref=ref, gw=unit_gateway(gateway, ref), app=make_app(**unit_env(ref)))

    return build
