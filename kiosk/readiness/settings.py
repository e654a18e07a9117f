"""Room readiness settings: config/readiness.toml (see the file for what each entry means)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from kiosk.config import Settings
from kiosk.settings_files import SettingsFile, between, checked, read_dataclass
from kiosk.tomlfile import TomlFile

ITEM_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
LOCATION_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,19}$")
CHECKS = ("person", "housekeeping", "supplies")
WHEN = ("always", "isolation", "bariatric")
ITEM_FIELDS = ("key", "label", "short", "check", "when")


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str
    short: str
    check: str
    when: str = "always"


@dataclass(frozen=True)
class Checklist:
    """[checklist] as written."""

    valid_for_hours: float = field(default=12, metadata=checked(between(0.25, 24 * 7)))
    default_supplies: tuple[str, ...] = ("CLEAN",)
    bariatric_flag_codes: tuple[str, ...] = ("bariatric",)


@dataclass(frozen=True)
class ReadinessSettings:
    items: tuple[ChecklistItem, ...]
    valid_for: timedelta
    default_supplies: tuple[str, ...]
    room_supplies: dict[str, tuple[str, ...]]
    bariatric_flag_codes: frozenset[str]

    def supplies_of(self, room_number: str) -> tuple[str, ...]:
        return self.room_supplies.get(room_number, self.default_supplies)

    def item(self, key: str) -> ChecklistItem | None:
        return next((i for i in self.items if i.key == key), None)


def _item(file: TomlFile, index: int, entry: Any) -> ChecklistItem:
    path = ("items", index)
    if not isinstance(entry, dict):
        raise file.error(path, "each [[items]] entry must be a table with key, label, short and check.")
    for name in entry:
        if name not in ITEM_FIELDS:
            raise file.error((*path, name), f"'{name}' is not a checklist item setting ({', '.join(ITEM_FIELDS)}).")
    key = entry.get("key")
    if not isinstance(key, str) or not ITEM_KEY.match(key):
        raise file.error((*path, "key"), f"checklist item {index + 1} needs a key of lower-case letters, digits and "
                                         f"dashes (got {key!r}).")
    texts = {}
    for name, most in (("label", 80), ("short", 16)):
        value = entry.get(name)
        if not isinstance(value, str) or not value.strip() or len(value) > most:
            raise file.error((*path, name), f"checklist item {key} needs a {name} of 1 to {most} characters.")
        texts[name] = value.strip()
    check = entry.get("check")
    if check not in CHECKS:
        raise file.error((*path, "check"), f"check of checklist item {key} must be one of {', '.join(CHECKS)}, "
                                           f"not {check!r}.")
    when = entry.get("when", "always")
    if when not in WHEN:
        raise file.error((*path, "when"), f"when of checklist item {key} must be one of {', '.join(WHEN)}, "
                                          f"not {when!r}.")
    return ChecklistItem(key, texts["label"], texts["short"], check, when)


def _parse(file: TomlFile, _settings: Settings, env: Mapping[str, str]) -> ReadinessSettings:
    for key in file.data:
        if key not in ("checklist", "room_supplies", "items"):
            raise file.error((key,), f"'{key}' is not part of a readiness file, which has [checklist], "
                                     "[room_supplies] and [[items]].")
    checklist = read_dataclass(file, Checklist, env, "KIOSK_READINESS", "readiness", ("checklist",))
    entries = file.data.get("items")
    if not isinstance(entries, list) or not entries:
        raise file.error(("items",), "the checklist has no items ([[items]] tables).")
    items: list[ChecklistItem] = []
    for index, entry in enumerate(entries):
        item = _item(file, index, entry)
        if any(i.key == item.key for i in items):
            raise file.error(("items", index, "key"), f"checklist item {item.key} is listed twice.")
        items.append(item)
    rooms = file.data.get("room_supplies", {})
    if not isinstance(rooms, dict):
        raise file.error(("room_supplies",), "room_supplies must be a table: \"405\" = [\"CLEAN\"].")
    room_supplies: dict[str, tuple[str, ...]] = {}
    for room, codes in rooms.items():
        if not isinstance(codes, list) or not all(isinstance(c, str) and LOCATION_CODE.match(c) for c in codes):
            raise file.error(("room_supplies", room), f"the supplies of room {room} must be a list of supply "
                                                      "location codes (capitals, digits, dashes).")
        room_supplies[str(room)] = tuple(codes)
    wrong = next((c for c in checklist.default_supplies if not LOCATION_CODE.match(c)), None)
    if wrong is not None:
        raise file.error(("checklist", "default_supplies"), f"{wrong!r} is not a supply location code.")
    return ReadinessSettings(items=tuple(items), valid_for=timedelta(hours=checklist.valid_for_hours),
                             default_supplies=checklist.default_supplies, room_supplies=room_supplies,
                             bariatric_flag_codes=frozenset(checklist.bariatric_flag_codes))


READINESS_FILE = SettingsFile("readiness", _parse)
