"""The audit trail: append rows, search them, export them, and send them to the FHIR server as
AuditEvents where its CapabilityStatement allows (the local row is kept whatever happens).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from .chain import link
from .models import AuditDelivery, AuditRecord

OUTCOMES = ("success", "failure")
#: The outcome of an intent's own row: the write it announces has not been answered yet.
PENDING = "pending"
#: What may close an intent: done, not done, or sent with the answer lost (it may have been done).
INTENT_OUTCOMES = ("success", "failure", "unknown")
#: How the trail shows an intent that was never closed (the kiosk died between intent and outcome).
OPEN = "open"
OPEN_WORDS = "outcome unknown: check the record"
#: FHIR resource types an audit row can point at with a literal reference.
FHIR_TYPES = frozenset({"Patient", "Encounter", "Location", "ServiceRequest", "Task", "Flag", "Communication",
                        "CommunicationRequest", "SupplyRequest", "Provenance", "Practitioner"})


@dataclass(frozen=True)
class Actor:
    badge: str | None
    name: str | None
    role: str | None


SYSTEM_ACTOR = Actor(badge=None, name="kiosk system", role=None)


def _insert(db: Session, row: AuditRecord, *, deliver: bool) -> AuditRecord:
    row.at = row.at.astimezone(UTC)  # stored as UTC on SQLite and PostgreSQL alike: the hash covers it
    link(db, row)
    if deliver:
        db.add(AuditDelivery(record_id=row.id, state="pending", attempts=0))
    return row


def _clip(detail: str | None) -> str | None:
    return (detail or None) and detail[:2000]


def _label(label: str | None) -> str | None:
    return (label or None) and label[:200]


def append(db: Session, *, station: str, actor: Actor, action: str, outcome: str = "success",
           patient: str | None = None, entity: str | None = None, detail: str | None = None,
           at: datetime | None = None, entity_label: str | None = None) -> AuditRecord:
    """Add one audit row (and its outbox entry). Rows are never changed or deleted afterwards."""
    if outcome not in OUTCOMES:
        raise ValueError(f"audit outcome must be one of {OUTCOMES}")
    row = AuditRecord(at=at or datetime.now(UTC), station=station, actor_badge=actor.badge, actor_name=actor.name,
                      actor_role=actor.role, action=action, outcome=outcome, patient=patient, entity=entity,
                      detail=_clip(detail), entity_label=_label(entity_label))
    return _insert(db, row, deliver=True)


def append_intent(db: Session, *, station: str, actor: Actor, action: str, patient: str | None = None,
                  entity: str | None = None, detail: str | None = None, at: datetime | None = None,
                  entity_label: str | None = None) -> AuditRecord:
    """Add an intent (outcome "pending") in the caller's transaction: committed together with the row
    it is about (a print job), so that neither exists without the other. No AuditEvent is sent for an
    intent; its outcome row is sent, carrying both."""
    row = AuditRecord(at=at or datetime.now(UTC), station=station, actor_badge=actor.badge, actor_name=actor.name,
                      actor_role=actor.role, action=action, outcome=PENDING, patient=patient, entity=entity,
                      detail=_clip(detail), entity_label=_label(entity_label))
    return _insert(db, row, deliver=False)


class IntentNotFound(LookupError):
    """There is no open intent with that id (none at all, or it is closed already)."""


def append_outcome(db: Session, intent_id: int, outcome: str, *, detail: str | None = None,
                   entity: str | None = None, patient: str | None = None,
                   at: datetime | None = None, entity_label: str | None = None) -> AuditRecord:
    """Close an intent with a new row (the intent itself is never changed): same station, actor and
    action; `entity` and `patient` where the write named them only afterwards."""
    if outcome not in INTENT_OUTCOMES:
        raise ValueError(f"an intent's outcome must be one of {INTENT_OUTCOMES}")
    intent = db.get(AuditRecord, intent_id)
    if intent is None or intent.outcome != PENDING:
        raise IntentNotFound(f"audit row {intent_id} is not an intent")
    if db.scalar(select(AuditRecord.id).where(AuditRecord.intent_id == intent_id)) is not None:
        raise IntentNotFound(f"audit intent {intent_id} has its outcome already")
    row = AuditRecord(at=at or datetime.now(UTC), station=intent.station, actor_badge=intent.actor_badge,
                      actor_name=intent.actor_name, actor_role=intent.actor_role, action=intent.action,
                      outcome=outcome, patient=patient, entity=entity, detail=_clip(detail), intent_id=intent_id,
                      entity_label=_label(entity_label))
    return _insert(db, row, deliver=True)


# ------------------------------------------------------------------ search and export


@dataclass(frozen=True)
class AuditQuery:
    day_from: date | None = None
    day_to: date | None = None
    user: str | None = None
    patient: str | None = None
    action: str | None = None
    limit: int = 200


@dataclass(frozen=True)
class AuditRow:
    """One line of the trail: a plain row, or an intent together with its outcome (outcome OPEN when
    it has none)."""

    id: int
    at: datetime
    station: str
    actor_badge: str | None
    actor_name: str | None
    actor_role: str | None
    action: str
    outcome: str
    patient: str | None
    entity: str | None
    detail: str | None
    outcome_at: datetime | None = None
    #: `entity` in words ('bed 4W-401'), when the row was written with them.
    entity_label: str | None = None

    @property
    def outcome_words(self) -> str:
        return {OPEN: OPEN_WORDS, "unknown": "no answer: check the record"}.get(self.outcome, self.outcome)


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _row(r: AuditRecord, closing: AuditRecord | None = None, *, row_id: int | None = None) -> AuditRow:
    """The line for a row; for an intent, joined with the row that closes it (if any)."""
    outcome, outcome_at, patient, entity, detail = r.outcome, None, r.patient, r.entity, r.detail
    label = r.entity_label
    if r.outcome == PENDING:
        outcome = OPEN
        if closing is not None:
            outcome, outcome_at = closing.outcome, _utc(closing.at)
            patient = closing.patient or patient
            if closing.entity:
                label = closing.entity_label or (label if closing.entity == entity else None)
                entity = closing.entity
            detail = _joined(detail, closing.detail)
    return AuditRow(row_id or r.id, _utc(r.at), r.station, r.actor_badge, r.actor_name, r.actor_role, r.action,
                    outcome, patient, entity, detail, outcome_at, label)


def _joined(intent: str | None, closing: str | None) -> str | None:
    """The intent's detail, then the outcome's (once, where the outcome restates the intent's)."""
    if intent and closing and closing.startswith(intent):
        return closing
    return "; ".join(d for d in (intent, closing) if d) or None


def _lines(db: Session, records: list[AuditRecord]) -> list[AuditRow]:
    """Intents and plain rows as lines, each intent joined with its outcome (one query)."""
    intents = [r.id for r in records if r.outcome == PENDING]
    closing = {}
    if intents:
        closing = {c.intent_id: c for c in db.scalars(select(AuditRecord).where(AuditRecord.intent_id.in_(intents)))}
    return [_row(r, closing.get(r.id)) for r in records]


def outcome_lines(db: Session, records: list[AuditRecord]) -> list[AuditRow]:
    """Rows as sent to the FHIR server: an outcome row carries its intent (action, who, what, when)."""
    intent_ids = [r.intent_id for r in records if r.intent_id is not None]
    intents = {}
    if intent_ids:
        intents = {i.id: i for i in db.scalars(select(AuditRecord).where(AuditRecord.id.in_(intent_ids)))}
    lines = []
    for r in records:
        intent = intents.get(r.intent_id) if r.intent_id is not None else None
        lines.append(_row(intent, r, row_id=r.id) if intent is not None else _row(r))
    return lines


def _select(query: AuditQuery) -> Any:
    closing = aliased(AuditRecord)
    stmt = select(AuditRecord).where(AuditRecord.intent_id.is_(None))  # outcomes are shown on their intent's line
    if query.day_from:
        stmt = stmt.where(AuditRecord.at >= datetime.combine(query.day_from, time.min, UTC))
    if query.day_to:
        stmt = stmt.where(AuditRecord.at < datetime.combine(query.day_to + timedelta(days=1), time.min, UTC))
    if query.user:
        like = f"%{query.user.strip()}%"
        stmt = stmt.where(or_(AuditRecord.actor_badge == query.user.strip(), AuditRecord.actor_name.ilike(like)))
    if query.patient:
        named_after = select(closing.intent_id).where(closing.patient == query.patient, closing.intent_id.is_not(None))
        stmt = stmt.where(or_(AuditRecord.patient == query.patient, AuditRecord.id.in_(named_after)))
    if query.action:
        stmt = stmt.where(AuditRecord.action == query.action)
    return stmt.order_by(AuditRecord.at.desc(), AuditRecord.id.desc())


def search(db: Session, query: AuditQuery) -> list[AuditRow]:
    return _lines(db, list(db.scalars(_select(query).limit(query.limit))))


CSV_COLUMNS = ("id", "at", "station", "actor_badge", "actor_name", "actor_role", "action", "outcome", "patient",
               "entity", "detail", "outcome_at", "entity_label")
CSV_BATCH = 500


def _csv_line(row: AuditRow) -> list[str | int]:
    return [row.id, row.at.isoformat(), row.station, row.actor_badge or "", row.actor_name or "",
            row.actor_role or "", row.action, row.outcome_words, row.patient or "", row.entity or "",
            row.detail or "", row.outcome_at.isoformat() if row.outcome_at else "", row.entity_label or ""]


def export_csv(db: Session, query: AuditQuery) -> Iterator[str]:
    """The matching lines as CSV text, streamed in chunks (no row limit)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for batch in db.scalars(_select(query).execution_options(yield_per=CSV_BATCH)).partitions(CSV_BATCH):
        for row in _lines(db, list(batch)):
            writer.writerow(_csv_line(row))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


#: What each action means, in the words of the people who read the trail.
ACTION_WORDS = {
    "sign-in": "Signed in", "sign-out": "Signed out", "lock": "Locked the screen", "unlock": "Unlocked",
    "pin-failed": "Wrong PIN", "badge-locked": "Badge locked (too many wrong PINs)",
    "pin-while-locked": "Tried while the badge was locked (PIN not checked)",
    "pin-account-disabled": "Right PIN, but the account is disabled", "badge-unlocked": "Unlocked a badge",
    "staff-enable": "Enabled a staff account",
    "refused": "Refused (not allowed)", "view-patient": "Opened patient", "print": "Printed",
    "reprint": "Reprinted", "fhir-write": "Changed a record", "staff-add": "Added a staff account",
    "staff-disable": "Disabled a staff account", "staff-reset-pin": "Set a new PIN",
    "supply-count": "Counted supplies", "supply-check": "Supply check", "cancel-print": "Cancelled a print",
}


def action_words(action: str) -> str:
    return ACTION_WORDS.get(action, action.replace("-", " ").capitalize())


def action_names(db: Session) -> list[str]:
    return sorted(db.scalars(select(AuditRecord.action).distinct()))
