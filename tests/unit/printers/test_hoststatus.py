"""Reading a Zebra's answer to ~HS (three <STX>...<ETX><CR><LF> strings, ZPL II Programming Guide), and what
the kiosk makes of it: the printer's problems in plain words, and whether it has anything left to print."""

from __future__ import annotations

import dataclasses

import pytest

from printers.hoststatus import HostStatus, HostStatusError, frames, parse_host_status
from tests.support.labels import host_status_answer

#: A 203 dpi printer with 2 formats waiting, in the guide's layout (label length 0406 dots, 8 labels left).
READY = (b"\x02030,0,0,0406,002,0,0,0,000,0,0,0\x03\r\n"
         b"\x02000,0,0,0,1,2,6,0,00000008,1,046\x03\r\n"
         b"\x021234,0\x03\r\n")

IDLE = HostStatus(paper_out=False, paused=False, label_length_dots=406, formats_in_buffer=0, buffer_full=False,
                  diagnostic_mode=False, partial_format=False, corrupt_ram=False, under_temperature=False,
                  over_temperature=False, head_up=False, ribbon_out=False, thermal_transfer=True, labels_remaining=0)


def test_the_guides_layout_reads_field_by_field() -> None:
    status = parse_host_status(READY)
    assert status == HostStatus(paper_out=False, paused=False, label_length_dots=406, formats_in_buffer=2,
                                buffer_full=False, diagnostic_mode=False, partial_format=False, corrupt_ram=False,
                                under_temperature=False, over_temperature=False, head_up=False, ribbon_out=False,
                                thermal_transfer=True, labels_remaining=8)
    assert status.problems() == () and not status.idle
    assert status.describe() == "ready; 2 formats in buffer; 8 labels left in batch"
    one = dataclasses.replace(status, formats_in_buffer=1, labels_remaining=1, paused=True)
    assert one.describe() == "Printer paused; 1 format in buffer; 1 label left in batch"


@pytest.mark.parametrize(("string", "position", "field", "words"), [
    (0, 1, "paper_out", "Out of labels"),
    (0, 2, "paused", "Printer paused"),
    (0, 9, "corrupt_ram", "Printer lost its settings"),
    (0, 10, "under_temperature", "Print head too cold"),
    (0, 11, "over_temperature", "Print head too hot"),
    (0, 6, "diagnostic_mode", "Printer in diagnostic mode"),
    (1, 2, "head_up", "Print head open"),
    (1, 3, "ribbon_out", "Out of ribbon"),
])
def test_each_flag_is_read_from_its_own_place_and_said_in_plain_words(string: int, position: int, field: str,
                                                                      words: str) -> None:
    parts = [f.split(b",") for f in frames(READY)]
    parts[string][position] = b"1"
    data = b"".join(b"\x02" + b",".join(p) + b"\x03\r\n" for p in parts)
    status = parse_host_status(data)
    assert getattr(status, field) is True
    assert status.problems() == (words,)
    others = {f.name for f in dataclasses.fields(HostStatus) if isinstance(getattr(status, f.name), bool)}
    assert [f for f in others - {field, "thermal_transfer"} if getattr(status, f)] == []


def test_ribbon_out_is_no_problem_on_direct_thermal_stock() -> None:
    status = dataclasses.replace(IDLE, ribbon_out=True, thermal_transfer=False)
    assert status.problems() == () and status.idle


def test_several_problems_are_named_together_most_urgent_first() -> None:
    status = dataclasses.replace(IDLE, paused=True, paper_out=True, head_up=True)
    assert status.problem == "Out of labels, Print head open, Printer paused"


def test_idle_means_no_format_no_label_and_no_partial_format_left() -> None:
    assert IDLE.idle
    assert not dataclasses.replace(IDLE, formats_in_buffer=1).idle
    assert not dataclasses.replace(IDLE, labels_remaining=3).idle
    assert not dataclasses.replace(IDLE, partial_format=True).idle


def test_the_test_printers_answer_reads_back_to_the_status_it_was_made_from() -> None:
    status = dataclasses.replace(IDLE, paused=True, formats_in_buffer=12, labels_remaining=3, head_up=True)
    assert parse_host_status(host_status_answer(status)) == status


def test_an_answer_may_arrive_with_line_noise_around_it() -> None:
    assert parse_host_status(b"\r\n" + READY + b"\r\n").formats_in_buffer == 2


@pytest.mark.parametrize(("data", "message"), [
    (b"", "0 of its 3 strings"),
    (READY[:-6], "2 of its 3 strings"),
    (READY.replace(b"0406", b"04x6"), "label length is not a number"),
    (READY.replace(b"030,0,0,", b"030,2,0,"), "paper out flag is not 0 or 1"),
    (READY.replace(b",046\x03", b"\x03").replace(b",00000008,1", b""), "string 2 has 8 fields"),
    (READY.replace(b"030,0,0,0406,002,0,0,0,000,0,0,0", b"030,0,0,0406"), "string 1 has 4 fields"),
    (READY.replace(b"1234,0", b"1234"), "string 3 has 1 fields"),
    (READY.replace(b"030", b"0\xe90"), "string 1 is not ASCII"),
])
def test_anything_else_is_refused_not_guessed(data: bytes, message: str) -> None:
    with pytest.raises(HostStatusError, match=message):
        parse_host_status(data)
