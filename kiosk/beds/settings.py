"""The bed board's settings: config/beds.toml, every key overridable by KIOSK_BEDS_<KEY>."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from kiosk.config import Settings
from kiosk.settings_files import SettingsFile, between, checked, read_dataclass, secret_token
from kiosk.tomlfile import TomlFile


@dataclass(frozen=True)
class BedSettings:
    """How often the board refreshes, when a housekeeping bed turns amber then red, and the corridor
    screen's secret."""

    refresh_seconds: int = field(default=15, metadata=checked(between(5, 600)))
    housekeeping_amber_minutes: int = field(default=45, metadata=checked(between(1, 24 * 60)))
    housekeeping_red_minutes: int = field(default=90, metadata=checked(between(1, 24 * 60)))
    #: A corridor screen opens /beds/display/<token> without a sign-in (rooms and initials only).
    #: Empty: no such screen. A secret: set it in the environment (KIOSK_BEDS_PUBLIC_DISPLAY_TOKEN).
    public_display_token: str = field(default="", metadata=checked(secret_token))


def _parse(file: TomlFile, _settings: Settings, env: Mapping[str, str]) -> BedSettings:
    beds = read_dataclass(file, BedSettings, env, "KIOSK_BEDS", "bed board")
    if beds.housekeeping_amber_minutes >= beds.housekeeping_red_minutes:
        raise file.error(("housekeeping_amber_minutes",),
                         "housekeeping_amber_minutes must be fewer minutes than housekeeping_red_minutes "
                         f"(got {beds.housekeeping_amber_minutes} and {beds.housekeeping_red_minutes}).")
    return beds


BEDS_FILE = SettingsFile("beds", _parse)
