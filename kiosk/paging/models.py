"""Pages and the messages that carry them: the paging outbox (like the print queue).

A page is one request to reach someone (the FHIR CommunicationRequest, or its local stand-in); each
message is one send to one person through one channel (a FHIR Communication): the first, a repeat,
the backup. A message is claimed atomically (queued -> sending, with a claim token) before it leaves,
so the web request and the scheduler's retry can never both send it. Every time is naive UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kiosk.db import Base


def utcnow() -> datetime:
    """Naive UTC, as SQLite stores it."""
    return datetime.now(UTC).replace(tzinfo=None)


class PageStatus(StrEnum):
    OPEN = "open"  # waiting for an acknowledgement
    ACKNOWLEDGED = "acknowledged"  # by the link in a message, or by the messaging platform
    CALLED_BACK = "called-back"  # the secretary recorded the call back (with or without an acknowledgement)
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return {PageStatus.OPEN: "Waiting for an answer", PageStatus.ACKNOWLEDGED: "Acknowledged",
                PageStatus.CALLED_BACK: "Called back", PageStatus.CANCELLED: "Cancelled"}[self]


#: Pages that no longer wait for anyone.
CLOSED = (PageStatus.ACKNOWLEDGED, PageStatus.CALLED_BACK, PageStatus.CANCELLED)


class MessageStatus(StrEnum):
    QUEUED = "queued"  # waiting to be sent (now, or at next_attempt_at)
    SENDING = "sending"  # claimed by one process, on its way
    SENT = "sent"  # the SMTP server or the platform took it
    FAILED = "failed"  # refused, or gave up after the last retry
    UNKNOWN = "unknown"  # cut off while sending: may or may not have arrived; never sent again by itself
    CANCELLED = "cancelled"  # the page was closed before this message left

    @property
    def label(self) -> str:
        return {MessageStatus.QUEUED: "Waiting to be sent", MessageStatus.SENDING: "Sending",
                MessageStatus.SENT: "Sent", MessageStatus.FAILED: "Not sent",
                MessageStatus.UNKNOWN: "Check delivery", MessageStatus.CANCELLED: "Not sent (page closed)"}[self]


class MessageKind(StrEnum):
    FIRST = "first"
    REPEAT = "repeat"
    BACKUP = "backup"

    @property
    def label(self) -> str:
        return {MessageKind.FIRST: "Paged", MessageKind.REPEAT: "Paged again",
                MessageKind.BACKUP: "Backup paged"}[self]


class Page(Base):
    __tablename__ = "paging_pages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: Made when the compose form is drawn: a second POST of the same form finds this page.
    public_id: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    station_id: Mapped[str] = mapped_column(String(64))
    requested_by: Mapped[str | None] = mapped_column(String(64), nullable=True)  # badge
    requested_by_name: Mapped[str | None] = mapped_column(String(120), nullable=True)
    #: What asked for the page: the compose screen ("kiosk") or a call light ("call-light").
    source: Mapped[str] = mapped_column(String(20), default="kiosk")
    urgency: Mapped[str] = mapped_column(String(10))
    template: Mapped[str | None] = mapped_column(String(30), nullable=True)
    free_text: Mapped[str] = mapped_column(Text, default="")
    callback: Mapped[str] = mapped_column(String(40))
    #: The first message as composed, without its acknowledgement link (what the FHIR record says).
    record_text: Mapped[str] = mapped_column(Text, default="")
    patient_ref: Mapped[str | None] = mapped_column(String(80), nullable=True)
    encounter_ref: Mapped[str | None] = mapped_column(String(80), nullable=True)
    #: The room and initials the messages carry (as composed), for the pages screen.
    about_room: Mapped[str | None] = mapped_column(String(40), nullable=True)
    about_initials: Mapped[str | None] = mapped_column(String(20), nullable=True)
    #: Who was paged first: 'PractitionerRole/<id>' (or 'Practitioner/<id>'), their name and role.
    recipient_ref: Mapped[str] = mapped_column(String(80))
    recipient_name: Mapped[str] = mapped_column(String(120))
    recipient_role: Mapped[str] = mapped_column(String(120), default="")
    #: The on-call role the recipient was paged as (its next person is the backup), if any.
    on_call_role: Mapped[str | None] = mapped_column(String(40), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default=PageStatus.OPEN.value)
    #: 0 first message, 1 repeated, 2 backup paged.
    escalation_step: Mapped[int] = mapped_column(Integer, default=0)
    #: What escalation could not do ("No backup could be paged: ..."), for the pages screen.
    escalation_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: The first answer: how (link, platform, called-back, cancelled), when and by whom.
    answered_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    answered_how: Mapped[str | None] = mapped_column(String(20), nullable=True)
    answered_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    #: The secretary recorded the call back (also after an acknowledgement).
    called_back_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    called_back_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    # ---- the FHIR record (CommunicationRequest, or kept here only)
    fhir_request_ref: Mapped[str | None] = mapped_column(String(80), nullable=True)
    fhir_request_version: Mapped[str | None] = mapped_column(String(40), nullable=True)
    #: What was last written: '<status>:<fingerprint of the resource>' ('active:1f2e3d4c5b6a7980').
    fhir_request_written: Mapped[str | None] = mapped_column(String(40), nullable=True)
    #: Something changed here that the FHIR server does not hold yet.
    fhir_pending: Mapped[bool] = mapped_column(Boolean, default=True)
    #: One process records a page at a time (the web's request and the scheduler's job).
    fhir_claim_token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    fhir_claimed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    fhir_attempts: Mapped[int] = mapped_column(Integer, default=0)
    fhir_next_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    #: Why the kiosk stopped recording this page on the FHIR server by itself (a person decides).
    fhir_problem: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: Why the FHIR record is partly or wholly kept here (the server does not offer it), as shown.
    fhir_note: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        Index("ux_paging_pages_public_id", "public_id", unique=True),
        Index("ix_paging_pages_status", "status", "created_at"),
        Index("ix_paging_pages_fhir", "fhir_pending", "fhir_next_at"),
    )

    @property
    def page_status(self) -> PageStatus:
        return PageStatus(self.status)


class PageMessage(Base):
    __tablename__ = "paging_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("paging_pages.id"))
    seq: Mapped[int] = mapped_column(Integer)  # 0, 1, 2 ... within the page
    kind: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    recipient_ref: Mapped[str] = mapped_column(String(80))
    recipient_name: Mapped[str] = mapped_column(String(120))
    recipient_role: Mapped[str] = mapped_column(String(120), default="")
    channel: Mapped[str] = mapped_column(String(10))  # smtp, webhook
    address: Mapped[str] = mapped_column(String(200))  # the e-mail address, or the platform's handle
    telecom_system: Mapped[str] = mapped_column(String(10))  # pager, sms, email, other
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    #: The body without its acknowledgement link (what the FHIR record says: the link works for anyone).
    record_text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default=MessageStatus.QUEUED.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    claim_token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    receipt: Mapped[str | None] = mapped_column(String(200), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: The acknowledgement link was used (it works once).
    ack_used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # ---- its FHIR Communication
    communication_ref: Mapped[str | None] = mapped_column(String(80), nullable=True)
    communication_version: Mapped[str | None] = mapped_column(String(40), nullable=True)
    #: What was last written: '<status>:<fingerprint of the resource>'.
    communication_written: Mapped[str | None] = mapped_column(String(40), nullable=True)

    __table_args__ = (
        Index("ix_paging_messages_due", "status", "next_attempt_at"),
        Index("ux_paging_messages_page_seq", "page_id", "seq", unique=True),
    )

    @property
    def message_status(self) -> MessageStatus:
        return MessageStatus(self.status)

    @property
    def message_kind(self) -> MessageKind:
        return MessageKind(self.kind)
