"""Room readiness: the ticks of each bed's checklist. Append-only: the newest row of an item (for a bed
and the patient coming to it) is its state, and the rows before say who ticked or unticked it and when.
Beds and encounters are named by their FHIR ids (no foreign keys: they live on the FHIR server)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kiosk.db import Base
from kiosk.scheduler.models import UtcDateTime


class ReadinessCheck(Base):
    __tablename__ = "readiness_checks"
    __table_args__ = (Index("ix_readiness_checks_bed", "bed_id", "encounter_id", "item_key", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    bed_id: Mapped[str] = mapped_column(String(64))
    #: The patient the bed was being readied for (their encounter's id).
    encounter_id: Mapped[str] = mapped_column(String(64))
    item_key: Mapped[str] = mapped_column(String(40))
    done: Mapped[bool] = mapped_column(Boolean)
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime())
    staff_id: Mapped[str | None] = mapped_column(String(60))
    checked_by: Mapped[str | None] = mapped_column(String(120))
    station: Mapped[str] = mapped_column(String(60))
