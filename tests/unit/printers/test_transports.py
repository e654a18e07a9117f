"""The folder printer: a label counts as printed once its file is written, flushed, fsynced and renamed, and the
folder fsynced. (The Zebra over real TCP: tests/integration/printers/test_zebra.py; CUPS: test_cups.py.)"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from printers import PrinterUnconfirmed, PrinterUnreachable
from printers.transports import FolderTransport


def test_the_folder_printer_writes_whole_files(tmp_path: Path) -> None:
    folder = FolderTransport(tmp_path / "out")
    pdf = folder.send(b"%PDF-1.4 test", title="t", content_type="application/pdf")
    folder.send(b"^XA^XZ", title="t", content_type="application/vnd.zebra-zpl")
    assert sorted(p.suffix for p in (tmp_path / "out").iterdir()) == [".pdf", ".zpl"]
    assert pdf.printed and (tmp_path / "out" / pdf.ref).read_bytes() == b"%PDF-1.4 test"
    assert folder.follow(pdf.ref).printed
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    with pytest.raises(PrinterUnreachable) as refused:
        FolderTransport(blocked).send(b"x", title="t", content_type="application/pdf")
    assert refused.value.reason == "The label folder cannot be written"


def test_a_label_file_is_synced_before_its_name_appears_and_the_folder_after(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """What the disk was told, in order: the file's bytes are synced under its temporary name, the rename
    happens, then the folder (which holds the new name) is synced."""
    events: list[str] = []
    real_fsync, real_replace = os.fsync, Path.replace

    def fsync(fd: int) -> None:
        events.append("fsync " + os.readlink(f"/proc/self/fd/{fd}").rsplit("/", 1)[1])
        real_fsync(fd)

    def replace(self: Path, target: Path) -> Path:
        events.append(f"rename {self.name} -> {Path(target).name}")
        return real_replace(self, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(Path, "replace", replace)
    delivery = FolderTransport(tmp_path / "out").send(b"^XA^XZ", title="t", content_type="x")
    name = delivery.ref
    assert events == [f"fsync .{name}.part", f"rename .{name}.part -> {name}", "fsync out"]
    assert [p.name for p in (tmp_path / "out").iterdir()] == [name]


def test_a_label_file_whose_folder_cannot_be_synced_is_not_called_printed(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if os.path.isdir(f"/proc/self/fd/{fd}"):
            raise OSError(5, "Input/output error")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(PrinterUnconfirmed) as unsynced:
        FolderTransport(tmp_path / "out").send(b"^XA^XZ", title="t", content_type="x")
    assert unsynced.value.reason == "The label file may not be saved"


def test_a_missing_label_file_is_not_confirmed_when_asked_again(tmp_path: Path) -> None:
    with pytest.raises(PrinterUnconfirmed):
        FolderTransport(tmp_path).follow("20261129-101010-abcdef12.zpl")
