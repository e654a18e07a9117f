"""The real `kiosk scheduler` process: it runs the supply check on its schedule and when the web asks,
logs what it ran, exits cleanly on SIGTERM, and a second scheduler refuses to start."""

from __future__ import annotations

import json
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.scheduler import requests
from kiosk.scheduler.lease import current_holder
from kiosk.scheduler.models import JobRun
from kiosk.scheduler.registry import job_names
from kiosk.supplies.check import last_check
from tests.support.scheduler import SchedulerRun, scheduler_env, start_scheduler, write_schedule
from tests.support.supplies import SMALL_PAR, SupplyUnit


@pytest.fixture
def running(supply_unit: SupplyUnit, tmp_path: Path) -> Iterator[SchedulerRun]:
    env = scheduler_env(supply_unit.env, write_schedule(tmp_path / "sched", interval=2))
    run = start_scheduler(env, tmp_path / "sched")
    yield run
    if run.process.poll() is None:
        run.stop(signal.SIGKILL)


def test_the_scheduler_runs_the_supply_check_and_stops_cleanly_on_sigterm(supply_unit: SupplyUnit,
                                                                          running: SchedulerRun) -> None:
    supply_unit.count("CRASH", {"300110": 0})
    log = running.wait_for("Ran supply-check (schedule)", timeout=30)
    started = log[log.index("Scheduler started"):]
    assert "job supply-check: every 2 s; next run" in log
    assert "job audit-events: on request only; next run when asked" in log
    assert "job print-retry: on request only; next run when asked" in log
    assert re.search(r"Ran supply-check \(schedule\) in \d+\.\d\d s: Checked 6 items: 1 at or below reorder point; "
                     r"1 reorder sent; not reordered: 5 never counted\.", started), started
    check = last_check(supply_unit.database)
    assert check is not None and check.outcome == "sent" and check.trigger == "schedule"
    pads = next(row for row in json.loads(check.detail) if row["item"] == "300110")
    assert pads["state"] == "zero" and pads["action"] in ("created", "existing")
    # Later runs find the reorder and create nothing more.
    running.wait_for("1 already sent today", timeout=30)

    assert running.stop(signal.SIGTERM) == 0
    log = running.log()
    assert "Stopping (SIGTERM): no new runs; waiting for running jobs to finish" in log
    assert log.rstrip().endswith("Scheduler stopped (SIGTERM).")
    assert "Traceback" not in log
    assert current_holder(supply_unit.database) is None  # the lease was released
    with supply_unit.database.session() as session:
        runs = session.query(JobRun).filter_by(job="supply-check").all()
    assert runs and all(r.ok and r.trigger == "schedule" for r in runs)


def test_a_second_scheduler_refuses_to_start_while_the_first_runs(supply_unit: SupplyUnit, running: SchedulerRun,
                                                                  tmp_path: Path) -> None:
    running.wait_for("Scheduler started")
    env = scheduler_env(supply_unit.env, write_schedule(tmp_path / "second", interval=2))
    second = start_scheduler(env, tmp_path / "second", name="second")
    assert second.process.wait(timeout=60) == 3
    message = second.log().strip().splitlines()[-1]
    assert message.startswith(f"kiosk scheduler: Another scheduler is already running (pid {running.pid} on ")
    assert message.endswith("so this one will not start; stop that one first, or wait 5 s if it has just died.")
    assert "Scheduler started" not in second.log()
    assert running.process.poll() is None  # the first one is untouched
    holder = current_holder(supply_unit.database)
    assert holder is not None and holder.pid == running.pid

    assert running.stop() == 0
    third = start_scheduler(env, tmp_path / "third", name="third")
    third.wait_for("Scheduler started")
    assert third.stop(signal.SIGINT) == 0


def test_the_web_asks_the_running_scheduler_and_gets_its_own_runs_answer(supply_unit: SupplyUnit,
                                                                        tmp_path: Path) -> None:
    supply_unit.count("SUPPLY", {"100112": 3})
    env = scheduler_env(supply_unit.env, write_schedule(tmp_path / "sched", text="[scheduler]\nlease_seconds = 5\n"
                                                                                 "poll_seconds = 0.5\n"))
    run = start_scheduler(env, tmp_path / "sched")
    try:
        log = run.wait_for("job supply-check: on request only; next run when asked")
        asked = requests.ask(supply_unit.database, "supply-check", requested_by="A. Coordinator", station="4W-NS-1")
        run.wait_for(f"Ran supply-check (request #{asked.id})", after=len(log))
        answer = wait_for_answer(supply_unit, asked.id)
        assert answer.status == "done"
        assert answer.result == ("Checked 6 items: 1 at or below reorder point; 1 reorder sent; not reordered: 5 "
                                 "never counted.")
        check = last_check(supply_unit.database)
        assert (check.trigger, check.requested_by) == ("request", "A. Coordinator")
    finally:
        assert run.stop() == 0


def wait_for_answer(supply_unit: SupplyUnit, request_id: int, timeout: float = 30) -> requests.RequestView:
    """Poll the request row as the web page does, until the scheduler has answered it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = requests.get(supply_unit.database, request_id)
        if answer is not None and not answer.is_open:
            return answer
        time.sleep(0.2)
    raise AssertionError(f"request #{request_id} was not answered within {timeout} s")


@pytest.mark.parametrize(("broken", "expected"), [
    ("schedule", r"^kiosk: .*scheduler\.toml line 2: there is no job called 'supply-chek'; the jobs are: "
                 + re.escape(", ".join(job_names())) + r"\.$"),
    ("par file", r"^kiosk: .*par-levels\.toml line 11: item 100112 in Supply room has par -5; par must be a whole "
                 r"number from 1 to 100000\.$"),
])
def test_bad_configuration_stops_start_up_with_one_sentence(supply_unit: SupplyUnit, tmp_path: Path, broken: str,
                                                            expected: str) -> None:
    schedule = write_schedule(tmp_path / "sched", interval=2)
    if broken == "schedule":
        schedule.write_text("[scheduler]\n[jobs.supply-chek]\ninterval_seconds = 2\n")
    else:
        Path(supply_unit.env["KIOSK_SUPPLIES_PAR_LEVELS"]).write_text(
            SMALL_PAR.replace("par = 30, reorder = 12", "par = -5, reorder = 12"))
    run = start_scheduler(scheduler_env(supply_unit.env, schedule), tmp_path / "sched")
    assert run.process.wait(timeout=60) == 2
    lines = run.log().strip().splitlines()
    assert len(lines) == 1 and re.match(expected, lines[0]), run.log()
    assert current_holder(supply_unit.database) is None
