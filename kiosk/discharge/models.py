"""Discharge-ready milestones: the ticks of each stay. Append-only: the newest row of a milestone (for an
encounter) is its state, and the rows before say who ticked or unticked it and when. Encounters and beds
are named by their FHIR ids (no foreign keys: they live on the FHIR server)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kiosk.db import Base
from kiosk.scheduler.models import UtcDateTime


class DischargeMilestoneTick(Base):
    __tablename__ = "discharge_milestones"
    __table_args__ = (Index("ix_discharge_milestones_encounter", "encounter_id", "milestone_key", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    encounter_id: Mapped[str] = mapped_column(String(64))
    #: The bed the patient was in when it was ticked.
    bed_id: Mapped[str] = mapped_column(String(64))
    milestone_key: Mapped[str] = mapped_column(String(40))
    done: Mapped[bool] = mapped_column(Boolean)
    ticked_at: Mapped[datetime] = mapped_column(UtcDateTime())
    staff_id: Mapped[str | None] = mapped_column(String(60))
    ticked_by: Mapped[str | None] = mapped_column(String(120))
    station: Mapped[str] = mapped_column(String(60))
