"""A Zebra's raw port over real TCP: the label counts as printed only when the printer, asked with ~HS, has taken
every byte, has nothing left to print and reports no problem. The test printer (tests/support/labels.py) is
paused, runs out of labels, stalls and hangs up at every byte; each ends the way the print queue needs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from printers import PrinterSendInterrupted, PrinterUnconfirmed, PrinterUnreachable, PrintOutcomeUnknown
from printers.transports import NO_ANSWER, TcpTransport
from tests.support.labels import RawPrinter, host_status_answer
from tests.support.sekmet import free_port

LABEL = b"^XA^CI28^FO10,10^GB100,100,100^FS^XZ\n"
ZPL = "application/vnd.zebra-zpl"


class FakeTime:
    """An injected clock: `sleep` moves it on at once, so waiting is counted, never spent."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def zebra(port: int) -> Iterator[RawPrinter]:
    printer = RawPrinter(port).start()
    yield printer
    printer.stop()


def transport(port: int, **options: object) -> TcpTransport:
    settings: dict[str, object] = {"connect_timeout": 1.0, "send_timeout": 2.0, "status_timeout": 0.5,
                                   "confirm_wait": 2.0, **options}
    return TcpTransport("127.0.0.1", port, **settings)  # type: ignore[arg-type]


def test_a_ready_printer_takes_the_exact_bytes_and_confirms_them(zebra: RawPrinter, port: int) -> None:
    data = LABEL * 3
    delivery = transport(port).send(data, title="t", content_type=ZPL)
    assert delivery.printed
    assert delivery.receipt == (f"{len(data)} bytes to 127.0.0.1:{port}; printer confirmed: ready; 0 formats in "
                                "buffer; 0 labels left in batch")
    zebra.wait_for_closed()
    assert zebra.jobs() == [data] and zebra.printed == 3
    assert zebra.log[0].queries == 2  # asked before the label and after it


@pytest.mark.parametrize(("flag", "reason"), [("paused", "Printer paused"), ("paper_out", "Out of labels"),
                                              ("head_open", "Print head open"), ("ribbon_out", "Out of ribbon")])
def test_a_printer_that_says_it_cannot_print_gets_nothing(zebra: RawPrinter, port: int, flag: str,
                                                          reason: str) -> None:
    setattr(zebra, flag, True)
    with pytest.raises(PrinterUnreachable) as refused:
        transport(port).send(LABEL, title="t", content_type=ZPL)
    assert refused.value.reason == reason
    assert "the label was not sent" in refused.value.message
    zebra.wait_for_closed()
    assert zebra.jobs() == [] and zebra.log[0].queries == 1


def test_newer_firmware_says_nothing_when_out_of_labels_and_still_gets_nothing(zebra: RawPrinter,
                                                                               port: int) -> None:
    zebra.paper_out = zebra.silent_when_faulted = True
    with pytest.raises(PrinterUnreachable) as silent:
        transport(port).send(LABEL, title="t", content_type=ZPL)
    assert silent.value.reason == NO_ANSWER
    assert zebra.jobs() == []


def test_a_device_that_never_answers_the_status_check_is_never_sent_a_label(zebra: RawPrinter, port: int) -> None:
    zebra.answers_status = False
    with pytest.raises(PrinterUnreachable, match=r"did not answer the status check \(~HS\) within 0.5 s") as e:
        transport(port).send(LABEL, title="t", content_type=ZPL)
    assert e.value.reason == NO_ANSWER and zebra.jobs() == []


@pytest.mark.parametrize(("fault", "reason"), [("paused", "Printer paused"), ("paper_out", "Out of labels"),
                                               ("head_open", "Print head open")])
def test_a_printer_that_takes_the_label_then_stops_is_for_a_person_to_check(zebra: RawPrinter, port: int,
                                                                            fault: str, reason: str) -> None:
    zebra.fault_on_format = fault
    with pytest.raises(PrinterUnconfirmed) as unconfirmed:
        transport(port).send(LABEL, title="t", content_type=ZPL)
    assert unconfirmed.value.reason == reason
    zebra.wait_for_closed()
    assert zebra.jobs() == [LABEL] and zebra.printed == 0 and zebra.buffered == 1


def test_running_out_of_labels_on_newer_firmware_is_silence_and_silence_is_not_printed(zebra: RawPrinter,
                                                                                      port: int) -> None:
    zebra.fault_on_format, zebra.silent_when_faulted = "paper_out", True
    with pytest.raises(PrinterUnconfirmed) as unconfirmed:
        transport(port).send(LABEL, title="t", content_type=ZPL)
    assert unconfirmed.value.reason == NO_ANSWER
    assert zebra.jobs() == [LABEL]


def test_the_send_waits_while_the_printer_prints_then_confirms(zebra: RawPrinter, port: int) -> None:
    zebra.prints_per_query = 1
    time = FakeTime()
    delivery = transport(port, poll_interval=0.25, clock=time.clock, sleep=time.sleep).send(
        LABEL * 3, title="t", content_type=ZPL)
    assert delivery.printed and zebra.printed == 3
    assert time.slept == [0.25, 0.25]  # the status after the label, then one more per label still to print


def test_a_printer_still_printing_when_the_wait_ends_is_sent_not_printed_then_followed(zebra: RawPrinter,
                                                                                     port: int) -> None:
    zebra.prints_per_query = 0
    time = FakeTime()
    sender = transport(port, confirm_wait=1.0, poll_interval=0.25, clock=time.clock, sleep=time.sleep)
    delivery = sender.send(LABEL * 2, title="t", content_type=ZPL)
    assert not delivery.printed and delivery.progress == "The printer is still printing"
    assert "2 formats in buffer" in delivery.receipt and sum(time.slept) == 1.0
    still = sender.follow(delivery.ref)
    assert not still.printed
    zebra.prints_per_query = None
    assert sender.follow(delivery.ref).printed
    assert zebra.jobs() == [LABEL * 2]  # asked again, never sent again


def test_a_follow_up_that_finds_the_printer_paused_is_for_a_person_to_check(zebra: RawPrinter, port: int) -> None:
    zebra.prints_per_query = 0
    sender = transport(port, confirm_wait=0)
    assert not sender.send(LABEL, title="t", content_type=ZPL).printed
    zebra.paused = True
    with pytest.raises(PrinterUnconfirmed) as paused:
        sender.follow("")
    assert paused.value.reason == "Printer paused"


def test_a_printer_that_stops_reading_part_way_interrupts_the_send(port: int) -> None:
    printer = RawPrinter(port, stall_after=64, receive_buffer=4096).start()
    try:
        data = LABEL * 400_000  # far more than the socket buffers hold
        with pytest.raises(PrinterSendInterrupted, match=f"127.0.0.1:{port} stopped taking data part-way") as cut:
            transport(port, send_timeout=0.5).send(data, title="t", content_type=ZPL)
    finally:
        printer.stop()
    assert cut.value.reason == "The printer stopped taking the label part-way"
    assert printer.connections == 1 and printer.jobs() == [data[:61]]  # 64 bytes, the first 3 the ~HS


def test_a_printer_that_stops_reading_after_a_small_label_never_confirms_it(port: int) -> None:
    """The whole label fits in the socket buffers, so the send itself succeeds: only the printer's silence
    afterwards tells that it never read it."""
    printer = RawPrinter(port, stall_after=3 + len(LABEL) // 2).start()
    try:
        with pytest.raises(PrinterUnconfirmed) as silent:
            transport(port).send(LABEL, title="t", content_type=ZPL)
    finally:
        printer.stop()
    assert silent.value.reason == NO_ANSWER
    assert printer.jobs() == [LABEL[:len(LABEL) // 2]]


def _answer_up_to_last_etx() -> int:
    """The bytes of a ~HS answer up to its last <ETX> (the final <CR><LF> adds nothing to read)."""
    return len(host_status_answer(RawPrinter(0).status()).rstrip(b"\r\n"))


@pytest.mark.parametrize("cut", range(3 + len(LABEL) + 3))
def test_a_printer_hanging_up_at_any_byte_is_never_printed(port: int, cut: int) -> None:
    """`cut` bytes in, the printer closes: before it has answered the first ~HS (3 bytes) nothing was sent and the
    job can wait; from there on the printer may have part or all of the label, so a person checks."""
    printer = RawPrinter(port, hang_up_after=cut).start()
    try:
        with pytest.raises((PrinterUnreachable, PrintOutcomeUnknown)) as hung_up:
            transport(port).send(LABEL, title="t", content_type=ZPL)
        printer.wait_for_closed()
    finally:
        printer.stop()
    if cut < 3:
        assert isinstance(hung_up.value, PrinterUnreachable)
        assert hung_up.value.reason == "The printer hung up when asked for its status"
        assert printer.jobs() == []
    else:
        assert isinstance(hung_up.value, PrintOutcomeUnknown)
        assert hung_up.value.reason in ("The printer hung up part-way through the label",
                                        "The printer hung up before confirming the label")
        assert printer.jobs() == ([LABEL[:cut - 3]] if cut > 3 else [])


@pytest.mark.parametrize("cut", range(_answer_up_to_last_etx()))
def test_a_printer_hanging_up_part_way_through_its_answer_is_never_printed(port: int, cut: int) -> None:
    printer = RawPrinter(port, hang_up_in_answer=cut).start()
    try:
        with pytest.raises(PrinterUnconfirmed) as hung_up:
            transport(port).send(LABEL, title="t", content_type=ZPL)
    finally:
        printer.stop()
    assert hung_up.value.reason == "The printer hung up before confirming the label"
    assert printer.jobs() == [LABEL]


def test_a_closed_port_is_unreachable_with_a_readable_message(port: int) -> None:
    with pytest.raises(PrinterUnreachable, match=f"127.0.0.1:{port} cannot be reached") as closed:
        transport(port, connect_timeout=0.5).send(LABEL, title="t", content_type=ZPL)
    assert closed.value.reason == "The printer does not answer"
