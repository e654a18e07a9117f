"""The unit's shifts on the station's clock: which shift a moment falls in, and the ones before and after.

A shift is named by the local day it starts on and its name ("2026-11-28 Night" runs from 19:00 on the
28th to 07:00 on the 29th); its `key` ("2026-11-28-night") goes into the identifiers of the care teams
written for it, so every station that assigns the same shift writes the same records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from kiosk import timeutil

from .settings import ShiftStart


@dataclass(frozen=True)
class Shift:
    name: str
    day: date
    start: datetime  # aware, UTC
    end: datetime

    @property
    def key(self) -> str:
        return f"{self.day.isoformat()}-{self.name.lower().replace(' ', '-')}"

    @property
    def label(self) -> str:
        """'Night shift, Sat 28 Nov, 19:00-07:00'."""
        start, end = timeutil.local(self.start), timeutil.local(self.end)
        return f"{self.name} shift, {self.day:%a} {self.day.day} {self.day:%b}, {start:%H:%M}–{end:%H:%M}"

    @property
    def short(self) -> str:
        """'Night 28 Nov'."""
        return f"{self.name} {self.day.day} {self.day:%b}"


def _at(day: date, defs: tuple[ShiftStart, ...], index: int) -> datetime:
    """The aware start of shift `index` (wrapping into the next or previous day) counted from `day`."""
    days, position = divmod(index, len(defs))
    local = datetime.combine(day + timedelta(days=days), defs[position].start)
    zone = timeutil.station_zone()
    aware = local.replace(tzinfo=zone) if zone is not None else local.astimezone()
    return aware.astimezone(UTC)  # in UTC, so that lengths and comparisons count real hours across a DST change


def _shift(day: date, defs: tuple[ShiftStart, ...], index: int) -> Shift:
    days, position = divmod(index, len(defs))
    return Shift(defs[position].name, day + timedelta(days=days), _at(day, defs, index), _at(day, defs, index + 1))


def shift_at(moment: datetime, defs: tuple[ShiftStart, ...]) -> Shift:
    """The shift `moment` falls in."""
    day = timeutil.local_date(moment)
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    index = -1  # the last shift of the day before, until the first start of today
    for i in range(len(defs)):
        if _at(day, defs, i) <= aware:
            index = i
    return _shift(day, defs, index)


def next_shift(shift: Shift, defs: tuple[ShiftStart, ...]) -> Shift:
    return shift_at(shift.end, defs)


def previous_shift(shift: Shift, defs: tuple[ShiftStart, ...]) -> Shift:
    return shift_at(shift.start - timedelta(seconds=1), defs)
