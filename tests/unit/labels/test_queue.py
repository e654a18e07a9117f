"""The print queue on a real SQLite database and a folder printer: a job is claimed once, sent once,
retried with backoff, never resent after being cut off mid-send, and cancellable only while it waits."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from kiosk.db import Database
from kiosk.labels.models import JobStatus, PrintJob
from kiosk.labels.queue import JobRequest, PrintQueue
from printers import Media, RenderedLabel, parse_printers_config
from printers.config import RetrySettings


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 26, 8, 0, 0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'kiosk.db'}")
    database.upgrade()
    return database


def config(folder: Path, port: int = 9):  # type: ignore[no-untyped-def]
    media = {t: {"name": t, "width_in": 2, "height_in": 1} for t in ("adult-armband", "infant-armband", "chart",
                                                                       "specimen")}
    return parse_printers_config({
        "retry": {"first_delay_s": 10, "max_delay_s": 40, "max_attempts": 4, "stale_claim_s": 60},
        "media": media,
        "printers": {
            "FOLDER": {"name": "Folder", "transport": "folder", "language": "zpl", "path": str(folder),
                       "labels": ["chart"]},
            "DOWN": {"name": "Down", "transport": "tcp", "language": "zpl", "host": "127.0.0.1", "port": port,
                     "connect_timeout": 0.3, "labels": ["chart"]},
        },
    }, "test", folder)


LABEL = RenderedLabel("zpl", b"^XA^FO10,10^A0N,30,0^FH_^FDTEST^FS^XZ\n", 203, Media("chart", 50, 25), 1)


def request(printer: str) -> JobRequest:
    return JobRequest("4W-NS-1", "S1001", "p1", "e1", "chart", printer)


def test_two_senders_racing_for_one_job_send_it_once(db: Database, tmp_path: Path) -> None:
    queue = PrintQueue(db, config(tmp_path / "out"))
    job_id = queue.submit(request("FOLDER"), LABEL)
    outcomes = []
    barrier = threading.Barrier(4)

    def send() -> None:
        barrier.wait()
        outcomes.append(PrintQueue(db, config(tmp_path / "out")).send(job_id))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(o.sent for o in outcomes) == 1
    assert len(list((tmp_path / "out").glob("*.zpl"))) == 1
    assert queue.get(job_id).status == JobStatus.PRINTED  # type: ignore[union-attr]


def test_unreachable_printers_back_off_then_give_up(db: Database, tmp_path: Path) -> None:
    from tests.support.sekmet import free_port

    clock = Clock()
    queue = PrintQueue(db, config(tmp_path, port=free_port()), clock)
    job_id = queue.submit(request("DOWN"), LABEL)
    waits = []
    for _ in range(3):
        outcome = queue.send(job_id)
        assert outcome.status is JobStatus.QUEUED and "cannot be reached" in outcome.message
        job = queue.get(job_id)
        waits.append((job.next_attempt_at - clock.now).total_seconds())  # type: ignore[union-attr]
        assert queue.retry_due().due == 0  # not due before its time
        clock.advance(waits[-1])
    assert waits == [10, 20, 40]
    outcome = queue.send(job_id)
    assert outcome.status is JobStatus.FAILED and "Gave up after 4 attempts" in outcome.message


def test_a_job_cut_off_mid_send_is_never_sent_again_by_itself(db: Database, tmp_path: Path) -> None:
    clock = Clock()
    queue = PrintQueue(db, config(tmp_path / "out"), clock)
    job_id = queue.submit(request("FOLDER"), LABEL)
    assert queue._claim(job_id, clock.now)  # a sender took it, then the process died
    clock.advance(30)
    assert queue.retry_due().abandoned_claims == 0
    clock.advance(31)
    summary = queue.retry_due()
    assert summary.abandoned_claims == 1 and summary.due == 0
    job = queue.get(job_id)
    assert job.status == JobStatus.UNKNOWN and "may or may not have printed" in job.last_error  # type: ignore[union-attr]
    assert not (tmp_path / "out").exists()


def test_cancel_only_while_waiting(db: Database, tmp_path: Path) -> None:
    queue = PrintQueue(db, config(tmp_path / "out"))
    waiting = queue.submit(request("FOLDER"), LABEL)
    assert queue.cancel(waiting)
    assert queue.send(waiting).status is JobStatus.CANCELLED
    printed = queue.submit(request("FOLDER"), LABEL)
    assert queue.send(printed).sent
    assert not queue.cancel(printed)


def test_a_printer_removed_from_the_settings_fails_the_job_with_a_reason(db: Database, tmp_path: Path) -> None:
    queue = PrintQueue(db, config(tmp_path / "out"))
    job_id = queue.submit(request("GONE"), LABEL)
    outcome = queue.send(job_id)
    assert outcome.status is JobStatus.FAILED and "no longer in the printer settings" in outcome.message


def test_retry_settings_double_up_to_the_cap() -> None:
    retry = RetrySettings(first_delay_s=15, max_delay_s=600)
    assert [retry.delay_after(n) for n in (1, 2, 3, 6, 7, 30)] == [15, 30, 60, 480, 600, 600]


def test_jobs_keep_the_exact_bytes_and_their_hash(db: Database, tmp_path: Path) -> None:
    import hashlib

    queue = PrintQueue(db, config(tmp_path / "out"))
    job_id = queue.submit(request("FOLDER"), LABEL)
    with db.session() as session:
        job = session.get(PrintJob, job_id)
        assert job.payload == LABEL.data  # type: ignore[union-attr]
        assert job.payload_sha256 == hashlib.sha256(LABEL.data).hexdigest()  # type: ignore[union-attr]
