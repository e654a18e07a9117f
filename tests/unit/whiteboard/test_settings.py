"""The whiteboard's and room readiness's settings files: defaults, overrides and one clear sentence for a
wrong entry."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.config import ConfigError, load_settings
from kiosk.readiness.settings import READINESS_FILE
from kiosk.whiteboard.settings import WHITEBOARD_FILE


def test_the_shipped_files_and_overrides() -> None:
    settings = load_settings(env={})
    board = WHITEBOARD_FILE.read(settings, env={})
    assert [s.name for s in board.shifts] == ["Day", "Night"] and board.patient_names == "none"
    assert board.unlisted_care_team_servers == ("SEKMET FHIR R4 Tester",)
    three = WHITEBOARD_FILE.read(settings, env={"KIOSK_WHITEBOARD_SHIFT_NAMES": "Day,Evening,Night",
                                                "KIOSK_WHITEBOARD_SHIFT_STARTS": "07:00,15:00,23:00"})
    assert [s.start.hour for s in three.shifts] == [7, 15, 23]
    readiness = READINESS_FILE.read(settings, env={"KIOSK_READINESS_VALID_FOR_HOURS": "8"})
    assert [i.key for i in readiness.items] == ["clean", "suction", "oxygen", "bed", "isolation-cart", "bariatric-bed",
                                                "supplies"]
    assert readiness.valid_for.total_seconds() == 8 * 3600 and readiness.supplies_of("405") == ("CLEAN",)


@pytest.mark.parametrize(("env", "words"), [
    ({"KIOSK_WHITEBOARD_SHIFT_STARTS": "07:00"}, "must list the same shifts"),
    ({"KIOSK_WHITEBOARD_SHIFT_STARTS": "19:00,07:00"}, "in order through the day"),
    ({"KIOSK_WHITEBOARD_SHIFT_STARTS": "7am,19:00"}, "'7am' is not a time of day"),
    ({"KIOSK_WHITEBOARD_SHIFT_NAMES": "Day,day"}, "each shift needs its own name"),
    ({"KIOSK_WHITEBOARD_PATIENT_NAMES": "full"}, "patient_names must be one of none, initials, name"),
    ({"KIOSK_WHITEBOARD_DISPLAY_TOKEN": "short"}, "display_token must be empty or at least 24"),
])
def test_wrong_whiteboard_values_are_named(env: dict[str, str], words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        WHITEBOARD_FILE.read(load_settings(env={}), env=env)


@pytest.mark.parametrize(("text", "words"), [
    ('[[items]]\nkey = "x"\nlabel = "X"\nshort = "x"\ncheck = "robot"\n', r"line 5: check of checklist item x must be"),
    ('[[items]]\nkey = "x"\nlabel = "X"\nshort = "x"\ncheck = "person"\ncolour = "red"\n',
     r"line 6: 'colour' is not a checklist item setting"),
    ('[[items]]\nkey = "x"\nlabel = "X"\nshort = "x"\ncheck = "person"\n[[items]]\nkey = "x"\nlabel = "Y"\n'
     'short = "y"\ncheck = "person"\n', r"line 7: checklist item x is listed twice"),
    ('[checklist]\nvalid_for_hours = 0\n[[items]]\nkey = "x"\nlabel = "X"\nshort = "x"\ncheck = "person"\n',
     r"line 2: checklist.valid_for_hours must be between"),
    ('[room_supplies]\n"405" = ["clean utility"]\n[[items]]\nkey = "x"\nlabel = "X"\nshort = "x"\ncheck = "person"\n',
     r"line 2: the supplies of room 405 must be a list of supply location codes"),
    ("[checklist]\n", r"the checklist has no items"),
])
def test_wrong_readiness_entries_name_their_line(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "readiness.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=words):
        READINESS_FILE.read(load_settings(env={}), env={"KIOSK_READINESS_CONFIG": str(path)})
