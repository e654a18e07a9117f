"""The call-light log: each call from a bed, who answered and when (operational data: a call names a
bed, never a patient). Every time is naive UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import Boolean, DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kiosk.db import Base


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Reason(StrEnum):
    PAIN = "pain"
    BATHROOM = "bathroom"
    IV_PUMP = "iv-pump"
    BED_ALARM = "bed-alarm"
    HELP = "help"
    EMERGENCY = "emergency"

    @property
    def label(self) -> str:
        return {Reason.PAIN: "Pain", Reason.BATHROOM: "Bathroom", Reason.IV_PUMP: "IV pump alarm",
                Reason.BED_ALARM: "Bed alarm", Reason.HELP: "Needs help", Reason.EMERGENCY: "Emergency"}[self]

    @property
    def short(self) -> str:
        """For a bed tile's mark, which has room for a few words."""
        return {Reason.IV_PUMP: "IV pump", Reason.HELP: "Help"}.get(self, self.label)


class CallLight(Base):
    __tablename__ = "calls_lights"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: Where it came from: the nurse-call system ("nurse-call") or the secretary ("kiosk").
    source: Mapped[str] = mapped_column(String(16))
    #: The nurse-call system's id of the call (its retries find this row); a kiosk call's own id.
    external_id: Mapped[str] = mapped_column(String(64))
    station_id: Mapped[str] = mapped_column(String(64))
    bed_ref: Mapped[str] = mapped_column(String(80))  # 'Location/<id>'
    bed_name: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(16))
    emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    raised_at: Mapped[datetime] = mapped_column(DateTime)
    entered_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    answered_how: Mapped[str | None] = mapped_column(String(16), nullable=True)  # bedside, kiosk
    answered_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    #: Seconds from the call to its answer (kept with the call: the figures are built from it).
    response_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: The page sent about it (paging's page id; no foreign key across workflows).
    page_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    paged_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    paged_to: Mapped[str | None] = mapped_column(String(120), nullable=True)
    #: An emergency nobody answered or paged in time is paged by the scheduler (kiosk/calls/escalation.py):
    #: what its row says of that ("Paged automatically: ...", "No one to page: ...", "Not paged yet: ..."),
    #: and when that was settled (None while the scheduler is to try again).
    auto_page: Mapped[str | None] = mapped_column(String(500), nullable=True)
    auto_paged_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    #: The automatic page's id, kept apart from `page_id` (which a page a person sends later replaces): it
    #: is closed when the call is answered.
    auto_page_id: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (
        Index("ux_calls_lights_external", "source", "external_id", unique=True),
        Index("ix_calls_lights_open", "answered_at", "raised_at"),
        Index("ix_calls_lights_bed", "bed_ref", "answered_at"),
    )

    @property
    def call_reason(self) -> Reason:
        return Reason(self.reason)
