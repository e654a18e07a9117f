"""Fixtures of the bed board's integration tests: a fresh unit per test (the demo 4 West unit is read
by other tests and is never changed here)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.config import Settings
from kiosk.fhir.gateway import FhirGateway, UnitRef
from tests.support.beds import BedUnit, unit_app, unit_gateway


@pytest.fixture
def bed_unit(gateway: FhirGateway, make_unit: Callable[..., UnitRef], demo_settings: Settings,
             tmp_path: Path) -> Callable[..., BedUnit]:
    def build(beds: int = 20, with_app: bool = True, **env: str) -> BedUnit:
        ref = make_unit(beds)
        app = unit_app(demo_settings, ref, tmp_path / f"kiosk-{ref.value}.db", **env) if with_app else None
        return BedUnit(ref=ref, gw=unit_gateway(gateway, ref), app=app)

    return build
