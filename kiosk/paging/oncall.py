"""On-call roles: config/on-call.toml (KIOSK_ON_CALL_CONFIG names another file).

A role ("Hospitalist on call", "Rapid response", "Charge nurse") has shifts by day of week and time of
day in the station's time zone (kiosk.timeutil); each shift lists the PractitionerRoles on call, by
identifier, in order: the first is paged, the next is the backup when the first does not acknowledge.
A shift that ends at or before its start runs past midnight and belongs to the day it starts on.

    role_system = "urn:oid:2.16.840.1.113883.3.9999.6"

    [[role]]
    key = "hospitalist"
    name = "Hospitalist on call"

    [[role.shift]]
    days = ["mon", "tue", "wed", "thu", "fri"]
    from = "07:00"
    to = "19:00"
    people = ["HOSP-1", "HOSP-2"]
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from kiosk import timeutil
from kiosk.config import Settings
from kiosk.settings_files import SettingsFile, uri
from kiosk.tomlfile import KeyPath, TomlFile

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ROLE_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")


@dataclass(frozen=True)
class Shift:
    days: tuple[int, ...]  # 0 = Monday
    start: time
    end: time
    people: tuple[str, ...]  # PractitionerRole identifier values, first to page first

    @property
    def overnight(self) -> bool:
        return self.end <= self.start

    def covers(self, moment: datetime) -> bool:
        """Is `moment` (in the station's time zone) inside this shift?"""
        clock = moment.time().replace(second=0, microsecond=0)
        if not self.overnight:
            return moment.weekday() in self.days and self.start <= clock < self.end
        if clock >= self.start:
            return moment.weekday() in self.days
        return clock < self.end and (moment - timedelta(days=1)).weekday() in self.days


@dataclass(frozen=True)
class OnCallRole:
    key: str
    name: str
    shifts: tuple[Shift, ...]

    def people_at(self, moment: datetime) -> tuple[str, ...]:
        """Who is on call at `moment` (any time zone: it is read in the station's), in paging order."""
        local = timeutil.local(moment)
        for shift in self.shifts:
            if shift.covers(local):
                return shift.people
        return ()


@dataclass(frozen=True)
class OnCall:
    role_system: str
    roles: tuple[OnCallRole, ...]
    source: str = "config/on-call.toml"

    def role(self, key: str) -> OnCallRole | None:
        return next((r for r in self.roles if r.key == key), None)


def _text(file: TomlFile, path: KeyPath, value: Any, pattern: re.Pattern[str] | None, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise file.error(path, f"{what} must be quoted text, not {value!r}.")
    if pattern is not None and not pattern.match(value):
        raise file.error(path, f"{what} {value!r} is not valid ({pattern.pattern}).")
    return value.strip()


def _clock(file: TomlFile, path: KeyPath, value: Any) -> time:
    if not isinstance(value, str) or not CLOCK.match(value):
        raise file.error(path, f"'{path[-1]}' must be a time of day like \"07:00\", not {value!r}.")
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _shift(file: TomlFile, path: KeyPath, data: Any) -> Shift:
    if not isinstance(data, dict):
        raise file.error(path, "Each [[role.shift]] must be a table.")
    for key in data:
        if key not in ("days", "from", "to", "people"):
            raise file.error((*path, key), f"'{key}' is not a shift setting (days, from, to, people).")
    days = data.get("days", list(DAYS))
    if not isinstance(days, list) or not days or any(d not in DAYS for d in days):
        raise file.error((*path, "days"), f"days must be a list of {', '.join(DAYS)}, not {days!r}.")
    start = _clock(file, (*path, "from"), data.get("from", "00:00"))
    end = _clock(file, (*path, "to"), data.get("to", "00:00"))
    people = data.get("people")
    if not isinstance(people, list) or not people:
        raise file.error((*path, "people"), "people must list the PractitionerRole identifiers on call, "
                                            "first to page first.")
    ids = tuple(_text(file, (*path, "people", i), p, IDENTIFIER, "A PractitionerRole identifier")
                for i, p in enumerate(people))
    return Shift(tuple(DAYS.index(d) for d in days), start, end, ids)


def _parse(file: TomlFile, _settings: Settings, _env: Mapping[str, str]) -> OnCall:
    data = file.data
    for key in data:
        if key not in ("role_system", "role"):
            raise file.error((key,), f"'{key}' is not an on-call setting (role_system, role).")
    system = data.get("role_system", "urn:oid:2.16.840.1.113883.3.9999.6")
    problem = uri(system)
    if problem:
        raise file.error(("role_system",), f"role_system {problem}.")
    roles: list[OnCallRole] = []
    shift_lines = 0  # the file's [[role.shift]] tables are numbered across roles (their lines are kept so)
    for index, role in enumerate(data.get("role", [])):
        path: KeyPath = ("role", index)
        if not isinstance(role, dict):
            raise file.error(path, "Each [[role]] must be a table.")
        for key in role:
            if key not in ("key", "name", "shift"):
                raise file.error((*path, key), f"'{key}' is not an on-call role setting (key, name, shift).")
        key = _text(file, (*path, "key"), role.get("key"), ROLE_KEY, "A role key")
        if any(r.key == key for r in roles):
            raise file.error((*path, "key"), f"Two roles have the key {key!r}.")
        name = _text(file, (*path, "name"), role.get("name"), None, "A role name")
        shifts = tuple(_shift(file, ("role", "shift", shift_lines + i), s) for i, s in enumerate(role.get("shift", [])))
        shift_lines += len(shifts)
        if not shifts:
            raise file.error(path, f"Role {key!r} has no [[role.shift]].")
        roles.append(OnCallRole(key, name, shifts))
    return OnCall(str(system), tuple(roles), file.name)


ON_CALL_FILE = SettingsFile("on-call", _parse)
