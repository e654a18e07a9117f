"""The [beds] settings: defaults, KIOSK_BEDS_* overrides, and a clear error for a wrong value."""

from __future__ import annotations

import pytest

from kiosk.config import ConfigError, load_settings


def test_defaults_and_overrides() -> None:
    assert load_settings(env={}).beds.refresh_seconds == 15
    s = load_settings(env={"KIOSK_BEDS_REFRESH_SECONDS": "30", "KIOSK_BEDS_HOUSEKEEPING_AMBER_MINUTES": "20",
                           "KIOSK_BEDS_HOUSEKEEPING_RED_MINUTES": "40"})
    assert (s.beds.refresh_seconds, s.beds.housekeeping_amber_minutes, s.beds.housekeeping_red_minutes) == (30, 20, 40)


@pytest.mark.parametrize(("env", "words"), [
    ({"KIOSK_BEDS_REFRESH_SECONDS": "1"}, "beds.refresh_seconds"),
    ({"KIOSK_BEDS_REFRESH_SECONDS": "soon"}, "beds.refresh_seconds"),
    ({"KIOSK_BEDS_HOUSEKEEPING_AMBER_MINUTES": "90", "KIOSK_BEDS_HOUSEKEEPING_RED_MINUTES": "60"}, "amber before red"),
])
def test_wrong_values_are_named(env: dict[str, str], words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        load_settings(env=env)
