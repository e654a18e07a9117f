"""Discharge-ready milestones: config/discharge.toml (see the file for what each entry means)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kiosk.config import Settings
from kiosk.settings_files import SettingsFile
from kiosk.tomlfile import TomlFile

MILESTONE_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
MILESTONE_FIELDS = ("key", "label")


@dataclass(frozen=True)
class Milestone:
    key: str
    label: str


@dataclass(frozen=True)
class DischargeSettings:
    milestones: tuple[Milestone, ...]

    def milestone(self, key: str) -> Milestone | None:
        return next((m for m in self.milestones if m.key == key), None)


def _milestone(file: TomlFile, index: int, entry: Any) -> Milestone:
    path = ("milestones", index)
    if not isinstance(entry, dict):
        raise file.error(path, "each [[milestones]] entry must be a table with key and label.")
    for name in entry:
        if name not in MILESTONE_FIELDS:
            raise file.error((*path, name), f"'{name}' is not a milestone setting ({', '.join(MILESTONE_FIELDS)}).")
    key = entry.get("key")
    if not isinstance(key, str) or not MILESTONE_KEY.match(key):
        raise file.error((*path, "key"), f"milestone {index + 1} needs a key of lower-case letters, digits and "
                                         f"dashes (got {key!r}).")
    label = entry.get("label")
    if not isinstance(label, str) or not label.strip() or len(label) > 60:
        raise file.error((*path, "label"), f"milestone {key} needs a label of 1 to 60 characters.")
    return Milestone(key, label.strip())


def parse(file: TomlFile, _settings: Settings | None = None, _env: Mapping[str, str] | None = None
          ) -> DischargeSettings:
    for key in file.data:
        if key != "milestones":
            raise file.error((key,), f"'{key}' is not part of a discharge file, which has [[milestones]].")
    entries = file.data.get("milestones")
    if not isinstance(entries, list) or not entries:
        raise file.error(("milestones",), "the file lists no milestones ([[milestones]] tables).")
    milestones: list[Milestone] = []
    for index, entry in enumerate(entries):
        found = _milestone(file, index, entry)
        if any(m.key == found.key for m in milestones):
            raise file.error(("milestones", index, "key"), f"milestone {found.key} is listed twice.")
        milestones.append(found)
    return DischargeSettings(tuple(milestones))


DISCHARGE_FILE = SettingsFile("discharge", parse)
