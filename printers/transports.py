"""Getting label bytes to a printer: raw TCP (port 9100, Zebra), CUPS through pycups (a PDF queue, or
raw ZPL to a Zebra queue), and a folder for demos.

`send` returns a short receipt for the print queue ("CUPS job 12", "1,024 bytes to 10.0.4.21:9100").
It raises PrinterUnreachable when nothing reached the printer and sending again later may work,
PrinterSendInterrupted when the send broke off after the printer took the connection (part of the label
may have printed: never resent by itself), and PrinterRefused when sending again will not help.
"""

from __future__ import annotations

import logging
import os
import socket
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .errors import PrinterRefused, PrinterSendInterrupted, PrinterUnreachable

log = logging.getLogger("printers")


class Transport(Protocol):
    def send(self, data: bytes, *, title: str, content_type: str) -> str: ...

    def describe(self) -> str: ...


@dataclass(frozen=True)
class TcpTransport:
    """A Zebra's raw port: all bytes written and the connection closed cleanly counts as sent."""

    host: str
    port: int = 9100
    connect_timeout: float = 3.0
    send_timeout: float = 10.0

    def describe(self) -> str:
        return f"TCP {self.host}:{self.port}"

    def send(self, data: bytes, *, title: str, content_type: str) -> str:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout)
        except TimeoutError:
            raise PrinterUnreachable(f"The printer at {self.host}:{self.port} did not answer in time.") from None
        except OSError as e:
            raise PrinterUnreachable(
                f"The printer at {self.host}:{self.port} cannot be reached ({type(e).__name__}); check that it is "
                "on, has labels, and is on the network."
            ) from None
        # From here on the printer has the connection: whatever it already took may print.
        try:
            with sock:
                sock.settimeout(self.send_timeout)
                sock.sendall(data)
                sock.shutdown(socket.SHUT_WR)
        except OSError as e:
            reason = "stopped taking data" if isinstance(e, TimeoutError) else f"dropped the connection " \
                                                                                  f"({type(e).__name__})"
            raise PrinterSendInterrupted(
                f"The printer at {self.host}:{self.port} {reason} part-way through the label."
            ) from None
        return f"{len(data):,} bytes to {self.host}:{self.port}"


@dataclass(frozen=True)
class CupsTransport:
    """A CUPS queue. `raw`: the bytes go to the printer untouched (ZPL to a Zebra queue)."""

    queue: str
    server: str = ""  # host[:port] of the CUPS server; empty: the local one
    raw: bool = False

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
                                     "reached.") from None

    def send(self, data: bytes, *, title: str, content_type: str) -> str:
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
                raise PrinterRefused(f"The CUPS queue {self.queue} refused the label (IPP status {status}).") from None
            raise PrinterUnreachable(f"The CUPS queue {self.queue} did not take the label (IPP status {status}); "
                                     "the kiosk will try again.") from None
        except (RuntimeError, OSError):
            raise PrinterUnreachable(f"The CUPS print server cannot be reached for queue {self.queue}.") from None
        finally:
            Path(path).unlink(missing_ok=True)
        return f"CUPS job {job} on {self.queue}"


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
    """Writes each job as a file (demos, `make run`): name is time, a short id and the format."""

    path: Path

    def describe(self) -> str:
        return f"folder {self.path}"

    def send(self, data: bytes, *, title: str, content_type: str) -> str:
        suffix = ".pdf" if content_type == "application/pdf" else ".zpl"
        try:
            _owner_only_folder(self.path)
            name = f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}{suffix}"
            target = self.path / name
            partial = self.path / f".{name}.part"
            with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as f:
                f.write(data)
            partial.replace(target)
        except OSError as e:
            raise PrinterUnreachable(f"The label folder {self.path} cannot be written ({type(e).__name__}).") from None
        return f"{len(data):,} bytes to {target.name}"
