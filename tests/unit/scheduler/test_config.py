"""config/scheduler.toml: the shipped schedule, and wrong entries named by their line."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kiosk.config import ConfigError
from kiosk.scheduler.config import load_scheduler_config
from kiosk.scheduler.registry import JOBS, find, job_function, job_names, load

ROOT = Path(__file__).resolve().parents[3]

GOOD = """\
[scheduler]
lease_seconds = 30
poll_seconds = 2
timezone = "America/Chicago"

[jobs.supply-check]
cron = ["0 7 * * *", "0 19 * * *"]
interval_minutes = 240
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scheduler.toml"
    path.write_text(text)
    return path


def test_the_shipped_schedule_runs_the_supply_check_at_shift_changes_and_every_4_hours() -> None:
    config = load_scheduler_config(ROOT / "config" / "scheduler.toml")
    schedule = config.schedule_of("supply-check")
    assert schedule.cron == ("30 6 * * *", "30 18 * * *") and schedule.interval_seconds == 4 * 3600
    assert schedule.describe() == "cron '30 6 * * *' and cron '30 18 * * *' and every 4 h"


def test_cron_and_interval_both_fire(tmp_path: Path) -> None:
    config = load_scheduler_config(write(tmp_path, GOOD))
    zone = ZoneInfo("America/Chicago")
    trigger = config.schedule_of("supply-check").trigger(zone)
    six_am = datetime(2026, 11, 26, 6, 0, tzinfo=zone)
    assert trigger.get_next_fire_time(None, six_am) == datetime(2026, 11, 26, 7, 0, tzinfo=zone)


BAD = [
    ("an unknown job", GOOD.replace("[jobs.supply-check]", "[jobs.supply-chek]"), 6,
     f"there is no job called 'supply-chek'; the jobs are: {', '.join(job_names())}."),
    ("a bad cron hour", GOOD.replace('"0 19 * * *"', '"0 25 * * *"'), 7,
     "cron '0 25 * * *' of job supply-check is not a crontab line (minute hour day month weekday): Error "
     "validating expression '25': the last value (25) is higher than the maximum value (23)."),
    ("a cron with four fields", GOOD.replace('"0 7 * * *"', '"0 7 * *"'), 7,
     "cron '0 7 * *' of job supply-check is not a crontab line (minute hour day month weekday): Wrong number of "
     "fields; got 4, expected 5."),
    ("two intervals", GOOD + "interval_seconds = 60\n", 9,
     "jobs.supply-check gives both interval_minutes and interval_seconds; give one interval."),
    ("a negative interval", GOOD.replace("interval_minutes = 240", "interval_minutes = -5"), 8,
     "jobs.supply-check.interval_minutes must be a positive number, not -5."),
    ("no schedule", GOOD.replace('cron = ["0 7 * * *", "0 19 * * *"]\ninterval_minutes = 240\n', "enabled = true\n"),
     6, "jobs.supply-check has no schedule; give it cron or an interval, or set enabled = false to run it only "
        "on request."),
    ("a misspelt job key", GOOD.replace("interval_minutes", "every_minutes"), 8,
     "jobs.supply-check.every_minutes is not a job setting; use cron, interval_seconds, interval_minutes, "
     "interval_hours or enabled."),
    ("an unknown time zone", GOOD.replace("America/Chicago", "America/Springfield"), 4,
     "scheduler.timezone 'America/Springfield' is not a time zone name (such as 'America/Chicago')."),
    ("a poll slower than the lease", GOOD.replace("poll_seconds = 2", "poll_seconds = 45"), 3,
     "scheduler.poll_seconds (45) must be shorter than lease_seconds (30)."),
    ("a tiny lease", GOOD.replace("lease_seconds = 30", "lease_seconds = 1"), 2,
     "scheduler.lease_seconds must be between 5 and 600 seconds, not 1."),
    ("history kept for no days", GOOD.replace("poll_seconds = 2", "poll_seconds = 2\nkeep_history_days = 0"), 4,
     "scheduler.keep_history_days must be a whole number of days from 1 to 3650, not 0."),
]


@pytest.mark.parametrize(("what", "text", "line", "message"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_schedule_names_the_line(tmp_path: Path, what: str, text: str, line: int, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_scheduler_config(path)
    assert str(err.value) == f"{path} line {line}: {message}"


def test_a_job_without_a_schedule_runs_only_when_asked(tmp_path: Path) -> None:
    config = load_scheduler_config(write(tmp_path, "[scheduler]\n"))
    assert config.schedule_of("supply-check").describe() == "on request only"
    assert load_scheduler_config(write(tmp_path, "[jobs.supply-check]\nenabled = false\n")).jobs


def test_every_registered_job_resolves_to_a_function() -> None:
    assert find("supply-check") is not None
    for job in JOBS:
        assert callable(job_function(job))
        if job.preflight:
            assert callable(load(job.preflight))
    with pytest.raises(ConfigError, match=r"kiosk.nowhere:job cannot be imported"):
        load("kiosk.nowhere:job")
    with pytest.raises(ConfigError, match="names nothing callable"):
        load("kiosk.supplies.jobs:nothing_here")
