"""The print queue on a real SQLite database, a folder printer and the test Zebra over real TCP: a job is
claimed once, sent once, retried with backoff, printed only when the printer confirms it, followed while the
printer has not, never resent after being cut off mid-send or left unconfirmed, and cancellable only while it
waits."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from kiosk.db import Database
from kiosk.labels.models import JobProblem, JobStatus, PrintJob
from kiosk.labels.queue import DuplicatePrint, JobRequest, PrintQueue
from printers import Media, RenderedLabel, parse_printers_config
from printers.config import RetrySettings
from tests.support.labels import RawPrinter
from tests.support.sekmet import free_port


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
        "retry": {"first_delay_s": 10, "max_delay_s": 40, "max_attempts": 4, "stale_claim_s": 60,
                  "confirm_within_s": 120},
        "retention": {"label_bytes_days": 7},
        "media": media,
        "printers": {
            "FOLDER": {"name": "Folder", "transport": "folder", "language": "zpl", "path": str(folder),
                       "labels": ["chart"]},
            "DOWN": {"name": "Down", "transport": "tcp", "language": "zpl", "host": "127.0.0.1", "port": port,
                     "connect_timeout": 0.3, "send_timeout": 0.5, "status_timeout": 0.3, "confirm_wait": 0,
                     "labels": ["chart"]},
        },
    }, "test", folder)


LABEL = RenderedLabel("zpl", b"^XA^FO10,10^A0N,30,0^FH_^FDTEST^FS^XZ\n", 203, Media("chart", 50, 25), 1)


def request(printer: str, token: str | None = None) -> JobRequest:
    return JobRequest("4W-NS-1", "S1001", "p1", "e1", "chart", printer, print_token=token)


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
    assert sum(o.printed for o in outcomes) == 1
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
    assert queue.get(job_id).problem == JobProblem.UNREACHABLE  # type: ignore[union-attr]
    outcome = queue.send(job_id)
    assert outcome.status is JobStatus.FAILED and "Gave up after 4 attempts" in outcome.message
    assert queue.get(job_id).problem == JobProblem.GAVE_UP  # type: ignore[union-attr]


def test_a_send_the_printer_stopped_taking_part_way_is_never_retried(db: Database, tmp_path: Path) -> None:
    """The printer took the connection and some bytes, then stalled: part of the label may have printed,
    so the job is "check the printer", and the scheduler's retry never sends it again."""
    port = free_port()
    clock = Clock()
    queue = PrintQueue(db, config(tmp_path, port=port), clock)
    big = RenderedLabel("zpl", b"^XA^FO10,10^GB100,100,100^FS^XZ\n" * 400_000, 203, Media("chart", 50, 25), 1)
    job_id = queue.submit(request("DOWN"), big)
    printer = RawPrinter(port, stall_after=64, receive_buffer=4096).start()
    try:
        outcome = queue.send(job_id)
        assert outcome.status is JobStatus.UNKNOWN and not outcome.printed
        assert "may or may not have printed" in outcome.message
        job = queue.get(job_id)
        assert job.status == JobStatus.UNKNOWN and job.problem == JobProblem.INTERRUPTED  # type: ignore[union-attr]
        assert "stopped taking data part-way" in job.last_error  # type: ignore[union-attr, operator]
        assert job.printer_reason == "The printer stopped taking the label part-way"  # type: ignore[union-attr]
        for _ in range(3):
            clock.advance(3600)
            summary = queue.retry_due()
            assert summary.due == 0 and summary.printed == 0
    finally:
        printer.stop()
    assert printer.connections == 1
    assert queue.get(job_id).attempts == 1  # type: ignore[union-attr]


def test_a_print_token_makes_one_job_however_often_the_form_is_sent(db: Database, tmp_path: Path) -> None:
    token = "0123456789abcdef0123456789abcdef"
    queue = PrintQueue(db, config(tmp_path / "out"))
    first = queue.submit(request("FOLDER", token), LABEL)
    with pytest.raises(DuplicatePrint) as again:
        queue.submit(request("FOLDER", token), LABEL)
    assert again.value.job_id == first == queue.job_for_token(token)
    outcomes: list[int] = []
    barrier = threading.Barrier(4)
    other = "fedcba9876543210fedcba9876543210"

    def submit() -> None:
        barrier.wait()
        try:
            outcomes.append(PrintQueue(db, config(tmp_path / "out")).submit(request("FOLDER", other), LABEL))
        except DuplicatePrint as d:
            outcomes.append(-d.job_id)

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    made = [o for o in outcomes if o > 0]
    assert len(made) == 1 and sorted(-o for o in outcomes if o < 0) == made * 3
    assert queue.submit(request("FOLDER"), LABEL) != queue.submit(request("FOLDER"), LABEL)  # no token: no limit


def test_finished_jobs_lose_their_label_bytes_after_the_retention_period(db: Database, tmp_path: Path) -> None:
    clock = Clock()
    queue = PrintQueue(db, config(tmp_path / "out"), clock)
    printed = queue.submit(request("FOLDER"), LABEL)
    assert queue.send(printed).printed
    cancelled = queue.submit(request("FOLDER"), LABEL)
    assert queue.cancel(cancelled)
    clock.advance(7 * 86400 - 60)
    waiting = queue.submit(request("FOLDER"), LABEL)
    with db.session() as session:  # a job that waits does not lose its label however old it is
        session.get(PrintJob, waiting).next_attempt_at = clock.now + timedelta(days=30)  # type: ignore[union-attr]
    assert queue.purge_label_bytes() == 0  # not yet 7 days
    clock.advance(120)
    assert queue.retry_due().purged == 2
    for job_id in (printed, cancelled):
        job = queue.get(job_id)
        assert job.payload == b"" and job.payload_removed_at == clock.now  # type: ignore[union-attr]
        assert job.payload_sha256 and job.status in (JobStatus.PRINTED, JobStatus.CANCELLED)  # type: ignore[union-attr]
    assert queue.get(waiting).payload == LABEL.data  # type: ignore[union-attr]
    clock.advance(30 * 86400)
    assert queue.purge_label_bytes() == 0  # the waiting job is not finished


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
    assert queue.send(printed).printed
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


@pytest.fixture
def zebra_port() -> int:
    return free_port()


def zebra_job(db: Database, tmp_path: Path, port: int) -> tuple[PrintQueue, Clock, int]:
    """A queue on a clock of its own, and one label waiting for the test Zebra on `port`."""
    clock = Clock()
    queue = PrintQueue(db, config(tmp_path, port=port), clock)
    return queue, clock, queue.submit(request("DOWN"), LABEL)


@pytest.fixture
def zebra(zebra_port: int):  # type: ignore[no-untyped-def]
    printer = RawPrinter(zebra_port).start()
    yield printer
    printer.stop()


def test_a_printer_that_says_it_is_paused_gets_nothing_and_the_job_waits_then_prints(
        db: Database, tmp_path: Path, zebra: RawPrinter, zebra_port: int) -> None:
    queue, clock, job_id = zebra_job(db, tmp_path, zebra_port)
    zebra.paused = True
    outcome = queue.send(job_id)
    job = queue.get(job_id)
    assert outcome.status is JobStatus.QUEUED and "the label was not sent" in outcome.message
    assert job.printer_reason == "Printer paused" and job.problem == JobProblem.UNREACHABLE  # type: ignore[union-attr]
    assert zebra.jobs() == []
    zebra.paused = False
    clock.advance(10)
    summary = queue.retry_due()
    assert (summary.due, summary.printed) == (1, 1)
    job = queue.get(job_id)
    assert job.status == JobStatus.PRINTED and job.printer_reason is None  # type: ignore[union-attr]
    assert "printer confirmed: ready; 0 formats in buffer" in job.receipt  # type: ignore[union-attr, operator]
    assert zebra.jobs() == [LABEL.data]


def test_a_printer_that_takes_the_label_then_pauses_is_checked_by_a_person_and_never_resent(
        db: Database, tmp_path: Path, zebra: RawPrinter, zebra_port: int) -> None:
    queue, clock, job_id = zebra_job(db, tmp_path, zebra_port)
    zebra.fault_on_format = "paused"
    outcome = queue.send(job_id)
    job = queue.get(job_id)
    assert outcome.status is JobStatus.UNKNOWN and "may or may not have printed" in outcome.message
    assert job.problem == JobProblem.UNCONFIRMED and job.printer_reason == "Printer paused"  # type: ignore[union-attr]
    zebra.paused = False
    for _ in range(3):
        clock.advance(3600)
        summary = queue.retry_due()
        assert summary.due == 0 and summary.followed == 0
    zebra.wait_for_closed()
    assert zebra.jobs() == [LABEL.data] and zebra.connections == 1
    assert queue.printed_before("p1", "e1", "chart")  # a reprint needs a reason


def test_a_job_the_printer_is_still_printing_is_sent_then_followed_until_it_confirms(
        db: Database, tmp_path: Path, zebra: RawPrinter, zebra_port: int) -> None:
    queue, clock, job_id = zebra_job(db, tmp_path, zebra_port)
    zebra.prints_per_query = 0  # busy: the label waits in its buffer
    outcome = queue.send(job_id)
    job = queue.get(job_id)
    assert outcome.status is JobStatus.SENT and not outcome.printed
    assert job.printer_reason == "The printer is still printing"  # type: ignore[union-attr]
    assert not queue.cancel(job_id) and queue.printed_before("p1", "e1", "chart")
    clock.advance(30)
    summary = queue.retry_due()
    assert (summary.due, summary.followed, summary.confirmed, summary.waiting) == (0, 1, 0, 1)
    zebra.prints_per_query = None
    clock.advance(30)
    summary = queue.retry_due()
    assert (summary.followed, summary.confirmed, summary.waiting) == (1, 1, 0)
    job = queue.get(job_id)
    assert job.status == JobStatus.PRINTED and job.printed_at == clock.now  # type: ignore[union-attr]
    assert zebra.jobs() == [LABEL.data]  # asked about three times, sent once
    assert queue.retry_due().followed == 0


def test_a_sent_job_never_confirmed_becomes_check_the_printer_after_the_limit(
        db: Database, tmp_path: Path, zebra: RawPrinter, zebra_port: int) -> None:
    queue, clock, job_id = zebra_job(db, tmp_path, zebra_port)
    zebra.prints_per_query = 0
    assert queue.send(job_id).status is JobStatus.SENT
    zebra.stop()  # and then the printer cannot even be reached: the job stays sent until the limit
    clock.advance(119)
    assert queue.retry_due().waiting == 1 and queue.get(job_id).status == JobStatus.SENT  # type: ignore[union-attr]
    clock.advance(1)
    queue.retry_due()
    job = queue.get(job_id)
    assert job.status == JobStatus.UNKNOWN and job.problem == JobProblem.UNCONFIRMED  # type: ignore[union-attr]
    assert job.printer_reason == ("Not confirmed by the printer within 2 minutes (last: The printer is still "  # type: ignore[union-attr]
                                  "printing)")
    assert "cannot be reached" in job.last_error  # type: ignore[union-attr, operator]


def test_a_follow_up_that_finds_the_printer_out_of_labels_is_for_a_person_to_check(
        db: Database, tmp_path: Path, zebra: RawPrinter, zebra_port: int) -> None:
    queue, _, job_id = zebra_job(db, tmp_path, zebra_port)
    zebra.prints_per_query = 0
    assert queue.send(job_id).status is JobStatus.SENT
    zebra.paper_out = True
    assert queue.follow(job_id) is JobStatus.UNKNOWN
    assert queue.get(job_id).printer_reason == "Out of labels"  # type: ignore[union-attr]


def test_a_printer_that_never_answers_the_status_check_never_gets_a_label_and_is_never_called_printed(
        db: Database, tmp_path: Path, zebra: RawPrinter, zebra_port: int) -> None:
    queue, clock, job_id = zebra_job(db, tmp_path, zebra_port)
    zebra.answers_status = False
    outcomes = []
    for _ in range(4):
        outcomes.append(queue.send(job_id).status)
        clock.advance(3600)
    assert outcomes == [JobStatus.QUEUED] * 3 + [JobStatus.FAILED]
    job = queue.get(job_id)
    assert job.problem == JobProblem.GAVE_UP and job.printer_reason.startswith("No answer to the status check")  # type: ignore[union-attr]
    assert zebra.jobs() == []
