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

from kiosk.auth import Role
from tests.support.auth import CREDENTIALS, csrf_token
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


def run_kiosk(*args: str, env: dict[str, str], timeout: float = 120, root: Path = ROOT
              ) -> subprocess.CompletedProcess[str]:
    """One `kiosk ...` command (python -m kiosk.cli), to the end; `root`: the checkout whose kiosk runs."""
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], cwd=root, env=env, capture_output=True,
                          text=True, timeout=timeout)


def serve(env: dict[str, str], workdir: Path, name: str = "kiosk", timeout: float = 90, root: Path = ROOT
          ) -> ServedKiosk:
    """Start `kiosk serve` on a free loopback port and wait until it answers a static file; `root` is
    the checkout whose kiosk runs (benchmarks compare an older one)."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = workdir / f"{name}.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "serve", "--port", str(port)], cwd=root,
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


def sign_in_http(client: httpx.Client, role: Role = Role.UNIT_SECRETARY) -> httpx.Client:
    """Sign an httpx client (with base_url set to a served kiosk) in with the demo account of `role`."""
    badge, pin, _ = CREDENTIALS[role]
    client.post("/sign-in/badge", data={"badge": badge, "csrf_token": csrf_token(client.get("/sign-in").text)})
    answer = client.post("/sign-in/pin", data={"pin": pin, "csrf_token": csrf_token(client.get("/sign-in/pin").text)})
    if answer.status_code != 302:
        raise AssertionError(f"sign-in failed with HTTP {answer.status_code}")
    return client
