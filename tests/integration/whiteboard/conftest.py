"""Fixtures of the whiteboard's integration tests: a fresh unit per test, with its nurses and aides."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from kiosk.fhir.gateway import FhirGateway, UnitRef
from tests.support.beds import unit_env, unit_gateway
from tests.support.whiteboard import AIDES, NURSES, Ward, add_people, steady_shifts


@pytest.fixture
def ward(gateway: FhirGateway, make_unit: Callable[..., UnitRef],
         make_app: Callable[..., Flask]) -> Callable[..., Ward]:
    """ward(beds=20, **env) -> a new unit with four nurses and two aides, and a kiosk app serving it."""

    def build(beds: int = 20, **env: str) -> Ward:
        ref = make_unit(beds)
        app = make_app(**unit_env(ref), **{**steady_shifts(), **env})
        gw = unit_gateway(gateway, ref)
        nurses, aides = add_people(gw, gw.unit_location_id(), str(ref.value), NURSES, AIDES)
        return Ward(ref=ref, gw=gw, app=app, nurses=nurses, aides=aides)

    return build
