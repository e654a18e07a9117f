"""Escalation by the real `kiosk scheduler` process: a job nobody accepted within its target is raised
on the transport board and the home screen, cleared once a transporter accepts it; while no scheduler
runs, the board and the home screen say escalation is stopped."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kiosk.auth import Role
from kiosk.config import Settings
from kiosk.db import Database
from kiosk.transport.escalation import raised_jobs
from tests.support.beds import page_text
from tests.support.scheduler import SchedulerRun, scheduler_env, start_scheduler, write_schedule
from tests.support.transport import ESCALATION_SCHEDULE as SCHEDULE
from tests.support.transport import TransportUnit, act, seen_of


@pytest.fixture
def shared(transport_unit: Callable[..., TransportUnit], demo_settings: Settings,
           tmp_path: Path) -> Iterator[tuple[TransportUnit, dict[str, str], Database]]:
    """A unit whose kiosk and scheduler share one database."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    unit = transport_unit(KIOSK_DATABASE_URL=url)
    env = {"KIOSK_FHIR_BASE_URL": demo_settings.fhir.base_url, "KIOSK_DATABASE_URL": url,
           "KIOSK_WEB_SECRET_KEY": "test-secret-key-not-for-production",
           "KIOSK_UNIT_LOCATION": f"{unit.ref.system}|{unit.ref.value}"}
    database = Database(url)
    yield unit, env, database
    database.dispose()


def test_the_scheduler_escalates_an_overdue_job_and_clears_it_when_accepted(
        shared: tuple[TransportUnit, dict[str, str], Database], tmp_path: Path) -> None:
    unit, env, database = shared
    jobs = unit.seed(unit.occupants()[0], state="requested", priority="stat", target_minutes=10, asked_ago=25)
    unit.seed(unit.occupants()[1], state="requested", asked_ago=2)  # within its target: left alone
    [late] = jobs.jobs
    client = unit.client()
    assert "Escalation is stopped" in page_text(client.get("/transport/").get_data(as_text=True))

    run: SchedulerRun = start_scheduler(scheduler_env(env, write_schedule(tmp_path / "sched", text=SCHEDULE)),
                                        tmp_path / "sched")
    try:
        run.wait_for("Ran transport-escalation (schedule)", timeout=60)
        log = run.wait_for("Escalated 1 job waiting past the target; 0 still raised; 0 cleared.", timeout=60)
        assert "Traceback" not in log
        [raised] = raised_jobs(database)
        assert raised.task_id == late.id and raised.priority == "stat"
        board = client.get("/transport/").get_data(as_text=True)
        assert "Escalation is stopped" not in page_text(board)
        start = board.index(f'data-job-id="{late.id}"')
        assert "Escalated" in page_text(board[start:start + 3000])
        home = page_text(client.get("/").get_data(as_text=True))
        assert "1 transport job waits past the target" in home and "escalation is stopped" not in home

        jordan = unit.client(Role.TRANSPORTER)
        after = len(run.log())  # before the accept: the job (every second) may clear it before the answer is read
        accepted = act(jordan, late.id, "accept", late.number or "", seen_of(unit.jobs(late.number or ""), late.id))
        assert accepted.status_code == 200
        run.wait_for("1 cleared.", timeout=60, after=after)
        assert raised_jobs(database) == []
        assert "transport job" not in page_text(client.get("/").get_data(as_text=True))
    finally:
        assert run.stop(signal.SIGTERM) == 0
    assert "Transport escalation is stopped" in page_text(client.get("/").get_data(as_text=True))
