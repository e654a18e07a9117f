"""What a print job's page and the queue say about a job, in plain words, with the printer's own reason."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from kiosk import timeutil
from kiosk.labels.models import JobProblem, JobStatus, PrintJob
from kiosk.labels.status import explain


@pytest.fixture(autouse=True)
def utc_station() -> Iterator[None]:
    timeutil.configure("UTC")
    yield
    timeutil.configure("")


def job(status: JobStatus, problem: JobProblem | None = None, reason: str | None = None, attempts: int = 1) -> PrintJob:
    return PrintJob(status=status.value, problem=problem.value if problem else None, printer_reason=reason,
                    attempts=attempts, printed_at=datetime(2026, 11, 29, 9, 41),
                    next_attempt_at=datetime(2026, 11, 29, 9, 45))


@pytest.mark.parametrize(("the_job", "retries", "words"), [
    (job(JobStatus.PRINTED), True, "Printed on Zebra at 09:41: the printer confirmed it."),
    (job(JobStatus.SENT, reason="The printer is still printing"), True,
     "Sent to Zebra, which has not confirmed it yet: The printer is still printing. The kiosk keeps checking until "
     "the printer confirms it."),
    (job(JobStatus.SENT, reason="The print server has stopped this printer: Jammed"), False,
     "Sent to Zebra, which has not confirmed it yet: The print server has stopped this printer: Jammed. The kiosk "
     "is not checking again because automatic retries are stopped: look at the printer, and tell IT."),
    (job(JobStatus.QUEUED, JobProblem.UNREACHABLE, "Printer paused"), True,
     "Not sent yet: Printer paused. Trying again at 09:45."),
    (job(JobStatus.QUEUED, JobProblem.UNREACHABLE, "The printer does not answer"), True,
     "The printer does not answer: check that it is on, has labels and is not paused. Trying again at 09:45."),
    (job(JobStatus.UNKNOWN, JobProblem.UNCONFIRMED, "Out of labels"), True,
     "Out of labels. The label may or may not have printed: check the printer; if the label is missing, print it "
     "again and choose the reason."),
    (job(JobStatus.UNKNOWN, JobProblem.INTERRUPTED, "The printer hung up part-way through the label"), True,
     "The printer hung up part-way through the label. The label may or may not have printed: check the printer; "
     "if the label is missing, print it again and choose the reason."),
    (job(JobStatus.UNKNOWN, JobProblem.CUT_OFF), True,
     "Sending was cut off, so the label may or may not have printed. Check the printer; if the label is missing, "
     "print it again and choose the reason."),
    (job(JobStatus.FAILED, JobProblem.GAVE_UP, "Print head open"), True,
     "Not printed: the printer was not ready on any try (last: Print head open). Print it again when it is."),
])
def test_each_state_in_plain_words_with_the_printers_reason(the_job: PrintJob, retries: bool, words: str) -> None:
    assert explain(the_job, "Zebra", retries) == words


def test_the_headlines_tell_sent_from_printed() -> None:
    assert JobStatus.SENT.label == "Sent, waiting for the printer"
    assert JobStatus.PRINTED.label == "Printed"
    assert JobStatus.UNKNOWN.label == "Check the printer"
