"""When an unanswered page is sent again, and when its backup is paged (config/paging.toml
[escalation], per urgency, counted from the page). The scheduler acts on it (kiosk/paging/jobs.py);
the pages screen shows the same timetable: amber once the page is due again, red once the backup is
due or has been paged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from .settings import EscalationSettings

#: Page.escalation_step
FIRST, REPEATED, BACKUP_PAGED = 0, 1, 2


class Due(StrEnum):
    REPEAT = "repeat"
    BACKUP = "backup"


@dataclass(frozen=True)
class Timetable:
    start: datetime
    repeat_at: datetime
    backup_at: datetime

    def due(self, step: int, now: datetime) -> Due | None:
        """What is due for an open page at escalation `step`. A scheduler that was stopped past both
        times pages the backup (the repeat would come too late to matter)."""
        if step < BACKUP_PAGED and now >= self.backup_at:
            return Due.BACKUP
        if step < REPEATED and now >= self.repeat_at:
            return Due.REPEAT
        return None

    def state(self, now: datetime) -> str:
        """'', 'amber' (due again) or 'red' (the backup is due)."""
        if now >= self.backup_at:
            return "red"
        if now >= self.repeat_at:
            return "amber"
        return ""

    def next_words(self, step: int, now: datetime) -> str | None:
        if step < REPEATED and now < self.repeat_at:
            return "Pages again"
        if step < BACKUP_PAGED and now < self.backup_at:
            return "Pages the backup"
        return None

    def next_at(self, step: int, now: datetime) -> datetime | None:
        if step < REPEATED and now < self.repeat_at:
            return self.repeat_at
        if step < BACKUP_PAGED and now < self.backup_at:
            return self.backup_at
        return None


def timetable(start: datetime, urgency: str, settings: EscalationSettings) -> Timetable:
    return Timetable(start, start + timedelta(minutes=settings.repeat_after(urgency)),
                     start + timedelta(minutes=settings.backup_after(urgency)))
