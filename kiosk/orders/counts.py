"""The co-signature counts the scheduler keeps, read by the home screen without asking the FHIR server.
A unit is named as in the settings (unit.location), so reading needs no FHIR request."""

from __future__ import annotations

from datetime import datetime

from kiosk.db import Database

from .models import CosignCount


def store_count(db: Database, unit_id: str, awaiting: int, past_due: int, now: datetime) -> None:
    with db.session() as session:
        row = session.get(CosignCount, unit_id)
        if row is None:
            session.add(CosignCount(unit_id=unit_id, awaiting=awaiting, past_due=past_due, counted_at=now))
        else:
            row.awaiting, row.past_due, row.counted_at = awaiting, past_due, now


def latest_count(db: Database, unit_id: str) -> CosignCount | None:
    with db.session() as session:
        row = session.get(CosignCount, unit_id)
        if row is not None:
            session.expunge(row)
        return row
