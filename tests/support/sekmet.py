"""Start a real sekmet-fhir server (its own virtual environment) on a free loopback port."""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
SEKMET_BIN = Path(os.environ.get("SEKMET_BIN", ROOT / ".venv-fhir" / "bin" / "sekmet"))


def _ephemeral_ports() -> tuple[int, int]:
    try:
        low, high = (int(n) for n in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    except (OSError, ValueError):
        low, high = 32768, 60999
    return low, high


def free_port() -> int:
    """A loopback port that nothing listens on, for a server a test starts later (or never: a "down" server).

    Chosen at random below the kernel's ephemeral range, which is where outgoing connections and servers
    bound to port 0 get theirs: between this call and the test's bind, nothing else on the machine (other
    xdist workers, other test runs) is handed the same port by the kernel."""
    low, _ = _ephemeral_ports()
    for _ in range(200):
        port = random.randrange(max(1024, low - 12_000), low)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free loopback port below {low}")


@dataclass
class SekmetServer:
    base_url: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    workdir: Path
    settings: dict[str, Any] | None = None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def restart(self) -> None:
        """Stop the server and start it again at the same address. An in-memory store starts empty, with
        a new key for its access tokens: every token it issued before is refused."""
        self.stop()
        self.process = start_sekmet(self.workdir, self.settings, port=self.port).process


def start_sekmet(workdir: Path, settings: dict[str, Any] | None = None, timeout: float = 60,
                 port: int | None = None, retries: int = 3) -> SekmetServer:
    """A sekmet-fhir server with an in-memory store (unless settings say otherwise), on `port` or a free
    port (another one if something took it first)."""
    if not SEKMET_BIN.exists():
        raise RuntimeError(f"sekmet-fhir is not installed at {SEKMET_BIN}; run `make test` (it builds .venv-fhir).")
    chosen = port or free_port()
    base_url = f"http://127.0.0.1:{chosen}/fhir"
    config: dict[str, Any] = {
        "base_url": base_url,
        "host": "127.0.0.1",
        "port": chosen,
        "db_path": ":memory:",
        "data_dir": str(workdir / "data"),
        "own_private_key_path": str(workdir / "keys" / "sekmet_private.pem"),
        "simulator": {"enabled": False},
        "log_inbound": False,
    }
    config.update(settings or {})
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / "sekmet.yaml"
    config_path.write_text(json.dumps(config))  # JSON is YAML
    log_path = workdir / "sekmet.log"
    log_file = log_path.open("wb")
    env = {**os.environ, "SEKMET_CONFIG": str(config_path)}
    process = subprocess.Popen([str(SEKMET_BIN), "serve"], cwd=workdir, env=env, stdout=log_file,
                               stderr=subprocess.STDOUT)
    server = SekmetServer(base_url=base_url, port=chosen, process=process, log_path=log_path, workdir=workdir,
                          settings=settings)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            if port is None and retries > 0 and "address already in use" in server.log().lower():
                return start_sekmet(workdir, settings, timeout, retries=retries - 1)
            raise RuntimeError(f"sekmet-fhir exited at start:\n{server.log()[-3000:]}")
        try:
            if httpx.get(f"{base_url}/metadata", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"sekmet-fhir did not answer within {timeout} s:\n{server.log()[-3000:]}")
