"""The shared census: each unit's census as the FHIR server last sent it, and where the change check
stopped. One row per unit, shared by every worker, process and kiosk instance on the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kiosk.db import Base
from kiosk.scheduler.models import UtcDateTime


class UnitCensus(Base):
    __tablename__ = "unit_census"

    #: The unit's Location id on the FHIR server.
    unit_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: Goes up by one at each read from the server: rendered boards are kept per version.
    version: Mapped[int] = mapped_column(Integer, default=0)
    #: The census's resources as the server sent them (kiosk.fhir.census.CensusSource, JSON).
    payload: Mapped[str] = mapped_column(Text)
    #: The references the census holds (JSON list): the change check matches changes against them.
    refs: Mapped[str] = mapped_column(Text)
    read_at: Mapped[datetime] = mapped_column(UtcDateTime())
    #: Goes up each time a change touches the unit; `clean` is the `dirty` the payload was read after.
    #: dirty != clean: the census must be read again before it is shown.
    dirty: Mapped[int] = mapped_column(Integer, default=0)
    clean: Mapped[int] = mapped_column(Integer, default=0)


class CensusCheck(Base):
    """The change check's one row: where it stopped on the server's history, and when it last looked."""

    __tablename__ = "census_check"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The newest change seen, as the server stamped it ('' before the first look).
    since: Mapped[str] = mapped_column(String(40), default="")
    #: The versions seen just before `since` (JSON list of 'Type/id/version').
    seen: Mapped[str] = mapped_column(Text, default="[]")
    checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    #: When a read or a look first found the FHIR server unreachable; None while it answers.
    unreachable_since: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
