"""The real `kiosk serve` (gunicorn with the production worker settings) as a process, for tests and
benchmarks that are about workers, threads and sockets."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.sekmet import free_port

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class ServedKiosk:
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, timeout: float = 30) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def kiosk_env(settings_env: dict[str, str], **extra: str) -> dict[str, str]:
    """The environment of a kiosk process: this one's without its KIOSK_* settings, plus `settings_env`."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    return {**environ, **settings_env, "PYTHONUNBUFFERED": "1", **extra}


def run_kiosk(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """One `kiosk ...` command (python -m kiosk.cli), to the end."""
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def serve(env: dict[str, str], workdir: Path, name: str = "kiosk", timeout: float = 90) -> ServedKiosk:
    """Start `kiosk serve` on a free loopback port and wait until /healthz answers (any status)."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = workdir / f"{name}.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "serve", "--port", str(port)], cwd=ROOT,
                                   env=env, stdout=log_file, stderr=subprocess.STDOUT)
    served = ServedKiosk(process, f"http://127.0.0.1:{port}", log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"kiosk serve exited ({process.returncode}):\n{served.log()[-3000:]}")
        try:
            httpx.get(served.url + "/static/css/kiosk.css", timeout=2)
            return served
        except httpx.TransportError:
            time.sleep(0.2)
    served.stop()
    raise AssertionError(f"kiosk serve did not answer within {timeout} s:\n{served.log()[-3000:]}")
