"""The audit trail: append-only rows (database triggers refuse UPDATE and DELETE), and a separate
outbox that tracks which rows have been sent to the FHIR server as AuditEvents.

A write to the outside world is recorded twice: an intent (outcome "pending") before it, and a new
row naming the intent (`intent_id`) with the outcome after it. A kiosk that dies in between leaves
an intent without an outcome, which the trail shows as "outcome unknown: check the record"."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kiosk.db import Base


class AuditRecord(Base):
    __tablename__ = "audit_record"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    station: Mapped[str] = mapped_column(String(64))
    actor_badge: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    actor_name: Mapped[str | None] = mapped_column(String(120), nullable=True)
    actor_role: Mapped[str | None] = mapped_column(String(32), nullable=True)
    action: Mapped[str] = mapped_column(String(40), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    patient: Mapped[str | None] = mapped_column(String(120), nullable=True, index=True)
    entity: Mapped[str | None] = mapped_column(String(200), nullable=True)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: What `entity` is, in the words people use ('bed 4W-401', 'hospital stay'), written with the row:
    #: never patient data (the Audit page shows patients from the FHIR server by `patient`).
    entity_label: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: Set on the row that closes an intent (outcome success | failure | unknown): the intent's id.
    intent_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True, unique=True)
    #: The row's place in the hash chain (1, 2, ...) and SHA-256 of its content and the previous row's
    #: hash (kiosk/audit/chain.py).
    chain_seq: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True, unique=True)
    row_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)


class AuditChain(Base):
    """The head of the hash chain: one row (id 1), moved in the transaction of every new audit row."""

    __tablename__ = "audit_chain"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class AuditDelivery(Base):
    """One row per audit record waiting to be (or already) sent as an AuditEvent."""

    __tablename__ = "audit_delivery"

    record_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: pending | sending | sent | unsupported (the server offers no AuditEvent) | rejected (it refused this one)
    state: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    fhir_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(300), nullable=True)
