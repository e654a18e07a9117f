"""A fresh unit per test with the small par file, so reorder identifiers are the test's own."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kiosk.config import Settings
from kiosk.fhir.gateway import UnitRef
from tests.conftest import make_settings
from tests.support.supplies import SMALL_PAR, SupplyUnit, make_supply_unit, supplies_env, unit_env


@pytest.fixture
def par_file(tmp_path: Path) -> Path:
    path = tmp_path / "par-levels.toml"
    path.write_text(SMALL_PAR)
    return path


@pytest.fixture
def supply_unit(make_unit: Callable[..., UnitRef], demo_settings: Settings, tmp_path: Path,
                par_file: Path) -> Iterator[SupplyUnit]:
    unit = make_unit(2)
    settings = make_settings(demo_settings.fhir.base_url, tmp_path / "kiosk.db", **unit_env(unit))
    supplies = make_supply_unit(unit, settings, supplies_env(par_file))
    yield supplies
    supplies.close()
