"""The bed board's settings (config/beds.toml): defaults, KIOSK_BEDS_* overrides, and a clear error for a
wrong value."""

from __future__ import annotations

import pytest

from kiosk.beds.settings import BEDS_FILE
from kiosk.config import ConfigError, load_settings


def test_defaults_and_overrides() -> None:
    settings = load_settings(env={})
    assert BEDS_FILE.read(settings, env={}).refresh_seconds == 15
    s = BEDS_FILE.read(settings, env={"KIOSK_BEDS_REFRESH_SECONDS": "30", "KIOSK_BEDS_HOUSEKEEPING_AMBER_MINUTES": "20",
                                      "KIOSK_BEDS_HOUSEKEEPING_RED_MINUTES": "40"})
    assert (s.refresh_seconds, s.housekeeping_amber_minutes, s.housekeeping_red_minutes) == (30, 20, 40)


@pytest.mark.parametrize(("env", "words"), [
    ({"KIOSK_BEDS_REFRESH_SECONDS": "1"}, "KIOSK_BEDS_REFRESH_SECONDS: refresh_seconds must be between 5 and 600"),
    ({"KIOSK_BEDS_REFRESH_SECONDS": "soon"}, "refresh_seconds must be a whole number"),
    ({"KIOSK_BEDS_HOUSEKEEPING_AMBER_MINUTES": "90", "KIOSK_BEDS_HOUSEKEEPING_RED_MINUTES": "60"},
     "housekeeping_amber_minutes must be fewer minutes than housekeeping_red_minutes"),
    ({"KIOSK_BEDS_PUBLIC_DISPLAY_TOKEN": "short"}, "public_display_token must be empty or at least 24"),
])
def test_wrong_values_are_named(env: dict[str, str], words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        BEDS_FILE.read(load_settings(env={}), env=env)


def test_a_misspelt_key_names_the_file_and_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "beds.toml"
    path.write_text("refresh_seconds = 20\nrefresh_second = 8\n")
    with pytest.raises(ConfigError, match=r"beds.toml line 2: 'refresh_second' is not a bed board setting"):
        BEDS_FILE.read(load_settings(env={}), env={"KIOSK_BEDS_CONFIG": str(path)})
