"""Transports over real sockets and folders: what counts as sent, and what counts as unreachable."""

from __future__ import annotations

from pathlib import Path

import pytest

from printers import PrinterSendInterrupted, PrinterUnreachable
from printers.transports import FolderTransport, TcpTransport
from tests.support.labels import RawPrinter, StallingPrinter
from tests.support.sekmet import free_port


def test_tcp_delivers_the_exact_bytes() -> None:
    port = free_port()
    printer = RawPrinter(port).start()
    try:
        data = b"^XA^CI28^FO10,10^A0N,30,0^FH_^FDO'BRIEN_5E^FS^XZ\n" * 3
        receipt = TcpTransport("127.0.0.1", port).send(data, title="t", content_type="application/vnd.zebra-zpl")
    finally:
        printer.stop()
    assert printer.jobs() == [data]
    assert receipt == f"{len(data)} bytes to 127.0.0.1:{port}"


def test_a_closed_port_is_unreachable_with_a_readable_message() -> None:
    port = free_port()
    with pytest.raises(PrinterUnreachable, match=f"127.0.0.1:{port} cannot be reached"):
        TcpTransport("127.0.0.1", port, connect_timeout=0.5).send(b"^XA^XZ", title="t", content_type="x")


def test_a_send_cut_off_after_the_printer_took_the_connection_is_interrupted_not_unreachable() -> None:
    """Some of the label reached the printer: the kiosk must not treat it as never sent."""
    port = free_port()
    printer = StallingPrinter(port).start()
    try:
        data = b"^XA^FO10,10^GB100,100,100^FS^XZ\n" * 400_000  # far more than the socket buffers hold
        with pytest.raises(PrinterSendInterrupted, match=f"127.0.0.1:{port} stopped taking data part-way") as cut:
            TcpTransport("127.0.0.1", port, connect_timeout=1, send_timeout=0.5).send(
                data, title="t", content_type="application/vnd.zebra-zpl")
    finally:
        printer.stop()
    assert not isinstance(cut.value, PrinterUnreachable)
    assert printer.connections == 1 and printer.jobs() == [data[:64]]


def test_the_folder_printer_writes_whole_files(tmp_path: Path) -> None:
    folder = FolderTransport(tmp_path / "out")
    folder.send(b"%PDF-1.4 test", title="t", content_type="application/pdf")
    folder.send(b"^XA^XZ", title="t", content_type="application/vnd.zebra-zpl")
    assert sorted(p.suffix for p in (tmp_path / "out").iterdir()) == [".pdf", ".zpl"]
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    with pytest.raises(PrinterUnreachable):
        FolderTransport(blocked).send(b"x", title="t", content_type="application/pdf")
