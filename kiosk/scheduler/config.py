"""config/scheduler.toml: when each job runs, validated at start with errors that name the line.

    [scheduler]
    lease_seconds = 30          # the lock's length without a heartbeat
    poll_seconds = 2            # how often "run now" requests are looked for
    timezone = ""               # of the cron expressions; empty = this machine's
    keep_history_days = 30      # answered requests and the run log are kept this long

    [jobs.supply-check]
    cron = ["0 7 * * *", "0 19 * * *"]   # crontab lines (minute hour day month weekday)
    interval_minutes = 240               # or interval_seconds / interval_hours; with cron, both apply
    enabled = true

A job of the registry with no [jobs.<name>] table runs only when someone asks for it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from tzlocal import get_localzone

from kiosk.config import Settings
from kiosk.settings_files import SettingsFile
from kiosk.timeutil import station_zone
from kiosk.tomlfile import TomlFile, read_toml

from .registry import job_names

INTERVAL_UNITS = {"interval_seconds": 1, "interval_minutes": 60, "interval_hours": 3600}
SCHEDULER_KEYS = {"lease_seconds", "poll_seconds", "timezone", "keep_history_days"}
JOB_KEYS = {"cron", "enabled", *INTERVAL_UNITS}


@dataclass(frozen=True)
class JobSchedule:
    name: str
    cron: tuple[str, ...] = ()
    interval_seconds: float | None = None
    enabled: bool = True

    def trigger(self, zone: tzinfo) -> BaseTrigger:
        triggers: list[BaseTrigger] = [CronTrigger.from_crontab(expr, timezone=zone) for expr in self.cron]
        if self.interval_seconds:
            triggers.append(IntervalTrigger(seconds=self.interval_seconds, timezone=zone))
        return triggers[0] if len(triggers) == 1 else OrTrigger(triggers)

    def describe(self) -> str:
        parts = [f"cron '{expr}'" for expr in self.cron]
        if self.interval_seconds:
            parts.append(f"every {_duration(self.interval_seconds)}")
        return " and ".join(parts) if parts else "on request only"


@dataclass(frozen=True)
class SchedulerConfig:
    source: str
    lease_seconds: float = 30.0
    poll_seconds: float = 2.0
    timezone: tzinfo = field(default_factory=get_localzone)
    jobs: dict[str, JobSchedule] = field(default_factory=dict)
    keep_history_days: int = 30

    def schedule_of(self, name: str) -> JobSchedule:
        return self.jobs.get(name) or JobSchedule(name=name)


def _duration(seconds: float) -> str:
    for unit, size in (("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)} {unit}"
    return f"{seconds:g} s"


def config_path(settings: Settings, env: Mapping[str, str] | None = None) -> Path:
    return SCHEDULER_FILE.path(settings, {**os.environ, **settings.env} if env is None else env)


def load_scheduler_config(path: Path) -> SchedulerConfig:
    """Read and check a scheduler file; a wrong entry raises ConfigError naming its line."""
    return parse_scheduler_config(read_toml(path))


def parse_scheduler_config(file: TomlFile) -> SchedulerConfig:
    """config/scheduler.toml (KIOSK_SCHEDULER_CONFIG names another file), checked: a wrong entry raises
    ConfigError naming its line."""
    data = file.data
    for key in data:
        if key not in ("scheduler", "jobs"):
            raise file.error((key,), f"'{key}' is not a scheduler setting; the file has [scheduler] and [jobs.<name>].")
    general = _table(file, ("scheduler",))
    for key in general:
        if key not in SCHEDULER_KEYS:
            raise file.error(("scheduler", key), f"scheduler.{key} is not a setting; check its spelling "
                                                 f"(known: {', '.join(sorted(SCHEDULER_KEYS))}).")
    lease = _number(file, ("scheduler", "lease_seconds"), general.get("lease_seconds", 30), 5, 600)
    poll = _number(file, ("scheduler", "poll_seconds"), general.get("poll_seconds", 2), 0.2, 60)
    if poll >= lease:
        raise file.error(("scheduler", "poll_seconds"),
                         f"scheduler.poll_seconds ({poll:g}) must be shorter than lease_seconds ({lease:g}).")
    zone = _zone(file, general.get("timezone", ""))
    keep = general.get("keep_history_days", 30)
    if isinstance(keep, bool) or not isinstance(keep, int) or not 1 <= keep <= 3650:
        raise file.error(("scheduler", "keep_history_days"),
                         f"scheduler.keep_history_days must be a whole number of days from 1 to 3650, not {keep!r}.")
    jobs = {name: _job(file, name, zone) for name in _table(file, ("jobs",))}
    return SchedulerConfig(source=file.name, lease_seconds=lease, poll_seconds=poll, timezone=zone, jobs=jobs,
                           keep_history_days=keep)


def _table(file: TomlFile, path: tuple[str, ...]) -> dict[str, Any]:
    value = file.data.get(path[0], {})
    if not isinstance(value, dict):
        raise file.error(path, f"'{path[0]}' must be a table ([{path[0]}]).")
    return value


def _number(file: TomlFile, path: tuple[str, ...], value: Any, low: float, high: float) -> float:
    name = ".".join(path)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise file.error(path, f"{name} must be a number of seconds, not {value!r}.")
    if not low <= value <= high:
        raise file.error(path, f"{name} must be between {low:g} and {high:g} seconds, not {value:g}.")
    return float(value)


def _zone(file: TomlFile, name: Any) -> tzinfo:
    """The cron lines' zone; empty means the station's (station.timezone), else this machine's."""
    if not isinstance(name, str):
        raise file.error(("scheduler", "timezone"), f"scheduler.timezone must be a time zone name, not {name!r}.")
    if not name:
        return station_zone() or get_localzone()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise file.error(("scheduler", "timezone"),
                         f"scheduler.timezone '{name}' is not a time zone name (such as 'America/Chicago').") from None


def _job(file: TomlFile, name: str, zone: tzinfo) -> JobSchedule:
    known = job_names()
    if name not in known:
        raise file.error(("jobs", name), f"there is no job called '{name}'; the jobs are: {', '.join(known)}.")
    entry = file.data["jobs"][name]
    if not isinstance(entry, dict):
        raise file.error(("jobs", name), f"jobs.{name} must be a table ([jobs.{name}]).")
    for key in entry:
        if key not in JOB_KEYS:
            raise file.error(("jobs", name, key), f"jobs.{name}.{key} is not a job setting; use cron, "
                                                  "interval_seconds, interval_minutes, interval_hours or enabled.")
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        raise file.error(("jobs", name, "enabled"), f"jobs.{name}.enabled must be true or false.")
    cron = _cron(file, name, entry.get("cron", []), zone)
    intervals = sorted((key for key in INTERVAL_UNITS if key in entry),
                       key=lambda key: file.line_of(("jobs", name, key)) or 0)
    if len(intervals) > 1:
        raise file.error(("jobs", name, intervals[1]),
                         f"jobs.{name} gives both {intervals[0]} and {intervals[1]}; give one interval.")
    seconds = None
    if intervals:
        key = intervals[0]
        value = entry[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise file.error(("jobs", name, key), f"jobs.{name}.{key} must be a positive number, not {value!r}.")
        seconds = float(value) * INTERVAL_UNITS[key]
        if seconds < 1:
            raise file.error(("jobs", name, key), f"jobs.{name}.{key} must be at least one second.")
    if enabled and not cron and seconds is None:
        raise file.error(("jobs", name), f"jobs.{name} has no schedule; give it cron or an interval, or set "
                                         "enabled = false to run it only on request.")
    return JobSchedule(name=name, cron=cron, interval_seconds=seconds, enabled=enabled)


def _cron(file: TomlFile, name: str, value: Any, zone: tzinfo) -> tuple[str, ...]:
    lines = [value] if isinstance(value, str) else value
    if not isinstance(lines, list) or not all(isinstance(x, str) for x in lines):
        raise file.error(("jobs", name, "cron"), f"jobs.{name}.cron must be a crontab line or a list of them.")
    for i, expr in enumerate(lines):
        try:
            CronTrigger.from_crontab(expr, timezone=zone)
        except ValueError as e:
            path = ("jobs", name, "cron", i) if isinstance(value, list) else ("jobs", name, "cron")
            raise file.error(path, f"cron '{expr}' of job {name} is not a crontab line "
                                   f"(minute hour day month weekday): {str(e).rstrip('.')}.") from None
    return tuple(lines)


#: The scheduler's settings file, held like every workflow's (kiosk.settings_files).
SCHEDULER_FILE: SettingsFile[SchedulerConfig] = SettingsFile(
    "scheduler", lambda file, _settings, _env: parse_scheduler_config(file))
