"""The audit trail: every sign-in, lock, failed PIN, patient view, print and FHIR write, append-only.

`record(...)` is the call features make for what is done once it is done. A write to the outside
world (FHIR, printer, pager) is recorded around the write instead: `intent(...)` before it and
`outcome(intent_id, ...)` after it, so that a kiosk that dies in between leaves "outcome unknown",
never nothing. `intent_in(db, ...)` adds the intent inside a transaction of the caller's (a print job
and its intent are committed together). See docs/architecture.md.
"""

from __future__ import annotations

from flask import g, has_request_context
from sqlalchemy.orm import Session

from .services import SYSTEM_ACTOR, Actor, append, append_intent, append_outcome


def record(action: str, *, patient: str | None = None, entity: str | None = None, detail: str | None = None,
           outcome: str = "success", actor: object | None = None, entity_label: str | None = None) -> None:
    """Append one audit row in its own transaction (it is kept even if the request then fails).

    `actor` is a StaffMember (default: the signed-in person, else the kiosk system). `patient` and
    `entity` are references ("Patient/123", "PrintJob/42"); `entity_label` says what the entity is in
    words ("bed 4W-401"); `detail` and `entity_label` must hold no patient data.
    """
    from kiosk.extensions import database

    with database().session() as db:
        record_in(db, action, patient=patient, entity=entity, detail=detail, outcome=outcome, actor=actor,
                  entity_label=entity_label)


def record_in(db: Session, action: str, *, patient: str | None = None, entity: str | None = None,
              detail: str | None = None, outcome: str = "success", actor: object | None = None,
              entity_label: str | None = None) -> None:
    """`record(...)` inside the caller's transaction: the row is committed with the caller's rows, or not
    at all."""
    from kiosk.extensions import settings

    append(db, station=settings().station.id, actor=_actor(actor), action=action, outcome=outcome, patient=patient,
           entity=entity, detail=detail, entity_label=entity_label)


def intent(action: str, *, patient: str | None = None, entity: str | None = None, detail: str | None = None,
           actor: object | None = None, entity_label: str | None = None) -> int:
    """Append a row with outcome 'pending' BEFORE a write to the outside world (FHIR, printer, pager);
    returns its id. It is committed at once, before the write starts."""
    from kiosk.extensions import database

    with database().session() as db:
        return intent_in(db, action, patient=patient, entity=entity, detail=detail, actor=actor,
                         entity_label=entity_label)


def intent_in(db: Session, action: str, *, patient: str | None = None, entity: str | None = None,
              detail: str | None = None, actor: object | None = None, entity_label: str | None = None) -> int:
    """`intent(...)` inside the caller's transaction: the intent is committed with the caller's rows."""
    from kiosk.extensions import settings

    return append_intent(db, station=settings().station.id, actor=_actor(actor), action=action, patient=patient,
                         entity=entity, detail=detail, entity_label=entity_label).id


def outcome(intent_id: int, outcome: str, *, detail: str | None = None, entity: str | None = None,
            patient: str | None = None) -> None:
    """Append the row that closes an intent: outcome 'success' | 'failure' | 'unknown' (sent, answer
    lost). `entity` / `patient` name what the write made or touched when known only afterwards."""
    from kiosk.extensions import database

    with database().session() as db:
        append_outcome(db, intent_id, outcome, detail=detail, entity=entity, patient=patient)


def _actor(actor: object | None) -> Actor:
    staff = actor
    if staff is None and has_request_context():
        staff = g.get("staff") or g.get("locked_staff")
    if staff is None:
        return SYSTEM_ACTOR
    role = getattr(staff, "role", None)
    return Actor(badge=getattr(staff, "badge", None), name=getattr(staff, "display_name", None),
                 role=getattr(role, "value", role))
