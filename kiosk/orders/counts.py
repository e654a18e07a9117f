"""The co-signature counts the scheduler keeps, read by the home screen without asking the FHIR server,
and who on the unit saw that a provider disagreed with an order. A unit is named as in the settings
(unit.location), so reading needs no FHIR request."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kiosk.db import Database

from .models import CosignCount, DisagreementSeen


@dataclass(frozen=True)
class HomeCount:
    """What the home screen's orders panel says."""

    awaiting: int
    past_due: int
    #: Orders a provider disagreed with (and revoked) that nobody on the unit has marked seen.
    unseen_disagreements: int


def store_count(db: Database, unit_id: str, awaiting: int, past_due: int, now: datetime,
                disagreements: Iterable[str] = ()) -> None:
    found = json.dumps(sorted(disagreements))
    with db.session() as session:
        row = session.get(CosignCount, unit_id)
        if row is None:
            session.add(CosignCount(unit_id=unit_id, awaiting=awaiting, past_due=past_due, counted_at=now,
                                    disagreements=found))
        else:
            row.awaiting, row.past_due, row.counted_at, row.disagreements = awaiting, past_due, now, found


def add_disagreement(db: Database, unit_id: str, task_id: str, now: datetime) -> None:
    """A provider disagreed at this kiosk: the home screen says so now, not at the job's next count."""
    with db.session() as session:
        row = session.get(CosignCount, unit_id)
        if row is None:
            session.add(CosignCount(unit_id=unit_id, awaiting=0, past_due=0, counted_at=now,
                                    disagreements=json.dumps([task_id])))
        else:
            row.disagreements = json.dumps(sorted({*json.loads(row.disagreements), task_id}))


def latest_count(db: Database, unit_id: str) -> HomeCount | None:
    with db.session() as session:
        row = session.get(CosignCount, unit_id)
        if row is None:
            return None
        found = json.loads(row.disagreements)
        seen = set(session.scalars(select(DisagreementSeen.task_id).where(DisagreementSeen.task_id.in_(found))))
        return HomeCount(row.awaiting, row.past_due, sum(1 for t in found if t not in seen))


def seen_marks(db: Database, task_ids: Iterable[str]) -> dict[str, tuple[str, datetime]]:
    """Task id -> who on the unit marked the disagreement seen, and when."""
    with db.session() as session:
        rows = session.execute(select(DisagreementSeen.task_id, DisagreementSeen.seen_by, DisagreementSeen.seen_at)
                               .where(DisagreementSeen.task_id.in_(list(task_ids)))).all()
        return {task_id: (by, at) for task_id, by, at in rows}


def mark_seen(db: Database, task_id: str, by: str, at: datetime) -> bool:
    """Record that `by` saw the disagreement; False when someone had already (their mark stands)."""
    try:
        with db.session() as session:
            if session.get(DisagreementSeen, task_id) is not None:
                return False
            session.add(DisagreementSeen(task_id=task_id, seen_by=by, seen_at=at))
        return True
    except IntegrityError:  # marked at another station at the same moment
        return False
