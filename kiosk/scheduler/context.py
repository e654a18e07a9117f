"""What a scheduled job receives."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from kiosk.config import Settings
from kiosk.db import Database
from kiosk.extensions import utc_now
from kiosk.fhir.gateway import FhirGateway


@dataclass(frozen=True)
class JobContext:
    """The scheduler process's services, shared by its jobs.

    `trigger` is "schedule" for a run the timetable started and "request" for one a person asked
    for (then `requested_by` names who, when the web knew). `clock` is "now" (aware UTC) for jobs that
    decide by time; tests pass their own and move it on instead of waiting.
    """

    settings: Settings
    database: Database
    gateway: FhirGateway
    log: logging.Logger
    trigger: str = "schedule"
    requested_by: str | None = None
    clock: Callable[[], datetime] = utc_now


class JobFailed(Exception):
    """A job that ran but did not do its work, with a sentence for the log and the asker (no patient data)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
