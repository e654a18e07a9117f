"""A supply unit of its own and the settings a scheduler process needs to share its database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kiosk.config import Settings
from kiosk.fhir.gateway import UnitRef
from tests.conftest import make_settings
from tests.support.supplies import SMALL_PAR, SupplyUnit, make_supply_unit, supplies_env, unit_env


@pytest.fixture
def supply_unit(make_unit: Callable[..., UnitRef], demo_settings: Settings, tmp_path: Path) -> Iterator[SupplyUnit]:
    par_file = tmp_path / "par-levels.toml"
    par_file.write_text(SMALL_PAR)
    db_path = tmp_path / "kiosk.db"
    unit = make_unit(2)
    env = {"KIOSK_FHIR_BASE_URL": demo_settings.fhir.base_url, "KIOSK_DATABASE_URL": f"sqlite:///{db_path}",
           "KIOSK_WEB_SECRET_KEY": "test-secret-key-not-for-production", **unit_env(unit), **supplies_env(par_file)}
    settings = make_settings(demo_settings.fhir.base_url, db_path, **unit_env(unit))
    supplies = make_supply_unit(unit, settings, env)
    yield supplies
    supplies.close()
