"""Printing fixtures: the kiosk app with test printer settings (a raw TCP printer on a free port and a
folder PDF printer)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests.support.labels import PrinterFiles, RawPrinter
from tests.support.sekmet import free_port


@pytest.fixture
def zebra_port() -> int:
    return free_port()


@pytest.fixture
def printer_files(tmp_path: Path, zebra_port: int, monkeypatch: pytest.MonkeyPatch) -> PrinterFiles:
    files = PrinterFiles(tcp_port=zebra_port, folder=tmp_path / "pdf-out")
    monkeypatch.setenv("KIOSK_PRINTERS_CONFIG", str(files.write(tmp_path / "printers.toml")))
    return files


@pytest.fixture
def zebra(zebra_port: int) -> Iterator[RawPrinter]:
    printer = RawPrinter(zebra_port).start()
    yield printer
    printer.stop()


@pytest.fixture
def labels_app(app: Flask, printer_files: PrinterFiles) -> Flask:
    return app
