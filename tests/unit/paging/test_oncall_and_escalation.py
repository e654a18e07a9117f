"""On-call shifts by day and time in the station's zone (past midnight too), config errors with their
line, and the escalation timetable."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path

import pytest

from kiosk import timeutil
from kiosk.config import ConfigError, Settings
from kiosk.paging.escalation import BACKUP_PAGED, REPEATED, Due, timetable
from kiosk.paging.oncall import ON_CALL_FILE, Shift
from kiosk.paging.settings import PAGING_FILE, EscalationSettings

ROLES = """
role_system = "urn:oid:1.2.3"

[[role]]
key = "hospitalist"
name = "Hospitalist on call"

[[role.shift]]
days = ["fri"]
from = "19:00"
to = "07:00"
people = ["N1", "N2"]

[[role.shift]]
days = ["mon", "tue", "wed", "thu", "fri"]
from = "07:00"
to = "19:00"
people = ["D1"]
"""


@pytest.fixture
def new_york() -> None:
    timeutil.configure("America/New_York")
    yield
    timeutil.configure("")


def read(tmp_path: Path, text: str, name: str = "on-call"):  # type: ignore[no-untyped-def]
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    file = ON_CALL_FILE if name == "on-call" else PAGING_FILE
    return file.read(Settings(root=tmp_path), env={f"KIOSK_{name.upper().replace('-', '_')}_CONFIG": str(path)})


def test_who_is_on_call_depends_on_the_day_and_time_in_the_station_zone(tmp_path: Path, new_york: None) -> None:
    role = read(tmp_path, ROLES).role("hospitalist")
    utc = datetime.fromisoformat  # naive times are UTC
    assert role.people_at(utc("2026-11-27T16:00:00")) == ("D1",)  # Friday 11:00 in New York
    assert role.people_at(utc("2026-11-28T01:00:00")) == ("N1", "N2")  # Friday 20:00
    assert role.people_at(utc("2026-11-28T11:30:00")) == ("N1", "N2")  # Saturday 06:30: Friday's night shift
    assert role.people_at(utc("2026-11-28T12:30:00")) == ()  # Saturday 07:30: nobody
    assert Shift((0, 1, 2, 3, 4, 5, 6), time(0), time(0), ("X",)).covers(datetime(2026, 1, 1, 12))  # all day


def test_a_wrong_on_call_file_names_its_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"on-call.toml line 10: 'from' must be a time of day"):
        read(tmp_path, ROLES.replace('from = "19:00"', 'from = "7pm"'))
    with pytest.raises(ConfigError, match=r"on-call.toml line 9: days must be a list"):
        read(tmp_path, ROLES.replace('days = ["fri"]', 'days = ["friday"]'))
    with pytest.raises(ConfigError, match=r"on-call.toml line 17: 'to' must be a time of day"):
        read(tmp_path, ROLES.replace('to = "19:00"', 'to = "25:00"'))
    with pytest.raises(ConfigError, match="'colour' is not an on-call role setting"):
        read(tmp_path, ROLES.replace('name = "Hospitalist on call"', 'name = "H"\ncolour = "red"'))


def test_the_paging_file_keeps_secrets_out_and_checks_its_timetable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"paging.toml line 2: 'smtp.password' is not a paging setting"):
        read(tmp_path, '[smtp]\npassword = "hunter2"\n', "paging")
    with pytest.raises(ConfigError, match="stat_repeat_minutes must be fewer minutes than"):
        read(tmp_path, "[escalation]\nstat_repeat_minutes = 8\n", "paging")
    with pytest.raises(ConfigError, match="KIOSK_PAGING_WEBHOOK_SECRET must be set"):
        read(tmp_path, '[webhook]\nurl = "https://platform.example/pages"\n', "paging")


def test_the_timetable_pages_again_then_the_backup_and_colours_the_timer() -> None:
    start = datetime(2026, 11, 29, 10, 0)
    table = timetable(start, "urgent", EscalationSettings())  # again after 10 minutes, backup after 20
    at = lambda minutes: start.replace(minute=minutes)  # noqa: E731
    assert table.due(0, at(9)) is None and table.state(at(9)) == ""
    assert table.due(0, at(10)) is Due.REPEAT and table.state(at(10)) == "amber"
    assert table.due(REPEATED, at(15)) is None
    assert table.due(REPEATED, at(20)) is Due.BACKUP and table.state(at(20)) == "red"
    assert table.due(0, at(25)) is Due.BACKUP  # a scheduler stopped past both: the backup, not a late repeat
    assert table.due(BACKUP_PAGED, at(59)) is None
    assert table.next_words(0, at(1)) == "Pages again" and table.next_at(REPEATED, at(12)) == at(20)
