"""Call-light settings: config/calls.toml (every key overridable by KIOSK_CALLS_<KEY>), and the nurse-call
system's shared secret, from the environment only: KIOSK_CALLS_WEBHOOK_SECRET."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time

from kiosk.config import Settings
from kiosk.settings_files import SettingsFile, between, checked, read_dataclass
from kiosk.tomlfile import TomlFile

CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def _clock(value: object) -> str | None:
    if isinstance(value, str) and CLOCK.match(value):
        return None
    return f"must be a time of day like \"07:00\", not {value!r}"


@dataclass(frozen=True)
class CallsSettings:
    """config/calls.toml as written (see the file for what each key means)."""

    #: The day shift starts here, the night shift at night_shift_starts (the station's time zone).
    day_shift_starts: str = field(default="07:00", metadata=checked(_clock))
    night_shift_starts: str = field(default="19:00", metadata=checked(_clock))
    #: An unanswered call turns amber, then red, after this many minutes (an emergency is red at once).
    amber_minutes: float = field(default=3, metadata=checked(between(0.5, 120)))
    red_minutes: float = field(default=6, metadata=checked(between(0.5, 240)))
    #: The open calls on screen are read again this often (seconds).
    refresh_seconds: int = field(default=5, metadata=checked(between(2, 120)))
    #: Signed calls further than this from the kiosk's clock are refused (seconds).
    max_skew_seconds: int = field(default=300, metadata=checked(between(10, 3600)))
    #: An emergency nobody answered or paged by the stat page's first escalation step (config/paging.toml
    #: stat_repeat_minutes) pages the bed's nurse by itself; with no nurse to page, this on-call role
    #: (config/on-call.toml). Empty: nobody else, and the call's row says so.
    emergency_role: str = "charge-nurse"

    def shift_starts(self) -> tuple[time, time]:
        day = time(*map(int, self.day_shift_starts.split(":")))
        night = time(*map(int, self.night_shift_starts.split(":")))
        return day, night


@dataclass(frozen=True)
class CallsConfig:
    settings: CallsSettings
    #: Signs the nurse-call system's posts; empty: the kiosk takes no calls from it.
    webhook_secret: str = field(default="", repr=False)


def _parse(file: TomlFile, _settings: Settings, env: Mapping[str, str]) -> CallsConfig:
    calls = read_dataclass(file, CallsSettings, env, "KIOSK_CALLS", "call-light")
    if calls.amber_minutes >= calls.red_minutes:
        raise file.error(("amber_minutes",), f"amber_minutes must be fewer minutes than red_minutes (got "
                                             f"{calls.amber_minutes:g} and {calls.red_minutes:g}).")
    if calls.day_shift_starts == calls.night_shift_starts:
        raise file.error(("night_shift_starts",), "The day and night shifts must start at different times.")
    return CallsConfig(calls, env.get("KIOSK_CALLS_WEBHOOK_SECRET", ""))


CALLS_FILE = SettingsFile("calls", _parse)
