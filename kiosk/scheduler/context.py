"""What a scheduled job receives."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from kiosk.config import Settings
from kiosk.db import Database
from kiosk.fhir.gateway import FhirGateway


@dataclass(frozen=True)
class JobContext:
    """The scheduler process's services, shared by its jobs.

    `trigger` is "schedule" for a run the timetable started and "request" for one a person asked
    for (then `requested_by` names who, when the web knew).
    """

    settings: Settings
    database: Database
    gateway: FhirGateway
    log: logging.Logger
    trigger: str = "schedule"
    requested_by: str | None = None


class JobFailed(Exception):
    """A job that ran but did not do its work, with a sentence for the log and the asker (no patient data)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
