"""What a pager shows: built in one place, fitting the pager's limit with its link, minimum necessary."""

from __future__ import annotations

import dataclasses

from kiosk.paging.compose import About, Draft, compose, fit, plain
from kiosk.paging.settings import PagingSettings

LINK = "http://kiosk.example/paging/a/3f9c0a1b2c4d-0.Qm9vZ2xlWXox"
SETTINGS = PagingSettings()


def test_a_page_about_a_patient_names_the_bed_and_initials_only() -> None:
    composed = compose(Draft("stat", "patient-question", "BP 82/40 after the dose", "4321", About("4W-405A", "J.M.")),
                       SETTINGS, LINK)
    assert composed.text == ("STAT 4 West Bed 4W-405A J.M.: Question about the patient. BP 82/40 after the dose. "
                             f"Call 4 West at 4321. Ack {LINK}")
    assert composed.record_text == composed.text.split(" Ack ")[0]
    assert composed.subject == "STAT page from 4 West" and not composed.too_long


def test_what_a_page_says_of_the_patient_is_a_setting() -> None:
    about = About("4W-405A", "J.M.")
    room = compose(Draft("routine", "call-unit", "", "4321", about),
                   dataclasses.replace(SETTINGS, about_patient="room"), LINK)
    nothing = compose(Draft("routine", "call-unit", "", "4321", about),
                      dataclasses.replace(SETTINGS, about_patient="none"), LINK)
    assert room.text.startswith("Routine 4 West Bed 4W-405A: Please call the unit.") and "J.M." not in room.text
    assert nothing.text.startswith("Routine 4 West: Please call the unit.")


def test_letters_a_pager_cannot_show_are_folded_and_control_characters_go() -> None:
    assert plain("Nguyễn\tThị  Mai\r\n<b>", ascii_only=True) == "Nguyen Thi Mai <b>"
    assert plain("Nguyễn\x07", ascii_only=False) == "Nguyễn"
    assert plain("漢字 only", ascii_only=True) == "only"


def test_the_whole_message_counts_against_the_limit_and_the_free_text_gets_what_is_left() -> None:
    draft = Draft("urgent", None, "x" * 500, "4321")
    composed = compose(draft, SETTINGS, LINK)
    assert composed.too_long and composed.length == len(composed.text)
    exact = compose(Draft("urgent", None, "y" * (compose(Draft("urgent", None, "", "4321"), SETTINGS,
                                                         LINK).room_for_text - 1), "4321"), SETTINGS, LINK)
    assert exact.length == SETTINGS.pager_limit and not exact.too_long  # the room, less the added full stop


def test_a_repeat_shortens_the_free_text_to_keep_the_link() -> None:
    draft = Draft("urgent", None, "z" * 120, "4321")
    assert not compose(draft, SETTINGS, LINK).too_long
    repeat = fit(draft, SETTINGS, LINK, "BACKUP, no answer from Dr. Hernández-Villanueva")
    assert not repeat.too_long and repeat.text.endswith(f"Ack {LINK}") and "zzz..." in repeat.text
    assert repeat.text.startswith("BACKUP, no answer from Dr. Hernandez-Villanueva: URGENT 4 West:")
