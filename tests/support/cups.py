"""A real CUPS server with print queues for the tests: PDF queues (cups-pdf) whose output goes to a temporary
folder, and raw queues that send to the test Zebra over TCP (CUPS's own socket backend).

Session fixture `cups_server`: starts cupsd when it is not running (as root; stopped again at the end if this
fixture started it). Session fixture `cups_pdf_queue`: one cups-pdf queue for the session. Fixture
`cups_queues`: makes more queues for one test (`pdf()`, `raw_to(port)`) and removes them, and their jobs,
afterwards. Missing tools fail loudly with what to install; nothing is skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

PACKAGES = "cups cups-bsd printer-driver-cups-pdf libcups2-dev"
CUPS_PDF_PPD = Path("/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd")
CUPS_PDF_BACKEND = Path("/usr/lib/cups/backend/cups-pdf")
CUPS_CONFIG_DIR = Path("/etc/cups")


@dataclass(frozen=True)
class CupsPdfQueue:
    name: str
    output: Path

    def wait_for_pdf(self, count: int = 1, timeout: float = 60) -> list[Path]:
        """The PDFs cups-pdf has finished writing (it writes, then closes; wait for stable sizes)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pdfs = sorted(self.output.glob("*.pdf"))
            if len(pdfs) >= count:
                sizes = [p.stat().st_size for p in pdfs]
                time.sleep(0.3)
                if sizes == [p.stat().st_size for p in pdfs] and all(sizes):
                    return pdfs
            time.sleep(0.2)
        raise AssertionError(f"cups-pdf wrote no PDF to {self.output} within {timeout} s; CUPS log:\n{_log_tail()}")


def _log_tail() -> str:
    log = Path("/var/log/cups/error_log")
    return log.read_text(errors="replace")[-2000:] if log.exists() else "(no /var/log/cups/error_log)"


def job_state(job: int) -> dict[str, Any]:
    """The IPP attributes CUPS reports for a job now."""
    import cups

    return dict(cups.Connection().getJobAttributes(job))


def wait_for_job_state(job: int, states: set[int], timeout: float = 60) -> dict[str, Any]:
    """Until CUPS reports the job in one of `states` (it has no push to a test; it is asked every 0.1 s, and
    the timeout is only there to fail a test whose job never gets there)."""
    deadline = time.monotonic() + timeout
    while True:
        attrs = job_state(job)
        if attrs.get("job-state") in states:
            return attrs
        if time.monotonic() > deadline:
            raise AssertionError(f"CUPS job {job} is still in state {attrs.get('job-state')} after {timeout} s; "
                                 f"CUPS log:\n{_log_tail()}")
        time.sleep(0.1)


def _require_tools() -> None:
    missing = [tool for tool in ("cupsd", "lpadmin", "lpstat", "cupsdisable", "cupsenable")
               if shutil.which(tool) is None]
    if missing or not CUPS_PDF_PPD.exists() or not CUPS_PDF_BACKEND.exists():
        raise RuntimeError(
            f"The CUPS printing test needs a CUPS server and the cups-pdf printer ({', '.join(missing) or 'cups-pdf'} "
            f"missing). Install them with: apt-get install -y {PACKAGES}  (`make test` does this as root)."
        )
    try:
        import cups  # noqa: F401
    except ImportError:
        raise RuntimeError("The CUPS printing test needs pycups: apt-get install -y libcups2-dev, then "
                           "`make venv` (it installs the cups extra).") from None


def _scheduler_running() -> bool:
    result = subprocess.run(["lpstat", "-r"], capture_output=True, text=True, check=False)
    return "is running" in result.stdout and "not running" not in result.stdout


def _lpadmin(*args: str) -> None:
    subprocess.run(["lpadmin", *args], check=True, capture_output=True, text=True)


@pytest.fixture(scope="session")
def cups_server() -> Iterator[None]:
    _require_tools()
    started: subprocess.Popen[bytes] | None = None
    if not _scheduler_running():
        if os.geteuid() != 0:
            raise RuntimeError("cupsd is not running and only root can start it: run the tests as root (as CI does) "
                               "or start CUPS first (service cups start).")
        started = subprocess.Popen(["cupsd", "-f"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while not _scheduler_running():
            if started.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("cupsd did not start; see /var/log/cups/error_log.")
            time.sleep(0.2)
    try:
        yield
    finally:
        if started is not None:
            started.terminate()
            try:
                started.wait(timeout=10)
            except subprocess.TimeoutExpired:
                started.kill()
                started.wait()


class CupsQueues:
    """Queues made for one test; `remove()` cancels their jobs and deletes them."""

    def __init__(self, output_root: Path):
        self.output_root = output_root
        self.names: list[str] = []
        self.configs: list[Path] = []

    def pdf(self) -> CupsPdfQueue:
        """A cups-pdf queue writing to its own temporary folder (its instance configuration in /etc/cups)."""
        instance = f"kiosktest{uuid.uuid4().hex[:8]}"
        name = f"KIOSK_TEST_PDF_{instance[-8:]}"
        output = self.output_root / name
        output.mkdir(mode=0o777)
        output.chmod(0o777)
        conf = CUPS_CONFIG_DIR / f"cups-pdf-{instance}.conf"
        conf.write_text(f"Out {output}\nAnonDirName {output}\nLabel 0\nTitlePref 0\n")
        self.configs.append(conf)
        _lpadmin("-p", name, "-E", "-v", f"cups-pdf:/{instance}", "-P", str(CUPS_PDF_PPD))
        self.names.append(name)
        return CupsPdfQueue(name, output)

    def raw_to(self, port: int) -> str:
        """A raw queue (no filter, no PPD) whose device is a printer's port 9100 on this machine, as a Zebra is
        set up in CUPS; CUPS's socket backend sends the job and waits for the printer to close."""
        name = f"KIOSK_TEST_RAW_{uuid.uuid4().hex[:8]}"
        _lpadmin("-p", name, "-E", "-v", f"socket://127.0.0.1:{port}/?snmp=false&waiteof=true")
        self.names.append(name)
        return name

    def remove(self) -> None:
        for name in self.names:
            subprocess.run(["cancel", "-a", name], check=False, capture_output=True)
            subprocess.run(["lpadmin", "-x", name], check=False, capture_output=True)
        for conf in self.configs:
            conf.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def cups_pdf_queue(cups_server: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CupsPdfQueue]:
    queues = CupsQueues(tmp_path_factory.mktemp("cups-pdf-out"))
    try:
        yield queues.pdf()
    finally:
        queues.remove()


@pytest.fixture
def cups_queues(cups_server: None, tmp_path: Path) -> Iterator[CupsQueues]:
    root = tmp_path / "cups"
    root.mkdir()
    root.chmod(0o777)
    queues = CupsQueues(root)
    try:
        yield queues
    finally:
        queues.remove()


def disable(queue: str, reason: str) -> None:
    """Stop a queue as an operator does (`cupsdisable -r`): it keeps taking jobs and prints none."""
    subprocess.run(["cupsdisable", "-r", reason, queue], check=True, capture_output=True, text=True)
