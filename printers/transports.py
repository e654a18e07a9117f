"""Getting label bytes to a printer, and the printer's word that it printed them: raw TCP (port 9100, Zebra),
CUPS through pycups (a PDF queue, or raw ZPL to a Zebra queue), and a folder for demos.

`send` returns a Delivery: `printed` when the printer (or the print server) has confirmed the whole job, or not
yet printed with a `ref` to `follow` it by later (the scheduler's print-retry job does). It raises
PrinterUnreachable when nothing of the label reached the printer and sending again later may work,
PrintOutcomeUnknown (PrinterSendInterrupted, PrinterUnconfirmed) when the printer got some or all of it but did
not confirm it (never resent by itself: a person checks the printer), and PrinterRefused when sending again will
not help. What counts as confirmed, per transport, is in docs/decisions.md ("Labels: Printed means the printer
says so").
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .errors import PrinterError, PrinterRefused, PrinterSendInterrupted, PrinterUnconfirmed, PrinterUnreachable
from .hoststatus import HOST_STATUS_QUERY, HostStatus, HostStatusError, frames, parse_host_status


@dataclass(frozen=True)
class Delivery:
    """What the printer (or print server) said about a job it was given."""

    printed: bool  # it confirmed every label of the job
    receipt: str  # for IT: where the bytes went and what the printer reported
    progress: str = ""  # while not confirmed: where the job is, in plain words ("The printer is still printing")
    ref: str = ""  # what `follow` needs to ask about this job again (a CUPS job id); "" for a Zebra, asked as a whole

log = logging.getLogger("printers")


class Transport(Protocol):
    def send(self, data: bytes, *, title: str, content_type: str) -> Delivery: ...

    def follow(self, ref: str) -> Delivery: ...

    def describe(self) -> str: ...


NO_ANSWER = "No answer to the status check (the printer may be out of labels or ribbon, or its head open)"
UNREADABLE = "Unreadable answer to the status check"


@dataclass(frozen=True)
class TcpTransport:
    """A Zebra's raw port. The kiosk asks the printer for its host status (`~HS`, printers.hoststatus) on the same
    connection: before the label (a printer that says it cannot print gets nothing, and the job waits), right after
    it (the answer proves the printer read every byte, and says whether anything went wrong), and then every
    `poll_interval` seconds until the printer has nothing left to print or `confirm_wait` seconds have passed."""

    host: str
    port: int = 9100
    connect_timeout: float = 3.0
    send_timeout: float = 10.0
    #: How long the printer may take to answer one ~HS.
    status_timeout: float = 3.0
    #: How long sending waits for the printer to finish the job before leaving it "sent, waiting".
    confirm_wait: float = 5.0
    poll_interval: float = 0.25
    clock: Callable[[], float] = field(default=time.monotonic, compare=False, repr=False)
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def describe(self) -> str:
        return f"TCP {self.where}"

    def _connect(self) -> socket.socket:
        try:
            return socket.create_connection((self.host, self.port), timeout=self.connect_timeout)
        except TimeoutError:
            raise PrinterUnreachable(f"The printer at {self.where} did not answer in time.",
                                     "The printer does not answer") from None
        except OSError as e:
            raise PrinterUnreachable(
                f"The printer at {self.where} cannot be reached ({type(e).__name__}); check that it is on, has "
                "labels, and is on the network.", "The printer does not answer") from None

    def _read_status(self, sock: socket.socket) -> HostStatus:
        """One ~HS answer. Raises TimeoutError (no answer), ConnectionError (hung up) or HostStatusError."""
        sock.settimeout(self.status_timeout)
        answer = b""
        while len(frames(answer)) < 3:
            chunk = sock.recv(1024)
            if not chunk:
                raise ConnectionError("the printer closed the connection")
            answer += chunk
            if len(answer) > 4096:
                raise HostStatusError("~HS answer longer than 4 KB")
        return parse_host_status(answer)

    def _status(self, sock: socket.socket, *, ask: bool, when: str, unsure: type[PrinterError],
                hung_up: tuple[type[PrinterError], str], note: str = "") -> HostStatus:
        """One ~HS answer (asked for first when `ask`; after a label the query went with it), or the error that
        says what went wrong: `when` is what the printer had done ("took the connection"), `unsure` the error for
        silence or an unreadable answer, `hung_up` the error and reason for a dropped connection, `note` the end
        of the message ("; the label was not sent")."""
        try:
            if ask:
                sock.settimeout(self.status_timeout)
                sock.sendall(HOST_STATUS_QUERY)
            return self._read_status(sock)
        except TimeoutError:
            raise unsure(f"The printer at {self.where} {when}, then did not answer the status check (~HS) within "
                         f"{self.status_timeout:g} s{note}.", NO_ANSWER) from None
        except HostStatusError as e:
            raise unsure(f"The printer at {self.where} {when}, then answered the status check (~HS) with something "
                         f"the kiosk cannot read ({e}){note}.", UNREADABLE) from None
        except OSError as e:
            error, reason = hung_up
            raise error(f"The printer at {self.where} {when}, then dropped the connection ({type(e).__name__})"
                        f"{note}.", reason) from None

    def _before(self, sock: socket.socket) -> HostStatus:
        """The printer's status before any byte of the label: whatever goes wrong here, nothing was sent."""
        status = self._status(sock, ask=True, when="took the connection", unsure=PrinterUnreachable,
                              hung_up=(PrinterUnreachable, "The printer hung up when asked for its status"),
                              note="; the label was not sent")
        if status.problems():
            raise PrinterUnreachable(f"The printer at {self.where} reports {status.describe()}; the label was not "
                                     "sent.", status.problem)
        if status.partial_format:
            raise PrinterUnreachable(f"The printer at {self.where} is part-way through receiving a label from "
                                     "another computer; the label was not sent.",
                                     "Busy with a label from another computer")
        return status

    def _after(self, sock: socket.socket, sent: int, ask: bool) -> HostStatus:
        """The printer's status once it has read the whole label (its answer comes after the label's last byte)."""
        return self._status(sock, ask=ask, when=f"took {sent:,} bytes", unsure=PrinterUnconfirmed,
                            hung_up=(PrinterUnconfirmed, "The printer hung up before confirming the label"))

    def _judge(self, status: HostStatus, when: str, receipt: str) -> Delivery | None:
        """Printed, a problem (raised), or None: still working on it. `when`: what the printer had done."""
        if status.problems():
            raise PrinterUnconfirmed(f"The printer at {self.where} {when}, then reported {status.describe()}.",
                                     status.problem)
        if status.partial_format:
            raise PrinterUnconfirmed(f"The printer at {self.where} {when}, then reported a label only partly "
                                     "received.", "The printer did not get the whole label")
        if status.idle:
            return Delivery(True, f"{receipt}; printer confirmed: {status.describe()}")
        return None

    def send(self, data: bytes, *, title: str, content_type: str) -> Delivery:
        sock = self._connect()
        with sock:
            self._before(sock)
            # From here on the printer may get the label: whatever it took may print.
            try:
                sock.settimeout(self.send_timeout)
                sock.sendall(data + HOST_STATUS_QUERY)
            except TimeoutError:
                raise PrinterSendInterrupted(f"The printer at {self.where} stopped taking data part-way through the "
                                             "label.", "The printer stopped taking the label part-way") from None
            except OSError as e:
                raise PrinterSendInterrupted(f"The printer at {self.where} dropped the connection "
                                             f"({type(e).__name__}) part-way through the label.",
                                             "The printer hung up part-way through the label") from None
            receipt = f"{len(data):,} bytes to {self.where}"
            status = self._after(sock, len(data), ask=False)
            deadline = self.clock() + self.confirm_wait
            while (done := self._judge(status, f"took {len(data):,} bytes", receipt)) is None:
                if self.clock() >= deadline:
                    return Delivery(False, f"{receipt}; printer reports {status.describe()}",
                                    "The printer is still printing")
                self.sleep(self.poll_interval)
                status = self._after(sock, len(data), ask=True)
            return done

    def follow(self, ref: str) -> Delivery:
        """Ask again whether the printer has finished (on a new connection). A Zebra's status is the printer's,
        not a job's: nothing left to print and no problem means every job it took has printed."""
        sock = self._connect()
        with sock:
            status = self._status(sock, ask=True, when="took the connection", unsure=PrinterUnconfirmed,
                                  hung_up=(PrinterUnreachable, "The printer does not answer"))
        receipt = f"asked {self.where} again"
        done = self._judge(status, "was asked about a label it had not confirmed", receipt)
        if done is not None:
            return done
        return Delivery(False, f"{receipt}; printer reports {status.describe()}", "The printer is still printing")


def _words(value: Any) -> list[str]:
    """An IPP keyword attribute as pycups gives it: one string or a list of them."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


@dataclass(frozen=True)
class CupsTransport:
    """A CUPS queue. `raw`: the bytes go to the printer untouched (ZPL to a Zebra queue). The job is followed by
    its IPP job-state: completed is printed; canceled, aborted and stopped are for a person to check; pending,
    held and processing are "sent, waiting" (the print server still has it)."""

    queue: str
    server: str = ""  # host[:port] of the CUPS server; empty: the local one
    raw: bool = False
    confirm_wait: float = 5.0
    poll_interval: float = 0.25
    clock: Callable[[], float] = field(default=time.monotonic, compare=False, repr=False)
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)

    def describe(self) -> str:
        where = f" on {self.server}" if self.server else ""
        return f"CUPS queue {self.queue}{where}" + (" (raw ZPL)" if self.raw else "")

    def _connection(self):  # type: ignore[no-untyped-def]
        try:
            import cups
        except ImportError:
            raise PrinterRefused("CUPS printing needs pycups (apt-get install libcups2-dev; pip install "
                                 "pycups).") from None
        host, _, port = self.server.partition(":")
        try:
            if host:
                return cups, cups.Connection(host=host, port=int(port or 631))
            return cups, cups.Connection()
        except RuntimeError:
            raise PrinterUnreachable(f"The CUPS print server{' ' + self.server if self.server else ''} cannot be "
                                     "reached.", "The print server does not answer") from None

    def send(self, data: bytes, *, title: str, content_type: str) -> Delivery:
        cups, conn = self._connection()
        options = {"raw": "true"} if self.raw else {}
        fd, path = tempfile.mkstemp(prefix="kiosk-label-", suffix=".zpl" if self.raw else ".pdf")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            job = conn.printFile(self.queue, path, title, options)
        except cups.IPPError as e:
            status = e.args[0] if e.args else None
            if status in (cups.IPP_NOT_FOUND, cups.IPP_NOT_POSSIBLE, cups.IPP_DOCUMENT_FORMAT,
                          cups.IPP_BAD_REQUEST, cups.IPP_FORBIDDEN, cups.IPP_NOT_AUTHORIZED):
                raise PrinterRefused(f"The CUPS queue {self.queue} refused the label (IPP status {status}).",
                                     "The print server refused the label") from None
            raise PrinterUnreachable(f"The CUPS queue {self.queue} did not take the label (IPP status {status}); "
                                     "the kiosk will try again.", "The print server did not take the label") from None
        except (RuntimeError, OSError):
            raise PrinterUnreachable(f"The CUPS print server cannot be reached for queue {self.queue}.",
                                     "The print server does not answer") from None
        finally:
            Path(path).unlink(missing_ok=True)
        deadline = self.clock() + self.confirm_wait
        while True:
            delivery = self._look(cups, conn, job)
            if delivery.printed or self.clock() >= deadline:
                return delivery
            self.sleep(self.poll_interval)

    def follow(self, ref: str) -> Delivery:
        cups, conn = self._connection()
        return self._look(cups, conn, int(ref))

    def _look(self, cups: Any, conn: Any, job: int) -> Delivery:
        """The job's IPP state now, as a Delivery (or PrinterUnconfirmed when it ended without printing)."""
        name = f"CUPS job {job} on {self.queue}"
        try:
            attrs = conn.getJobAttributes(job)
        except cups.IPPError as e:
            status = e.args[0] if e.args else None
            if status == cups.IPP_NOT_FOUND:
                raise PrinterUnconfirmed(f"The print server no longer knows {name}.",
                                         "The print server lost track of the label") from None
            raise PrinterUnreachable(f"The print server did not say how {name} is going (IPP status {status}).",
                                     "The print server does not answer") from None
        except (RuntimeError, OSError):
            raise PrinterUnreachable(f"The CUPS print server cannot be reached to follow {name}.",
                                     "The print server does not answer") from None
        state = attrs.get("job-state")
        reasons = ", ".join(_words(attrs.get("job-state-reasons")))
        said = str(attrs.get("job-printer-state-message") or "").strip()[:120]
        detail = f"{name}: job-state {state}" + (f" ({reasons})" if reasons else "")
        if said:
            detail += f"; printer: {said}"
        if state == cups.IPP_JOB_COMPLETED:
            return Delivery(True, detail)
        ended = {cups.IPP_JOB_CANCELED: "Cancelled at the print server",
                 cups.IPP_JOB_ABORTED: "Stopped by the print server because of an error",
                 cups.IPP_JOB_STOPPED: "Stopped at the print server"}
        if state in ended:
            raise PrinterUnconfirmed(f"{detail}.", ended[state] + (f": {said}" if said else ""))
        if state == cups.IPP_JOB_HELD:
            return Delivery(False, detail, "Held at the print server", str(job))
        try:
            printer = conn.getPrinterAttributes(self.queue, requested_attributes=[
                "printer-state", "printer-state-message", "printer-state-reasons"])
        except (cups.IPPError, RuntimeError, OSError):
            printer = {}
        if printer.get("printer-state") == cups.IPP_PRINTER_STOPPED:
            message = str(printer.get("printer-state-message") or "").strip()[:120]
            return Delivery(False, f"{detail}; queue stopped" + (f": {message}" if message else ""),
                            "The print server has stopped this printer" + (f": {message}" if message else ""),
                            str(job))
        waiting = "Printing" if state == cups.IPP_JOB_PROCESSING else "Waiting at the print server"
        return Delivery(False, detail, waiting, str(job))


def _owner_only_folder(path: Path) -> None:
    """Labels carry names, MRNs and birth dates: the folder is created 0700 and tightened to it if it
    lets others in (logged once per folder; the path only)."""
    if not path.exists():
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path, 0o700)
    elif path.stat().st_mode & 0o077 and path.stat().st_uid == os.geteuid():
        log.warning("label folder %s was readable by other users; it is now owner-only (700)", path)
        os.chmod(path, 0o700)


@dataclass(frozen=True)
class FolderTransport:
    """Writes each job as a file (demos, `make run`): name is time, a short id and the format. The file is written,
    flushed and fsynced under a temporary name, renamed, and the folder fsynced, before it counts as printed."""

    path: Path

    def describe(self) -> str:
        return f"folder {self.path}"

    def send(self, data: bytes, *, title: str, content_type: str) -> Delivery:
        suffix = ".pdf" if content_type == "application/pdf" else ".zpl"
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}{suffix}"
        target = self.path / name
        partial = self.path / f".{name}.part"
        try:
            _owner_only_folder(self.path)
            with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            partial.replace(target)
        except OSError as e:
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
            raise PrinterUnreachable(f"The label folder {self.path} cannot be written ({type(e).__name__}).",
                                     "The label folder cannot be written") from None
        try:
            folder = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)
        except OSError as e:
            raise PrinterUnconfirmed(f"The label {target.name} was written but the folder {self.path} could not be "
                                     f"synced ({type(e).__name__}).", "The label file may not be saved") from None
        return Delivery(True, f"{len(data):,} bytes written and synced to {target.name}", ref=target.name)

    def follow(self, ref: str) -> Delivery:
        """A folder job is confirmed when it is written; asked again, the file is there or it is not."""
        if ref and (self.path / ref).is_file():
            return Delivery(True, f"{ref} is in {self.path}", ref=ref)
        raise PrinterUnconfirmed(f"The label file {ref or '(no name)'} is not in {self.path}.",
                                 "The label file is missing")
