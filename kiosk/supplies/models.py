"""Supplies tables: counts taken at the kiosk, the checks the scheduler ran, and the reorders each sent.

Counts are append-only: the newest row of an item is its current count, and the history says who
counted what and when. Items are named by their par-levels codes (no foreign keys to configuration).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kiosk.db import Base
from kiosk.scheduler.models import UtcDateTime


class SupplyCount(Base):
    __tablename__ = "supply_counts"
    __table_args__ = (Index("ix_supply_counts_item", "location_code", "item_code", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    location_code: Mapped[str] = mapped_column(String(20))
    item_code: Mapped[str] = mapped_column(String(32))
    quantity: Mapped[int] = mapped_column(Integer)
    counted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    #: The staff member's id and the name shown on screen ("counted by"), when someone was signed in.
    staff_id: Mapped[str | None] = mapped_column(String(60))
    counted_by: Mapped[str | None] = mapped_column(String(120))
    station: Mapped[str] = mapped_column(String(60))


class CheckOutcome:
    SENT = "sent"            # the check ran and every reorder due is on the server
    NOTHING_DUE = "nothing-due"
    NOT_SENT = "not-sent"    # reorders were due but the server does not take them
    FAILED = "failed"        # the server could not be reached or refused the reorders
    UNKNOWN = "unknown"      # a write's answer was lost and the server could not be read again


class SupplyCheck(Base):
    __tablename__ = "supply_checks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    finished_at: Mapped[datetime] = mapped_column(UtcDateTime())
    trigger: Mapped[str] = mapped_column(String(20))
    requested_by: Mapped[str | None] = mapped_column(String(120))
    outcome: Mapped[str] = mapped_column(String(12))
    summary: Mapped[str] = mapped_column(String(500))
    #: Why reorders were not sent (the server's capability or its error), as a sentence.
    problem: Mapped[str | None] = mapped_column(String(500))
    #: Per-item findings as JSON: [{"location", "item", "count", "state", "action"}...]
    detail: Mapped[str] = mapped_column(Text)


class ReorderResult:
    CREATED = "created"
    EXISTING = "existing"      # already asked for today (a rerun or a second check)
    FOUND = "found"            # on the server, read again after the answer to its write was lost
    NOT_SENT = "not-sent"
    FAILED = "failed"          # not on the server: refused, never sent, or read again and not there
    UNKNOWN = "unknown"        # sent, the answer lost, and the server could not be read again: the next check looks


class SupplyReorder(Base):
    __tablename__ = "supply_reorders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("supply_checks.id"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    location_code: Mapped[str] = mapped_column(String(20))
    item_code: Mapped[str] = mapped_column(String(32))
    quantity: Mapped[int] = mapped_column(Integer)
    priority: Mapped[str] = mapped_column(String(10))
    identifier: Mapped[str] = mapped_column(String(200))
    fhir_id: Mapped[str | None] = mapped_column(String(64))
    result: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
