"""The audit trail's FHIR code: each row as an R4 AuditEvent (DICOM event codes where one fits), and
their delivery to the FHIR server where its CapabilityStatement allows it (the local row is kept
whatever happens)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from kiosk.fhir.builders import fhir_instant
from kiosk.fhir.client import Transaction
from kiosk.fhir.errors import FhirError, FhirUnavailable, InvalidResource
from kiosk.fhir.gateway import FhirGateway
from kiosk.fhir.validation import check_for_write

from .models import AuditDelivery, AuditRecord
from .services import FHIR_TYPES, AuditRow, outcome_lines

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
        rows = outcome_lines(db, list(db.scalars(select(AuditRecord).where(AuditRecord.id.in_(claimed)))))
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
