"""PINs are hashed at production cost everywhere but in the test suite, and nothing can mix the two up."""

from __future__ import annotations

import pytest
from argon2 import extract_parameters
from argon2.profiles import RFC_9106_LOW_MEMORY

from kiosk import create_app
from kiosk.auth import services
from kiosk.config import load_settings

SETTINGS_ENV = {"KIOSK_WEB_SECRET_KEY": "x" * 32, "KIOSK_DATABASE_URL": "sqlite:///:memory:"}


def test_production_cost_is_fixed_in_code_at_rfc_9106s_second_option() -> None:
    assert services.PIN_HASHING == RFC_9106_LOW_MEMORY
    made = services._PinHasher(services.PIN_HASHING).hasher.hash("2468")
    cost = extract_parameters(made)
    assert (cost.time_cost, cost.memory_cost, cost.parallelism) == (3, 65536, 4)


def test_the_test_suite_hashes_at_the_least_cost() -> None:
    cost = extract_parameters(services._pins.hasher.hash("2468"))  # tests/conftest.py chose it for this process
    assert (cost.time_cost, cost.memory_cost, cost.parallelism) == (1, 8, 1)
    assert extract_parameters(services._pins.dummy_hash) == cost  # a wrong badge costs what a wrong PIN does


def test_an_app_not_marked_for_testing_refuses_the_test_cost() -> None:
    with pytest.raises(RuntimeError, match="test suite's cost"):
        create_app(load_settings(env=SETTINGS_ENV))
    assert create_app(load_settings(env=SETTINGS_ENV), testing=True).testing


def test_at_production_cost_any_app_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "_pins", services._PinHasher(services.PIN_HASHING))
    assert not create_app(load_settings(env=SETTINGS_ENV)).testing
