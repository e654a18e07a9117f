"""The audit trail: append rows, search them, export them, and send them to the FHIR server as
AuditEvents where its CapabilityStatement allows (the local row is kept whatever happens).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, aliased

from kiosk.fhir.builders import fhir_instant
from kiosk.fhir.client import Transaction
from kiosk.fhir.errors import FhirError, FhirUnavailable, InvalidResource
from kiosk.fhir.gateway import FhirGateway
from kiosk.fhir.validation import check_for_write

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
    return (detail or None) and detail[:500]


def append(db: Session, *, station: str, actor: Actor, action: str, outcome: str = "success",
           patient: str | None = None, entity: str | None = None, detail: str | None = None,
           at: datetime | None = None) -> AuditRecord:
    """Add one audit row (and its outbox entry). Rows are never changed or deleted afterwards."""
    if outcome not in OUTCOMES:
        raise ValueError(f"audit outcome must be one of {OUTCOMES}")
    row = AuditRecord(at=at or datetime.now(UTC), station=station, actor_badge=actor.badge, actor_name=actor.name,
                      actor_role=actor.role, action=action, outcome=outcome, patient=patient, entity=entity,
                      detail=_clip(detail))
    return _insert(db, row, deliver=True)


def append_intent(db: Session, *, station: str, actor: Actor, action: str, patient: str | None = None,
                  entity: str | None = None, detail: str | None = None, at: datetime | None = None) -> AuditRecord:
    """Add an intent (outcome "pending") in the caller's transaction: committed together with the row
    it is about (a print job), so that neither exists without the other. No AuditEvent is sent for an
    intent; its outcome row is sent, carrying both."""
    row = AuditRecord(at=at or datetime.now(UTC), station=station, actor_badge=actor.badge, actor_name=actor.name,
                      actor_role=actor.role, action=action, outcome=PENDING, patient=patient, entity=entity,
                      detail=_clip(detail))
    return _insert(db, row, deliver=False)


class IntentNotFound(LookupError):
    """There is no open intent with that id (none at all, or it is closed already)."""


def append_outcome(db: Session, intent_id: int, outcome: str, *, detail: str | None = None,
                   entity: str | None = None, patient: str | None = None,
                   at: datetime | None = None) -> AuditRecord:
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
                      outcome=outcome, patient=patient, entity=entity, detail=_clip(detail), intent_id=intent_id)
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

    @property
    def outcome_words(self) -> str:
        return {OPEN: OPEN_WORDS, "unknown": "no answer: check the record"}.get(self.outcome, self.outcome)


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _row(r: AuditRecord, closing: AuditRecord | None = None, *, row_id: int | None = None) -> AuditRow:
    """The line for a row; for an intent, joined with the row that closes it (if any)."""
    outcome, outcome_at, patient, entity, detail = r.outcome, None, r.patient, r.entity, r.detail
    if r.outcome == PENDING:
        outcome = OPEN
        if closing is not None:
            outcome, outcome_at = closing.outcome, _utc(closing.at)
            patient, entity = closing.patient or patient, closing.entity or entity
            detail = _joined(detail, closing.detail)
    return AuditRow(row_id or r.id, _utc(r.at), r.station, r.actor_badge, r.actor_name, r.actor_role, r.action,
                    outcome, patient, entity, detail, outcome_at)


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


def _outcome_lines(db: Session, records: list[AuditRecord]) -> list[AuditRow]:
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
               "entity", "detail", "outcome_at")
CSV_BATCH = 500


def _csv_line(row: AuditRow) -> list[str | int]:
    return [row.id, row.at.isoformat(), row.station, row.actor_badge or "", row.actor_name or "",
            row.actor_role or "", row.action, row.outcome_words, row.patient or "", row.entity or "",
            row.detail or "", row.outcome_at.isoformat() if row.outcome_at else ""]


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
    "refused": "Refused (not allowed)", "view-patient": "Opened patient", "print": "Printed",
    "reprint": "Reprinted", "fhir-write": "Changed a record", "staff-add": "Added a staff account",
    "staff-disable": "Disabled a staff account", "staff-reset-pin": "Set a new PIN",
    "supply-count": "Counted supplies", "supply-check": "Supply check", "cancel-print": "Cancelled a print",
}


def action_words(action: str) -> str:
    return ACTION_WORDS.get(action, action.replace("-", " ").capitalize())


def action_names(db: Session) -> list[str]:
    return sorted(db.scalars(select(AuditRecord.action).distinct()))


# ------------------------------------------------------------------ AuditEvent

DCM = "http://dicom.nema.org/resources/ontology/DCM"
AUDIT_EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
RESTFUL_INTERACTION = "http://hl7.org/fhir/restful-interaction"
SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type"
ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"

#: action -> (type system, type code, type display, subtype (system, code, display) or None, R4 action code)
EVENT_TYPES: dict[str, tuple[str, str, str, tuple[str, str, str] | None, str]] = {
    "sign-in": (DCM, "110114", "User Authentication", (DCM, "110122", "Login"), "E"),
    "sign-out": (DCM, "110114", "User Authentication", (DCM, "110123", "Logout"), "E"),
    "pin-failed": (DCM, "110114", "User Authentication", (DCM, "110122", "Login"), "E"),
    "badge-locked": (DCM, "110113", "Security Alert", None, "E"),
    "lock": (DCM, "110114", "User Authentication", None, "E"),
    "unlock": (DCM, "110114", "User Authentication", None, "E"),
    "refused": (DCM, "110113", "Security Alert", None, "E"),
    "view-patient": (DCM, "110110", "Patient Record", None, "R"),
    "print": (DCM, "110106", "Export", None, "R"),
    "reprint": (DCM, "110106", "Export", None, "R"),
    "fhir-write": (AUDIT_EVENT_TYPE, "rest", "RESTful Operation", (RESTFUL_INTERACTION, "update", "update"), "U"),
}
DEFAULT_EVENT = (DCM, "110100", "Application Activity", None, "E")


def _coding(system: str, code: str, display: str) -> dict[str, str]:
    return {"system": system, "code": code, "display": display}


def _what(ref: str) -> dict[str, str]:
    rtype = ref.split("/", 1)[0]
    if rtype in FHIR_TYPES and "/" in ref:
        return {"reference": ref}
    return {"display": ref}


def audit_event(row: AuditRow, station_name: str, staff_system: str) -> dict[str, Any]:
    """An R4 AuditEvent for one audit row (DICOM event codes where one fits)."""
    system, code, display, subtype, action = EVENT_TYPES.get(row.action, DEFAULT_EVENT)
    who: dict[str, Any] = {"display": row.actor_name or "kiosk system"}
    if row.actor_badge:
        who["identifier"] = {"system": staff_system, "value": row.actor_badge}
    event: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "type": _coding(system, code, display),
        "action": action,
        "recorded": fhir_instant(row.at),
        "outcome": "0" if row.outcome == "success" else "4",
        "outcomeDesc": f"{row.action}: {row.outcome_words}",
        "agent": [{"who": who, "requestor": True,
                   **({"altId": row.actor_role} if row.actor_role else {})}],
        "source": {"site": row.station, "observer": {"display": f"Unit Coordinator Kiosk, {station_name}"},
                   "type": [_coding(SOURCE_TYPE, "1", "User Device")]},
    }
    if subtype:
        event["subtype"] = [_coding(*subtype)]
    entities = []
    if row.patient:
        entities.append({"what": _what(row.patient), "type": _coding(ENTITY_TYPE, "1", "Person"),
                         "role": _coding(OBJECT_ROLE, "1", "Patient")})
    if row.entity:
        entities.append({"what": _what(row.entity), "type": _coding(ENTITY_TYPE, "2", "System Object"),
                         **({"description": row.detail} if row.detail else {})})
    elif row.detail:
        entities.append({"what": {"display": row.action}, "description": row.detail})
    if entities:
        event["entity"] = entities
    return event


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    unsupported: int = 0
    reason: str | None = None

    def summary(self) -> str:
        text = f"audit events: {self.sent} sent, {self.failed} failed, {self.unsupported} kept locally only"
        return text + (f" ({self.reason})" if self.reason else "")


SessionFactory = Callable[[], AbstractContextManager[Session]]
CLAIM_TIMEOUT = timedelta(minutes=5)


def _claimable(now: datetime) -> Any:
    """Pending rows, and rows a sender claimed but never finished (it died) long enough ago."""
    return or_(AuditDelivery.state == "pending",
               (AuditDelivery.state == "sending") & (AuditDelivery.claimed_at < now - CLAIM_TIMEOUT))


def _claim(sessions: SessionFactory, limit: int) -> list[AuditRow]:
    """Take up to `limit` pending rows for this sender; a row is claimed by exactly one sender."""
    now = datetime.now(UTC)
    with sessions() as db:
        candidates = list(db.scalars(select(AuditDelivery.record_id).where(_claimable(now))
                                     .order_by(AuditDelivery.record_id).limit(limit)))
        claimed = []
        for record_id in candidates:
            result = db.execute(update(AuditDelivery)
                                .where(AuditDelivery.record_id == record_id, _claimable(now))
                                .values(state="sending", claimed_at=now, attempts=AuditDelivery.attempts + 1))
            if result.rowcount == 1:  # type: ignore[attr-defined]
                claimed.append(record_id)
        rows = _outcome_lines(db, list(db.scalars(select(AuditRecord).where(AuditRecord.id.in_(claimed)))))
    return rows


def _finish(sessions: SessionFactory, record_ids: list[int], state: str, *, error: str | None = None,
            fhir_ids: dict[int, str] | None = None) -> None:
    now = datetime.now(UTC)
    with sessions() as db:
        for record_id in record_ids:
            delivery = db.get(AuditDelivery, record_id)
            if delivery is None:
                continue
            delivery.state = state
            delivery.last_error = error[:300] if error else None
            if state == "sent":
                delivery.sent_at = now
                delivery.fhir_id = (fhir_ids or {}).get(record_id)


def send_pending(sessions: SessionFactory, gw: FhirGateway, station_name: str, *, limit: int = 200) -> DeliveryReport:
    """Send pending audit rows as AuditEvents (one transaction when the server takes transactions).

    A batch the server refuses is sent again row by row, so that one event it will never take is set
    aside ("rejected", with the reason) instead of holding back every later row. When the server is
    away the rows stay pending for the next run; an event whose answer was lost may then arrive twice
    (R4 AuditEvent has no identifier to make its create conditional), which is better than losing it.
    """
    report = DeliveryReport()
    caps = gw.capabilities
    rows = _claim(sessions, limit)
    if not rows:
        return report
    reason = caps.reason("AuditEvent", "create")
    if reason:
        _finish(sessions, [r.id for r in rows], "unsupported", error=reason)
        report.unsupported, report.reason = len(rows), reason
        return report
    staff_system = f"{gw.identifiers.code_systems.rsplit('/CodeSystem', 1)[0]}/sid/staff-badge"
    events: list[tuple[int, dict[str, Any]]] = []
    for r in rows:
        event = audit_event(r, station_name, staff_system)
        try:
            check_for_write(event)
        except InvalidResource as e:
            _finish(sessions, [r.id], "rejected", error=e.message)
            report.failed += 1
            continue
        events.append((r.id, event))
    if not events:
        return report
    try:
        if caps.allows_transaction() and len(events) > 1:
            tx = Transaction()
            for _, event in events:
                tx.create(event)
            results = gw.client.transaction(tx)
            ids = {rid: (res.reference or "").split("/")[-1] for (rid, _), res in zip(events, results, strict=True)}
            _finish(sessions, list(ids), "sent", fhir_ids=ids)
            report.sent += len(ids)
            return report
    except FhirUnavailable as e:
        _finish(sessions, [rid for rid, _ in events], "pending", error=e.message)
        report.failed, report.reason = report.failed + len(events), e.message
        return report
    except FhirError:
        pass  # refused as a whole: find the row(s) it will not take, one by one
    for rid, event in events:
        try:
            created = gw.client.create(event)
        except FhirUnavailable as e:
            _finish(sessions, [rid], "pending", error=e.message)
            report.failed, report.reason = report.failed + 1, e.message
            continue
        except FhirError as e:
            _finish(sessions, [rid], "rejected", error=e.message)
            report.failed, report.reason = report.failed + 1, e.message
            continue
        _finish(sessions, [rid], "sent", fhir_ids={rid: created.id})
        report.sent += 1
    return report
