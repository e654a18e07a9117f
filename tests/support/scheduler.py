"""Start the real `kiosk scheduler` process for a test, read its log, and stop it with a signal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: A schedule for tests: the supply check every 2 s, requests looked for twice a second.
FAST_SCHEDULE = """\
[scheduler]
lease_seconds = 5
poll_seconds = 0.5

[jobs.supply-check]
interval_seconds = {interval}
"""


@dataclass
class SchedulerRun:
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_for(self, text: str, timeout: float = 30, after: int = 0) -> str:
        """Wait until `text` appears in the log (after character `after`); fails with the log if not."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            log = self.log()
            if text in log[after:]:
                return log
            if self.process.poll() is not None:
                raise AssertionError(f"the scheduler exited ({self.process.returncode}) before logging "
                                     f"{text!r}:\n{log}")
            time.sleep(0.1)
        raise AssertionError(f"the scheduler did not log {text!r} within {timeout} s:\n{self.log()}")

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"the scheduler did not stop within {timeout} s of the signal:\n"
                                 f"{self.log()}") from None


def scheduler_env(settings_env: dict[str, str], schedule_file: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    return {**environ, **settings_env, "KIOSK_SCHEDULER_CONFIG": str(schedule_file), "PYTHONUNBUFFERED": "1"}


def write_schedule(workdir: Path, interval: float = 2, text: str | None = None) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "scheduler.toml"
    path.write_text(text if text is not None else FAST_SCHEDULE.format(interval=interval))
    return path


def start_scheduler(env: dict[str, str], workdir: Path, name: str = "scheduler") -> SchedulerRun:
    """`python -m kiosk.cli scheduler` (the `kiosk scheduler` command) with its output in a log file."""
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / f"{name}.log"
    log_file = log_path.open("wb")
    process = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "scheduler"], cwd=ROOT, env=env,
                               stdout=log_file, stderr=subprocess.STDOUT)
    log_file.close()
    return SchedulerRun(process=process, log_path=log_path)
