"""Test helpers for printing: a fake Zebra that speaks enough of ~HS over real TCP on a free loopback port,
printer settings files, and a demo patient to print for."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Self

import pytest
from flask import Flask

from kiosk.extensions import database, services, settings
from kiosk.fhir.census import unit_census
from kiosk.fhir.gateway import FhirGateway
from kiosk.scheduler.context import JobContext
from printers.hoststatus import HOST_STATUS_QUERY, HostStatus
from tests.support.sekmet import free_port


def host_status_answer(status: HostStatus) -> bytes:
    """The three strings of a ~HS answer, laid out as Zebra's ZPL II Programming Guide gives them (see
    printers/hoststatus.py), for a printer in `status`."""
    def b(flag: bool) -> str:
        return "1" if flag else "0"

    one = (f"014,{b(status.paper_out)},{b(status.paused)},{status.label_length_dots:04d},"
           f"{status.formats_in_buffer:03d},{b(status.buffer_full)},{b(status.diagnostic_mode)},"
           f"{b(status.partial_format)},000,{b(status.corrupt_ram)},{b(status.under_temperature)},"
           f"{b(status.over_temperature)}")
    two = (f"000,0,{b(status.head_up)},{b(status.ribbon_out)},{b(status.thermal_transfer)},2,6,0,"
           f"{status.labels_remaining:08d},1,000")
    return b"".join(b"\x02" + s.encode("ascii") + b"\x03\r\n" for s in (one, two, "1234,0"))


@dataclass
class Connection:
    """What one connection brought: the label bytes (everything but the ~HS queries) and the queries."""

    data: bytearray = field(default_factory=bytearray)
    queries: int = 0
    closed: bool = False


class RawPrinter:
    """A Zebra on a loopback port, over real TCP: it keeps every connection's label bytes, counts the formats
    (^XA ... ^XZ) it receives into its buffer, and answers `~HS` with its host status. Each connection has its own
    thread. What it can be made to do, set before or while it runs:

    - `paused`, `paper_out`, `head_open`, `ribbon_out` (thermal transfer stock): the flags its ~HS reports;
      a printer with one of them set prints nothing;
    - `fault_on_format`: set one of those flags the moment a format arrives (it took the label, then paused);
    - `silent_when_faulted`: no ~HS answer at all while out of labels or ribbon or head open (newer firmware);
    - `answers_status = False`: never answers ~HS (a device on port 9100 that is no Zebra);
    - `prints_per_query`: formats printed before each ~HS answer (None: all of them at once);
    - `hang_up_after`: close each connection once it has received that many bytes (~HS queries included);
    - `hang_up_in_answer`: close part-way through the answer to the ~HS after a label, after that many bytes;
    - `stall_after`: stop reading once a connection has received that many bytes, and keep it open;
    - `hold_open`: after the sender closes its side, keep the connection open until `release()` (as a printer
      still printing: the CUPS socket backend waits for that);

    and it tells the test what happened through `wait_for(...)`, woken by every byte and every connection end.
    """

    #: The listening socket's receive buffer (inherited by accepted connections); None: the system's.
    receive_buffer: int | None = None

    def __init__(self, port: int, **behaviour: Any):
        self.port = port
        self.paused = self.paper_out = self.head_open = self.ribbon_out = False
        self.fault_on_format: str | None = None
        self.silent_when_faulted = False
        self.answers_status = True
        self.prints_per_query: int | None = None
        self.hang_up_after: int | None = None
        self.hang_up_in_answer: int | None = None
        self.stall_after: int | None = None
        self.hold_open = False
        for name, value in behaviour.items():
            if not hasattr(self, name):
                raise TypeError(f"RawPrinter has no behaviour {name!r}")
            setattr(self, name, value)
        self.buffered = 0  # formats received and not printed
        self.printed = 0  # formats printed
        self.log: list[Connection] = []
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._released = threading.Event()
        self._changed = threading.Condition()
        self._open: list[socket.socket] = []

    # ------------------------------------------------------------------ running

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

    def stop(self) -> None:
        self._stop.set()
        self._released.set()
        if self._sock:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)  # wakes the accept at once
            self._sock.close()
        if self._thread:
            self._thread.join(timeout=5)
        with self._changed:
            for conn in self._open:
                conn.close()
            self._open.clear()

    def release(self) -> None:
        """Let connections kept open by `hold_open` close."""
        self._released.set()

    def _serve(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            record = Connection()
            with self._changed:
                self.log.append(record)
                self._open.append(conn)
                self._changed.notify_all()
            threading.Thread(target=self._talk, args=(conn, record), daemon=True).start()

    # ------------------------------------------------------------------ one connection

    def _talk(self, conn: socket.socket, record: Connection) -> None:
        conn.settimeout(0.2)
        received = 0
        pending = b""
        limits = [x for x in (self.hang_up_after, self.stall_after) if x is not None]
        limit = min(limits) if limits else None
        try:
            while not self._stop.is_set():
                if limit is not None and received >= limit:
                    if limit == self.stall_after:
                        self._stop.wait()  # stalled: never reads again, keeps the connection open
                    return
                try:
                    chunk = conn.recv(65536 if limit is None else min(65536, limit - received))
                except TimeoutError:
                    continue
                if not chunk:
                    if self.hold_open:
                        self._released.wait()
                    return
                received += len(chunk)
                pending = self._take(conn, record, pending + chunk)
        except OSError:
            return
        finally:
            conn.close()
            with self._changed:
                record.closed = True
                if conn in self._open:
                    self._open.remove(conn)
                self._changed.notify_all()

    def _take(self, conn: socket.socket, record: Connection, data: bytes) -> bytes:
        """Keep the label bytes, answer each ~HS; returns the tail that may be the start of a query."""
        while True:
            at = data.find(HOST_STATUS_QUERY)
            if at < 0:
                keep = 2 if data.endswith(b"~H") else 1 if data.endswith(b"~") else 0
                self._label_bytes(record, data[:len(data) - keep])
                return data[len(data) - keep:]
            self._label_bytes(record, data[:at])
            data = data[at + len(HOST_STATUS_QUERY):]
            with self._changed:
                record.queries += 1
                self._changed.notify_all()
            self._answer(conn, record)

    def _label_bytes(self, record: Connection, data: bytes) -> None:
        if not data:
            return
        with self._changed:
            before = bytes(record.data).count(b"^XZ")
            record.data += data
            formats = bytes(record.data).count(b"^XZ") - before
            self.buffered += formats
            if formats and self.fault_on_format:
                setattr(self, self.fault_on_format, True)
            self._changed.notify_all()

    def _faulted(self) -> bool:
        return self.paper_out or self.head_open or self.ribbon_out

    def _answer(self, conn: socket.socket, record: Connection) -> None:
        with self._changed:
            if not self.answers_status or (self.silent_when_faulted and self._faulted()):
                return
            if not (self.paused or self._faulted()):
                done = self.buffered if self.prints_per_query is None else min(self.buffered, self.prints_per_query)
                self.buffered -= done
                self.printed += done
            answer = host_status_answer(self.status())
        after_label = bool(record.data)
        if after_label and self.hang_up_in_answer is not None:
            conn.sendall(answer[:self.hang_up_in_answer])
            raise ConnectionAbortedError("hung up in the answer")
        conn.sendall(answer)

    # ------------------------------------------------------------------ what the test reads

    def status(self) -> HostStatus:
        return HostStatus(
            paper_out=self.paper_out, paused=self.paused, label_length_dots=406, formats_in_buffer=self.buffered,
            buffer_full=False, diagnostic_mode=False, partial_format=False, corrupt_ram=False,
            under_temperature=False, over_temperature=False, head_up=self.head_open, ribbon_out=self.ribbon_out,
            thermal_transfer=True, labels_remaining=0)

    def jobs(self) -> list[bytes]:
        """The label bytes of each connection that brought any, in order."""
        with self._changed:
            return [bytes(c.data) for c in self.log if c.data]

    @property
    def connections(self) -> int:
        with self._changed:
            return len(self.log)

    def wait_for(self, check: Callable[[], bool], timeout: float = 10) -> None:
        """Until `check()` holds; woken by every byte, query and connection end (no polling)."""
        with self._changed:
            if not self._changed.wait_for(check, timeout):
                raise AssertionError(f"the test printer did not get there within {timeout} s: {self.log}")

    def wait_for_closed(self, connections: int = 1, timeout: float = 10) -> None:
        """Until `connections` connections have ended (the sender's and the printer's side both done)."""
        self.wait_for(lambda: sum(c.closed for c in self.log) >= connections, timeout)


@dataclass
class PrinterFiles:
    """A printers.toml for tests: a raw TCP Zebra, a folder printer for PDF, and any CUPS queue."""

    tcp_port: int
    folder: Path
    cups_queue: str | None = None
    first_delay_s: int = 1
    extra: list[str] = field(default_factory=list)
    #: How long a send waits for the printer to confirm (0: a label not printed at once is left "sent").
    confirm_wait: float = 2.0

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
status_timeout = 2.0
confirm_wait = {self.confirm_wait}
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


def make_due(app: Flask) -> int:
    """Every queued job due now, as if its backoff had run out (no waiting for the clock, whichever clock
    the app runs on); how many."""
    from kiosk.labels.models import JobStatus, PrintJob

    with app.app_context(), database().session() as session:
        jobs = session.query(PrintJob).filter_by(status=JobStatus.QUEUED.value).all()
        for job in jobs:
            job.next_attempt_at = datetime(2000, 1, 1)
        return len(jobs)


def job_context(app: Flask) -> JobContext:
    """The scheduler's own job context for the app's settings and clock, for calling jobs directly."""
    with app.app_context():
        return JobContext(settings=settings(), database=database(), gateway=services().gateway(),
                          log=logging.getLogger("test.scheduler"), clock=services().clock)
