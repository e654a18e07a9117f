"""A real CUPS server with a PDF queue (cups-pdf) whose output goes to a temporary folder.

Session fixture `cups_pdf_queue`: starts cupsd when it is not running (as root; stopped again at the
end if this fixture started it), adds a cups-pdf queue whose instance configuration
(/etc/cups/cups-pdf-<instance>.conf) writes PDFs to a temporary folder, and removes both afterwards.
Missing tools fail loudly with what to install; nothing is skipped.
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
        log = Path("/var/log/cups/error_log")
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else "(no /var/log/cups/error_log)"
        raise AssertionError(f"cups-pdf wrote no PDF to {self.output} within {timeout} s; CUPS log:\n{tail}")


def _require_tools() -> None:
    missing = [tool for tool in ("cupsd", "lpadmin", "lpstat") if shutil.which(tool) is None]
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


@pytest.fixture(scope="session")
def cups_pdf_queue(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CupsPdfQueue]:
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
    instance = f"kiosktest{uuid.uuid4().hex[:8]}"
    queue = f"KIOSK_TEST_PDF_{instance[-8:]}"
    output = tmp_path_factory.mktemp("cups-pdf-out")
    output.chmod(0o777)
    conf = CUPS_CONFIG_DIR / f"cups-pdf-{instance}.conf"
    conf.write_text(f"Out {output}\nAnonDirName {output}\nLabel 0\nTitlePref 0\n")
    try:
        subprocess.run(["lpadmin", "-p", queue, "-E", "-v", f"cups-pdf:/{instance}", "-P", str(CUPS_PDF_PPD)],
                       check=True, capture_output=True, text=True)
        yield CupsPdfQueue(queue, output)
    finally:
        subprocess.run(["lpadmin", "-x", queue], check=False, capture_output=True)
        conf.unlink(missing_ok=True)
        if started is not None:
            started.terminate()
            try:
                started.wait(timeout=10)
            except subprocess.TimeoutExpired:
                started.kill()
                started.wait()
