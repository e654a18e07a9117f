"""Supplies configuration: config/supplies.toml (behaviour) and config/par-levels.toml (the unit's
supply locations and their items), both checked at start; an error is one sentence naming the line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from kiosk.config import Settings
from kiosk.fhir.gateway import UnitRef
from kiosk.settings_files import SettingsFile, between, checked, not_empty, read_dataclass, uri
from kiosk.tomlfile import TomlFile, read_toml

LOCATION_KINDS = {"room": "ro", "cabinet": "ca", "area": "area"}
LOCATION_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,19}$")
ITEM_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
BIN_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$")
ITEM_KEYS = ("code", "description", "unit", "par", "reorder", "bin")
MAX_PAR = 100_000


@dataclass(frozen=True)
class ParItem:
    code: str
    description: str
    unit: str
    par: int
    reorder_point: int
    bin: str | None = None


@dataclass(frozen=True)
class SupplyLocation:
    code: str
    name: str
    kind: str
    items: tuple[ParItem, ...]

    def item(self, code: str) -> ParItem | None:
        return next((i for i in self.items if i.code == code), None)

    @property
    def physical_type(self) -> str:
        """Location.physicalType code (location-physical-type): ro room, ca cabinet, area."""
        return LOCATION_KINDS[self.kind]


@dataclass(frozen=True)
class ParLevels:
    source: str
    locations: tuple[SupplyLocation, ...]

    def location(self, code: str) -> SupplyLocation | None:
        return next((loc for loc in self.locations if loc.code == code), None)

    def pairs(self) -> list[tuple[SupplyLocation, ParItem]]:
        return [(loc, item) for loc in self.locations for item in loc.items]

    @property
    def item_count(self) -> int:
        return sum(len(loc.items) for loc in self.locations)


@dataclass(frozen=True)
class SupplySettings:
    source: str
    par_levels: Path
    stale_after: timedelta
    item_system: str
    reorder_system: str
    routine_within: timedelta
    open_reorder_days: int
    unlisted_supply_request_servers: tuple[str, ...]


@dataclass(frozen=True)
class SuppliesConfig:
    settings: SupplySettings
    par: ParLevels
    #: The unit's code in identifiers (4W): the value of unit.location, or its Location id.
    unit_code: str


def load_supplies(settings: Settings, env: Mapping[str, str] | None = None) -> SuppliesConfig:
    """Both files, checked; raises ConfigError with one sentence naming the file and line."""
    return SUPPLIES_FILE.read(settings, env)


# ---------------------------------------------------------------- config/supplies.toml


@dataclass(frozen=True)
class SuppliesFile:
    """config/supplies.toml as written (see the file for what each key means)."""

    par_levels: str = field(default="config/par-levels.toml", metadata=checked(not_empty))
    stale_after_hours: float = field(default=24, metadata=checked(between(0.25, 24 * 14)))
    item_system: str = field(default="urn:oid:2.16.840.1.113883.3.9999.8", metadata=checked(uri))
    reorder_system: str = field(default="urn:oid:2.16.840.1.113883.3.9999.9", metadata=checked(uri))
    routine_within_hours: float = field(default=8, metadata=checked(between(0, 24 * 7)))
    open_reorder_days: int = field(default=3, metadata=checked(between(1, 31)))
    unlisted_supply_request_servers: tuple[str, ...] = ()


def _parse(file: TomlFile, settings: Settings, env: Mapping[str, str]) -> SuppliesConfig:
    raw = read_dataclass(file, SuppliesFile, env, "KIOSK_SUPPLIES", "supplies")
    par_path = Path(raw.par_levels)
    supply_settings = SupplySettings(
        source=file.name,
        par_levels=par_path if par_path.is_absolute() else settings.root / par_path,
        stale_after=timedelta(hours=raw.stale_after_hours),
        item_system=raw.item_system,
        reorder_system=raw.reorder_system,
        routine_within=timedelta(hours=raw.routine_within_hours),
        open_reorder_days=raw.open_reorder_days,
        unlisted_supply_request_servers=tuple(s.strip() for s in raw.unlisted_supply_request_servers),
    )
    unit = UnitRef.parse(settings.unit.location)
    return SuppliesConfig(settings=supply_settings, par=load_par_levels(supply_settings.par_levels),
                          unit_code=str(unit.value or unit.location_id))


SUPPLIES_FILE = SettingsFile("supplies", _parse)


# ---------------------------------------------------------------- config/par-levels.toml


def load_par_levels(path: Path) -> ParLevels:
    """The unit's supply locations and items; the first problem raises ConfigError naming its line."""
    file = read_toml(path)
    for key in file.data:
        if key not in ("locations", "items"):
            raise file.error((key,), f"'{key}' is not part of a par-levels file, which has [locations.<CODE>] "
                                     "tables and an [items] table.")
    declared = file.data.get("locations")
    if not isinstance(declared, dict) or not declared:
        raise file.error(("locations",), "the file declares no supply locations ([locations.<CODE>] tables).")
    headers = {code: _location_header(file, code, spec) for code, spec in declared.items()}
    items = file.data.get("items", {})
    if not isinstance(items, dict):
        raise file.error(("items",), "items must be a table of lists, one per location ([items]).")
    seen_bins: dict[str, str] = {}
    locations: list[SupplyLocation] = []
    for code, entries in items.items():
        if code not in headers:
            raise file.error(("items", code), f"items are listed for location '{code}', which is not declared; the "
                                              f"locations are {', '.join(headers)}.")
        if not isinstance(entries, list):
            raise file.error(("items", code), f"items of {code} must be a list of {{ code = ..., ... }} entries.")
        parsed: list[ParItem] = []
        for index, entry in enumerate(entries):
            item = _item(file, ("items", code, index), headers[code][0], entry)
            first = next((n for n, other in enumerate(parsed) if other.code == item.code), None)
            if first is not None:
                first_line = file.line_of(("items", code, first))
                raise file.error(("items", code, index, "code"),
                                 f"item code {item.code} appears twice in {headers[code][0]} (first on line "
                                 f"{first_line}); each item is listed once per location.")
            if item.bin:
                if item.bin in seen_bins:
                    raise file.error(("items", code, index, "bin"),
                                     f"bin code {item.bin} of item {item.code} is already the bin of item "
                                     f"{seen_bins[item.bin]}; a scan must find one bin.")
                seen_bins[item.bin] = item.code
            parsed.append(item)
        name, kind = headers[code]
        locations.append(SupplyLocation(code=code, name=name, kind=kind, items=tuple(parsed)))
    for code, (name, kind) in headers.items():
        if code not in items:
            locations.append(SupplyLocation(code=code, name=name, kind=kind, items=()))
    order = list(headers)
    locations.sort(key=lambda loc: order.index(loc.code))
    return ParLevels(source=file.name, locations=tuple(locations))


def _location_header(file: TomlFile, code: str, spec: Any) -> tuple[str, str]:
    path = ("locations", code)
    if not LOCATION_CODE.match(code):
        raise file.error(path, f"location code '{code}' must be 1 to 20 capital letters, digits or dashes.")
    if not isinstance(spec, dict):
        raise file.error(path, f"location {code} must be a table with a name and a kind.")
    for key in spec:
        if key not in ("name", "kind"):
            raise file.error((*path, key), f"'{key}' is not a location setting (name, kind).")
    name = spec.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 60:
        raise file.error((*path, "name"), f"location {code} needs a name of 1 to 60 characters.")
    kind = spec.get("kind", "room")
    if kind not in LOCATION_KINDS:
        raise file.error((*path, "kind"), f"kind of location {code} must be one of {', '.join(LOCATION_KINDS)}, "
                                          f"not {kind!r}.")
    return name.strip(), kind


def _item(file: TomlFile, path: tuple[str, str, int], location: str, entry: Any) -> ParItem:
    if not isinstance(entry, dict):
        raise file.error(path, f"each item of {location} must be written {{ code = ..., description = ..., ... }}.")
    for key in entry:
        if key not in ITEM_KEYS:
            raise file.error((*path, key), f"'{key}' is not an item setting ({', '.join(ITEM_KEYS)}).")
    code = entry.get("code")
    if not isinstance(code, str) or not ITEM_CODE.match(code):
        raise file.error((*path, "code"), f"an item of {location} has code {code!r}; an item code is quoted text "
                                          "of letters, digits, dots or dashes (up to 32).")
    label = f"item {code} in {location}"
    texts = {}
    for key, most in (("description", 120), ("unit", 20)):
        value = entry.get(key)
        if not isinstance(value, str) or not value.strip() or len(value) > most:
            raise file.error((*path, key), f"{label} needs a {key} of 1 to {most} characters.")
        texts[key] = value.strip()
    par = entry.get("par")
    if isinstance(par, bool) or not isinstance(par, int) or not 1 <= par <= MAX_PAR:
        raise file.error((*path, "par"), f"{label} has par {par!r}; par must be a whole number from 1 to {MAX_PAR}.")
    reorder = entry.get("reorder")
    if isinstance(reorder, bool) or not isinstance(reorder, int) or not 0 <= reorder < par:
        raise file.error((*path, "reorder"), f"{label} has reorder point {reorder!r}; it must be a whole number "
                                             f"from 0 to {par - 1} (below its par of {par}).")
    bin_code = entry.get("bin")
    if bin_code is not None and (not isinstance(bin_code, str) or not BIN_CODE.match(bin_code)):
        raise file.error((*path, "bin"), f"{label} has bin code {bin_code!r}; a bin code is quoted text of letters, "
                                         "digits, dots, dashes or slashes (up to 40).")
    return ParItem(code=code, description=texts["description"], unit=texts["unit"], par=par,
                   reorder_point=reorder, bin=bin_code)
