"""The scheduler's lease and the run-now requests on a real SQLite database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.db import Database
from kiosk.scheduler import requests
from kiosk.scheduler.lease import Lease, LeaseHeld, current_holder

T0 = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'kiosk.db'}")
    db.upgrade()
    yield db
    db.dispose()


def test_a_second_scheduler_is_refused_while_the_first_renews(database: Database) -> None:
    first, second = Lease(database, 30), Lease(database, 30)
    first.acquire(T0)
    with pytest.raises(LeaseHeld) as refused:
        second.acquire(T0 + timedelta(seconds=5))
    assert refused.value.message.startswith(f"Another scheduler is already running (pid {first.pid} on ")
    assert "last heartbeat 5 s ago" in refused.value.message
    assert refused.value.message.endswith("so this one will not start; stop that one first, or wait 30 s if it has "
                                          "just died.")
    assert first.renew(T0 + timedelta(seconds=25))
    with pytest.raises(LeaseHeld):
        second.acquire(T0 + timedelta(seconds=50))  # within 30 s of the last heartbeat


def test_a_dead_schedulers_lease_expires_and_the_next_takes_over(database: Database) -> None:
    first, second = Lease(database, 30), Lease(database, 30)
    first.acquire(T0)
    second.acquire(T0 + timedelta(seconds=31))
    assert current_holder(database, T0 + timedelta(seconds=32)).holder == second.holder
    # The first one wakes up: it may not renew and must stop.
    assert not first.renew(T0 + timedelta(seconds=33))


def test_release_frees_the_lease_at_once(database: Database) -> None:
    first, second = Lease(database, 30), Lease(database, 30)
    first.acquire(T0)
    first.release()
    assert current_holder(database, T0) is None
    second.acquire(T0 + timedelta(seconds=1))


def test_requests_for_the_same_job_are_shared_and_answered_once(database: Database) -> None:
    a = requests.ask(database, "supply-check", requested_by="A. Smith", station="4W-NS-1", now=T0)
    b = requests.ask(database, "supply-check", requested_by="B. Jones", station="4W-NS-2", now=T0)
    assert a.id == b.id and a.waiting_for_nobody
    lease = Lease(database, 30)
    lease.acquire()
    assert requests.pending_jobs(database) == ["supply-check"]
    claimed = requests.claim(database, "supply-check", lease.holder)
    assert claimed == [a.id]
    assert requests.requested_by(database, claimed) == "A. Smith"
    running = requests.get(database, a.id)
    assert running.status == "running" and running.scheduler is not None
    requests.answer(database, claimed, ok=True, result="Checked 6 items: none at or below reorder point.")
    done = requests.get(database, a.id)
    assert (done.status, done.result, done.is_open) == ("done", "Checked 6 items: none at or below reorder point.",
                                                        False)
    assert requests.ask(database, "supply-check", requested_by=None, station=None).id != a.id


def test_an_unknown_job_cannot_be_asked_for(database: Database) -> None:
    with pytest.raises(requests.UnknownJob, match="no scheduled job called 'reboot'"):
        requests.ask(database, "reboot", requested_by=None, station=None)


def test_requests_a_stopped_scheduler_left_running_are_answered_as_failed(database: Database) -> None:
    asked = requests.ask(database, "supply-check", requested_by=None, station=None)
    requests.claim(database, "supply-check", "old-host:1:dead")
    assert requests.abandon_unfinished(database, "new-host:2:live") == 1
    answered = requests.get(database, asked.id)
    assert answered.status == "failed"
    assert answered.result == "The scheduler stopped before this job finished; ask again."


def test_old_history_is_forgotten_and_open_requests_are_kept(database: Database) -> None:
    from kiosk.scheduler.models import JobRequest, JobRun

    old = requests.ask(database, "supply-check", requested_by=None, station=None, now=T0)
    requests.answer(database, [old.id], ok=True, result="done", now=T0)
    waiting = requests.ask(database, "audit-events", requested_by=None, station=None, now=T0)
    with database.session() as session:
        session.add(JobRun(job="supply-check", trigger="schedule", scheduler="x", started_at=T0, finished_at=T0,
                           ok=True, summary="done"))
    assert requests.forget_old(database, 30, now=T0 + timedelta(days=31)) == 2
    with database.session() as session:
        assert [r.id for r in session.query(JobRequest)] == [waiting.id]
        assert session.query(JobRun).count() == 0


def test_a_holder_on_this_machine_whose_process_is_gone_is_taken_over_at_once(database: Database) -> None:
    import signal
    import subprocess
    import sys
    import time

    from kiosk.scheduler.lease import holder_is_dead_here, process_identity

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lease = Lease(database, 30)
        holder = f"{lease.host}:{child.pid}:0badc0de:{process_identity(child.pid)}"
        assert not holder_is_dead_here(holder, lease.host, child.pid, lease.host)  # alive
        assert not holder_is_dead_here(holder, "other-host", child.pid, "this-host")  # cannot tell: wait
        assert not holder_is_dead_here(f"{lease.host}:{child.pid}:0badc0de", lease.host, child.pid, lease.host)
        reused = f"{lease.host}:{child.pid}:0badc0de:{process_identity(child.pid)}0"  # started at another time
        assert holder_is_dead_here(reused, lease.host, child.pid, lease.host)
        child.send_signal(signal.SIGKILL)
        deadline = datetime.now(UTC) + timedelta(seconds=10)
        while not holder_is_dead_here(holder, lease.host, child.pid, lease.host) and datetime.now(UTC) < deadline:
            time.sleep(0.01)  # a zombie until reaped: dead already
        assert holder_is_dead_here(holder, lease.host, child.pid, lease.host)
    finally:
        child.kill()
        child.wait()
    assert holder_is_dead_here(holder, lease.host, child.pid, lease.host)  # reaped: no such pid
