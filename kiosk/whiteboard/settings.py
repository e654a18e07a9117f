"""The whiteboard's settings: config/whiteboard.toml, every key overridable by KIOSK_WHITEBOARD_<KEY>."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time

from kiosk.config import Settings
from kiosk.settings_files import SettingsFile, between, checked, one_of, read_dataclass, secret_token
from kiosk.tomlfile import TomlFile

CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
SHIFT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9 ]{0,19}$")


@dataclass(frozen=True)
class ShiftStart:
    name: str
    start: time


@dataclass(frozen=True)
class WhiteboardSettings:
    """See config/whiteboard.toml for what each key means."""

    refresh_seconds: int = field(default=30, metadata=checked(between(5, 600)))
    shift_names: tuple[str, ...] = ("Day", "Night")
    shift_starts: tuple[str, ...] = ("07:00", "19:00")
    staff_names: str = field(default="name", metadata=checked(one_of("name", "initials")))
    patient_names: str = field(default="none", metadata=checked(one_of("none", "initials", "name")))
    display_token: str = field(default="", metadata=checked(secret_token))
    unlisted_care_team_servers: tuple[str, ...] = ()

    @property
    def shifts(self) -> tuple[ShiftStart, ...]:
        return tuple(ShiftStart(name, _clock(start)) for name, start in zip(self.shift_names, self.shift_starts,
                                                                              strict=True))


def _clock(text: str) -> time:
    match = CLOCK.match(text)
    if not match:
        raise ValueError(text)
    return time(int(match.group(1)), int(match.group(2)))


def _parse(file: TomlFile, _settings: Settings, env: Mapping[str, str]) -> WhiteboardSettings:
    board = read_dataclass(file, WhiteboardSettings, env, "KIOSK_WHITEBOARD", "whiteboard")
    names, starts = board.shift_names, board.shift_starts
    if not names or len(names) != len(starts):
        raise file.error(("shift_starts",), f"shift_names and shift_starts must list the same shifts, at least one "
                                            f"(got {len(names)} names and {len(starts)} start times).")
    bad = next((n for n in names if not SHIFT_NAME.match(n)), None)
    if bad is not None or len({n.lower() for n in names}) != len(names):
        raise file.error(("shift_names",), "each shift needs its own name of 1 to 20 letters, digits or spaces, "
                                           f"starting with a letter (got {bad or 'a name twice'!r}).")
    wrong = next((s for s in starts if not CLOCK.match(s)), None)
    if wrong is not None:
        raise file.error(("shift_starts",), f"shift start {wrong!r} is not a time of day written HH:MM (07:00).")
    if list(starts) != sorted(starts) or len(set(starts)) != len(starts):
        raise file.error(("shift_starts",), "shift_starts must be in order through the day, each once.")
    return board


WHITEBOARD_FILE = SettingsFile("whiteboard", _parse)
