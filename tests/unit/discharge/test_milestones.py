"""Discharge-ready milestones without a server: the settings file, the count and the tile marks."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiosk.config import ConfigError, load_settings
from kiosk.discharge.services import Tick, marks_for, stay_milestones
from kiosk.discharge.settings import DISCHARGE_FILE
from kiosk.nav import UnitBeds
from kiosk.tomlfile import read_toml

SETTINGS = DISCHARGE_FILE.read(load_settings(env={}), env={})
AT = datetime(2026, 11, 29, 14, 2, tzinfo=UTC)


def parse(tmp_path: Path, text: str) -> None:
    path = tmp_path / "discharge.toml"
    path.write_text(text, encoding="utf-8")
    DISCHARGE_FILE.parse(read_toml(path), load_settings(env={}), {})


def test_the_shipped_file_lists_five_milestones() -> None:
    assert [m.label for m in SETTINGS.milestones] == ["Ride home arranged", "Prescriptions ready", "Teaching done",
                                                      "Follow-up booked", "Equipment at home"]


@pytest.mark.parametrize(("text", "said"), [
    ("", "lists no milestones"),
    ('[[milestones]]\nkey = "Ride Home"\nlabel = "Ride"\n', "needs a key of lower-case letters"),
    ('[[milestones]]\nkey = "ride"\n', "needs a label of 1 to 60 characters"),
    ('[[milestones]]\nkey = "ride"\nlabel = "Ride"\n[[milestones]]\nkey = "ride"\nlabel = "Again"\n', "listed twice"),
    ('[[milestones]]\nkey = "ride"\nlabel = "Ride"\nwhen = "always"\n', "'when' is not a milestone setting"),
    ('colour = "red"\n', "'colour' is not part of a discharge file"),
])
def test_a_wrong_file_is_refused_with_one_sentence(tmp_path: Path, text: str, said: str) -> None:
    with pytest.raises(ConfigError, match=said):
        parse(tmp_path, text)


def test_the_count_who_and_when_and_ready_to_go() -> None:
    ticks = {("enc-1", "ride-home"): Tick(True, "Dana R.", AT), ("enc-1", "teaching"): Tick(False, "Sam K.", AT)}
    stay = stay_milestones(SETTINGS, "enc-1", ticks)
    assert stay.summary == "1 of 5" and not stay.ready
    assert stay.states[0].note.startswith("Ticked by Dana R. at ")
    assert stay.states[2].note.startswith("Unticked by Sam K. at ") and not stay.states[2].done
    assert stay.states[1].note == "Not yet."
    assert stay.mark.label == "Home 1/5"
    assert stay.mark.detail == ("Discharge 1 of 5: prescriptions ready, teaching done, follow-up booked, "
                                "equipment at home")
    every = {("enc-1", m.key): Tick(True, None, AT) for m in SETTINGS.milestones}
    done = stay_milestones(SETTINGS, "enc-1", every)
    assert done.summary == "Ready to go" and done.mark.label == "Ready to go"
    assert done.states[0].note.startswith("Ticked by the station at ")


def test_marks_only_for_stays_with_a_tick(monkeypatch: pytest.MonkeyPatch) -> None:
    import kiosk.discharge.services as services

    asked: list[list[str]] = []

    def latest(_database: object, encounters: list[str]) -> dict[tuple[str, str], Tick]:
        asked.append(sorted(encounters))
        return {("enc-1", "ride-home"): Tick(True, "Dana R.", AT)}

    monkeypatch.setattr(services, "latest_ticks", latest)
    beds = UnitBeds(unit_id="u", occupants={"Location/a": ("Patient/p1", "Encounter/enc-1"),
                                            "Location/b": ("Patient/p2", "Encounter/enc-2"),
                                            "Location/c": (None, None)})
    marks = marks_for(beds, SETTINGS, None)  # type: ignore[arg-type]
    assert asked == [["enc-1", "enc-2"]]
    assert {bed: [m.label for m in found] for bed, found in marks.items()} == {"Location/a": ["Home 1/5"]}
