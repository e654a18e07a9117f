"""Test helpers for printing: a raw TCP "printer" on a free loopback port, printer settings files,
and a demo patient to print for."""

from __future__ import annotations

import logging
import socket
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

import pytest
from flask import Flask

from kiosk.extensions import database, services, settings
from kiosk.fhir.census import unit_census
from kiosk.fhir.gateway import FhirGateway
from kiosk.scheduler.context import JobContext
from tests.support.sekmet import free_port


class RawPrinter:
    """Listens like a Zebra's port 9100 and keeps every connection's bytes, in order."""

    #: The listening socket's receive buffer (inherited by accepted connections); None: the system's.
    receive_buffer: int | None = None

    def __init__(self, port: int):
        self.port = port
        self.received: list[bytes] = []
        self.connections = 0
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Condition()

    def start(self) -> Self:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if self.receive_buffer:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.receive_buffer)
        sock.bind(("127.0.0.1", self.port))
        sock.listen(8)
        sock.settimeout(0.2)
        self._sock = sock
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    def _serve(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            conn.settimeout(5)
            self._take(conn)

    def _take(self, conn: socket.socket) -> None:
        """Read the connection to its end, as a printer that prints everything it is sent."""
        with conn:
            chunks = []
            while True:
                data = conn.recv(65536)
                if not data:
                    break
                chunks.append(data)
        with self._lock:
            self.received.append(b"".join(chunks))
            self._lock.notify_all()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)
        if self._sock:
            self._sock.close()

    def jobs(self) -> list[bytes]:
        with self._lock:
            return list(self.received)

    def wait_for_jobs(self, count: int, timeout: float = 10) -> list[bytes]:
        """The jobs, once `count` have been read to their end (the printer finishes reading a connection
        a moment after the sender has closed it)."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self.received) >= count, timeout):
                raise AssertionError(f"the test printer received {len(self.received)} of {count} jobs")
            return list(self.received)


class StallingPrinter(RawPrinter):
    """A printer that takes the connection, reads the first few bytes, then stops reading (paused, out
    of labels, buffer full) while keeping the connection open: the sender's send times out part-way."""

    receive_buffer = 4096

    def __init__(self, port: int, read_first: int = 64):
        super().__init__(port)
        self.read_first = read_first
        self._open: list[socket.socket] = []

    def _take(self, conn: socket.socket) -> None:
        with self._lock:
            self.received.append(conn.recv(self.read_first))
        self._open.append(conn)  # never read again

    def stop(self) -> None:
        super().stop()
        for conn in self._open:
            conn.close()


@dataclass
class PrinterFiles:
    """A printers.toml for tests: a raw TCP Zebra, a folder printer for PDF, and any CUPS queue."""

    tcp_port: int
    folder: Path
    cups_queue: str | None = None
    first_delay_s: int = 1
    extra: list[str] = field(default_factory=list)

    def text(self, station: str = "4W-NS-1") -> str:
        cups = ""
        if self.cups_queue:
            cups = f"""
[printers.TEST-CUPS-PDF]
name = "Test CUPS PDF queue"
transport = "cups"
language = "pdf"
queue = "{self.cups_queue}"
labels = ["chart", "specimen", "adult-armband", "infant-armband"]
"""
        return f"""
[scan]
armband_barcode = "encounter"

[retry]
first_delay_s = {self.first_delay_s}
max_delay_s = 5
max_attempts = 20
stale_claim_s = 60

[media.adult-armband]
name = "adult wristband"
width_in = 7.0
height_in = 1.0
rotated = true

[media.infant-armband]
name = "infant wristband"
width_in = 5.0
height_in = 0.75
rotated = true

[media.chart]
name = "chart label"
width_in = 2.625
height_in = 1.0

[media.specimen]
name = "specimen"
width_in = 2.0
height_in = 1.0

[printers.TEST-ZEBRA]
name = "Test Zebra"
transport = "tcp"
language = "zpl"
dpi = 300
host = "127.0.0.1"
port = {self.tcp_port}
connect_timeout = 1.0
send_timeout = 5.0
labels = ["adult-armband", "infant-armband", "chart", "specimen"]

[printers.TEST-FOLDER-PDF]
name = "Test folder PDF"
transport = "folder"
language = "pdf"
path = "{self.folder}"
labels = ["adult-armband", "infant-armband", "chart", "specimen"]
{cups}
{"".join(self.extra)}
[stations.{station}]
adult-armband = "TEST-ZEBRA"
infant-armband = "TEST-ZEBRA"
chart = "TEST-ZEBRA"
specimen = "TEST-ZEBRA"
"""

    def write(self, path: Path) -> Path:
        path.write_text(self.text(), encoding="utf-8")
        return path


@dataclass(frozen=True)
class DemoStay:
    patient_id: str
    encounter_id: str
    encounter_number: str
    mrn: str


def new_inpatient(gw: FhirGateway, family: str, given: list[str], birth_date: str = "1977-12-05",
                  start: str = "2026-11-20T09:00:00Z") -> DemoStay:
    """A patient with an in-progress encounter (no bed), made for one test: any name, any birth date."""
    suffix = uuid.uuid4().int % 10**7
    mrn, number = f"3{suffix:07d}", f"07{suffix:07d}"
    patient = gw.client.create({
        "resourceType": "Patient", "birthDate": birth_date, "gender": "female",
        "name": [{"use": "official", "family": family, "given": given}],
        "identifier": [{"system": gw.identifiers.mrn, "value": mrn}],
    })
    encounter = gw.client.create({
        "resourceType": "Encounter", "status": "in-progress",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
        "subject": {"reference": f"Patient/{patient.id}"},
        "identifier": [{"system": gw.identifiers.encounter, "value": number}],
        "period": {"start": start},
    })
    return DemoStay(patient.id, encounter.id, number, mrn)


def demo_inpatient(gw: FhirGateway, index: int = 0, with_allergy: bool = False) -> DemoStay:
    """An in-progress inpatient of the demo's 4 West unit (the `index`th, in census order)."""
    census = unit_census(gw)
    stays = []
    for enc in census.encounters:
        if enc.status != "in-progress" or not enc.patient:
            continue
        flags = census.flags.get(enc.patient, [])
        if with_allergy and not any(f.category == "drug" for f in flags):
            continue
        patient = census.patients[enc.patient]
        stays.append(DemoStay(patient.id, enc.id, enc.number or "", patient.mrn or ""))
    return stays[index]


@pytest.fixture
def zebra_port() -> int:
    """The port of the test Zebra (nothing listens there until a test starts a RawPrinter)."""
    return free_port()


@pytest.fixture
def printer_files(tmp_path: Path, zebra_port: int, monkeypatch: pytest.MonkeyPatch) -> PrinterFiles:
    """Printer settings for the kiosk under test (KIOSK_PRINTERS_CONFIG)."""
    files = PrinterFiles(tcp_port=zebra_port, folder=tmp_path / "pdf-out")
    monkeypatch.setenv("KIOSK_PRINTERS_CONFIG", str(files.write(tmp_path / "printers.toml")))
    return files


def job_context(app: Flask) -> JobContext:
    """The scheduler's own job context for the app's settings and clock, for calling jobs directly."""
    with app.app_context():
        return JobContext(settings=settings(), database=database(), gateway=services().gateway(),
                          log=logging.getLogger("test.scheduler"), clock=services().clock)
