"""Patient transport's settings: config/transport.toml, keys overridable by KIOSK_TRANSPORT_<KEY>
(KIOSK_TRANSPORT_TARGETS_<KEY> for the targets); KIOSK_TRANSPORT_CONFIG names another file.

The lists in it (`[[places]]`, the destinations that are not Locations on the FHIR server, and
`[[zones]]`, the units whose jobs a transporter sees together) are read here entry by entry, each
error naming its line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kiosk.config import Settings
from kiosk.settings_files import SettingsFile, between, checked, read_dataclass
from kiosk.tomlfile import TomlFile

PRIORITIES = ("stat", "urgent", "routine")
PLACE_KINDS = {"discharge": "Discharge", "department": "Departments", "other": "Other places"}
CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


def _role_key(value: object) -> str | None:
    """Empty (nobody to page), or an on-call role's key as config/on-call.toml spells it."""
    if value == "" or (isinstance(value, str) and CODE.match(value)):
        return None
    return "must be empty or an on-call role's key from config/on-call.toml (lower-case letters, digits and '-')"


@dataclass(frozen=True)
class Targets:
    """Minutes from the time a job may be picked up (the request, or the pickup time asked for) to the
    pickup, per priority."""

    stat_minutes: int = field(default=10, metadata=checked(between(1, 240)))
    urgent_minutes: int = field(default=20, metadata=checked(between(1, 240)))
    routine_minutes: int = field(default=45, metadata=checked(between(1, 24 * 60)))

    def minutes(self, priority: str) -> int:
        return {"stat": self.stat_minutes, "urgent": self.urgent_minutes}.get(priority, self.routine_minutes)


@dataclass(frozen=True)
class Place:
    """A destination that is not a Location on the FHIR server (the discharge lounge, the main
    entrance where a car waits)."""

    code: str
    name: str
    kind: str


@dataclass(frozen=True)
class Zone:
    """Units whose jobs the same transporters cover. `units` are Location references
    ('Location/<id>') or unit identifiers in the hospital's location identifier system."""

    code: str
    name: str
    units: tuple[str, ...]


@dataclass(frozen=True)
class Scalars:
    refresh_seconds: int = field(default=15, metadata=checked(between(5, 600)))
    amber_percent: int = field(default=75, metadata=checked(between(10, 100)))
    delivered_hours: int = field(default=4, metadata=checked(between(1, 48)))
    pickup_ahead_hours: int = field(default=24, metadata=checked(between(1, 72)))
    dispatcher_role: str = field(default="", metadata=checked(_role_key))
    targets: Targets = field(default_factory=Targets)


@dataclass(frozen=True)
class TransportSettings:
    """How often the screens refresh; when a waiting job turns amber (a share of its target) and red
    (past it); how long a delivered transfer keeps offering the move into its bed; how far ahead a
    pickup may be asked for; the on-call role (config/on-call.toml) paged when a job is escalated, empty
    for none; the targets; the configured places and the zones."""

    refresh_seconds: int = 15
    amber_percent: int = 75
    delivered_hours: int = 4
    pickup_ahead_hours: int = 24
    dispatcher_role: str = ""
    targets: Targets = field(default_factory=Targets)
    places: tuple[Place, ...] = ()
    zones: tuple[Zone, ...] = ()

    def place(self, code: str) -> Place | None:
        return next((p for p in self.places if p.code == code), None)

    def zone(self, code: str) -> Zone | None:
        return next((z for z in self.zones if z.code == code), None)


def _text(file: TomlFile, path: tuple[str | int, ...], value: Any, what: str, max_len: int = 80) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > max_len:
        raise file.error(path, f"{what} must be quoted text of 1 to {max_len} characters.")
    return value.strip()


def _entries(file: TomlFile, key: str, keys: tuple[str, ...]) -> list[tuple[int, dict[str, Any]]]:
    raw = file.data.get(key, [])
    if not isinstance(raw, list) or not all(isinstance(e, dict) for e in raw):
        raise file.error((key,), f"{key} must be a list of tables ([[{key}]]).")
    codes: set[str] = set()
    for index, entry in enumerate(raw):
        for name in entry:
            if name not in keys:
                raise file.error((key, index, name), f"'{name}' is not a key of [[{key}]] (known: {', '.join(keys)}).")
        code = entry.get("code")
        if not isinstance(code, str) or not CODE.match(code):
            raise file.error((key, index, "code"), f"each [[{key}]] needs a code of lower-case letters, digits "
                                                   "and '-' (at most 40).")
        if code in codes:
            raise file.error((key, index, "code"), f"the {key[:-1]} code '{code}' is used twice.")
        codes.add(code)
    return list(enumerate(raw))


def _places(file: TomlFile) -> tuple[Place, ...]:
    out = []
    for index, entry in _entries(file, "places", ("code", "name", "kind")):
        kind = entry.get("kind", "other")
        if kind not in PLACE_KINDS:
            raise file.error(("places", index, "kind"), f"kind must be one of {', '.join(PLACE_KINDS)}, not {kind!r}.")
        out.append(Place(entry["code"], _text(file, ("places", index, "name"), entry.get("name"), "name"), kind))
    return tuple(out)


def _zones(file: TomlFile) -> tuple[Zone, ...]:
    out = []
    for index, entry in _entries(file, "zones", ("code", "name", "units")):
        units = entry.get("units")
        if not isinstance(units, list) or not units or not all(isinstance(u, str) and u.strip() for u in units):
            raise file.error(("zones", index, "units"), "units must be a list of unit identifiers or "
                                                        "'Location/<id>' references.")
        out.append(Zone(entry["code"], _text(file, ("zones", index, "name"), entry.get("name"), "name"),
                        tuple(u.strip() for u in units)))
    return tuple(out)


def _parse(file: TomlFile, _settings: Settings, env: Mapping[str, str]) -> TransportSettings:
    flat = TomlFile(file.path, file.text, {k: v for k, v in file.data.items() if k not in ("places", "zones")},
                    file.lines)
    scalars = read_dataclass(flat, Scalars, env, "KIOSK_TRANSPORT", "transport")
    return TransportSettings(refresh_seconds=scalars.refresh_seconds, amber_percent=scalars.amber_percent,
                             delivered_hours=scalars.delivered_hours, pickup_ahead_hours=scalars.pickup_ahead_hours,
                             dispatcher_role=scalars.dispatcher_role, targets=scalars.targets, places=_places(file),
                             zones=_zones(file))


TRANSPORT_FILE = SettingsFile("transport", _parse)
