"""Printing fixtures: the kiosk app with test printer settings (a raw TCP printer on a free port and a
folder PDF printer)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.support import labels as printing
from tests.support.labels import PrinterFiles, RawPrinter

zebra_port = printing.zebra_port
printer_files = printing.printer_files


@pytest.fixture
def zebra(zebra_port: int) -> Iterator[RawPrinter]:
    printer = RawPrinter(zebra_port).start()
    yield printer
    printer.stop()


@pytest.fixture
def labels_app(app: Flask, printer_files: PrinterFiles) -> Flask:
    return app
