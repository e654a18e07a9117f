"""A scheduler killed with SIGKILL is replaced at once by the next one on the same machine, without
waiting for its lease to expire; a live one is never displaced."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from kiosk.scheduler.lease import current_holder
from tests.support.scheduler import FAST_SCHEDULE, scheduler_env, start_scheduler, write_schedule
from tests.support.supplies import SupplyUnit

#: A lease far longer than the test may wait: taking over must not depend on it expiring.
LONG_LEASE = FAST_SCHEDULE.replace("lease_seconds = 5", "lease_seconds = 600")


def test_a_killed_scheduler_is_replaced_at_once(supply_unit: SupplyUnit, tmp_path: Path) -> None:
    env = scheduler_env(supply_unit.env, write_schedule(tmp_path / "first", text=LONG_LEASE.format(interval=2)))
    first = start_scheduler(env, tmp_path / "first", name="first")
    first.wait_for("Scheduler started")
    first.process.send_signal(signal.SIGKILL)
    assert first.process.wait(timeout=30) == -signal.SIGKILL
    holder = current_holder(supply_unit.database)
    assert holder is not None and holder.pid == first.pid  # the lease is left behind, 10 minutes long

    started = time.monotonic()
    second = start_scheduler(env, tmp_path / "second", name="second")
    try:
        log = second.wait_for("Scheduler started", timeout=60)
        waited = time.monotonic() - started
        assert f"The previous scheduler (pid {first.pid} on this machine) is gone" in log
        holder = current_holder(supply_unit.database)
        assert holder is not None and holder.pid == second.pid
        assert waited < 60 < 600  # not the lease's 600 s
        second.wait_for("Ran supply-check (schedule)", timeout=30)

        # While the second runs, a third is refused as before: a live scheduler is never displaced.
        third = start_scheduler(env, tmp_path / "third", name="third")
        assert third.process.wait(timeout=60) == 3
        assert "Another scheduler is already running" in third.log()
    finally:
        second.stop(signal.SIGTERM)


def test_a_killed_scheduler_that_is_not_yet_reaped_is_replaced_too(supply_unit: SupplyUnit, tmp_path: Path) -> None:
    """Killed, but its parent has not collected it yet (a zombie still answers kill -0)."""
    env = scheduler_env(supply_unit.env, write_schedule(tmp_path / "first", text=LONG_LEASE.format(interval=2)))
    first = start_scheduler(env, tmp_path / "first", name="first")
    first.wait_for("Scheduler started")
    first.process.send_signal(signal.SIGKILL)
    deadline = time.monotonic() + 10
    while Path(f"/proc/{first.pid}/stat").read_text().split(") ")[1][0] != "Z" and time.monotonic() < deadline:
        time.sleep(0.05)
    second = start_scheduler(env, tmp_path / "second", name="second")
    try:
        assert "is gone" in second.wait_for("Scheduler started", timeout=60)
    finally:
        second.stop(signal.SIGTERM)
        first.process.wait(timeout=30)
