"""Staff accounts, their sign-in sessions, and failed-PIN counters per badge."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kiosk.db import Base


class StaffAccount(Base):
    __tablename__ = "staff_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    badge: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(32))
    #: For providers: the FHIR Practitioner they are ("Practitioner/<id>" or an identifier query).
    practitioner_ref: Mapped[str | None] = mapped_column(String(200), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    pin_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    pin_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BadgeLockout(Base):
    """Failed PINs per badge string, also for badges that match no account (no way to probe badges)."""

    __tablename__ = "badge_lockout"

    #: lockout_key(badge): a hash, never the typed text itself.
    badge: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_failure: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class StaffSession(Base):
    """A sign-in at this kiosk. The browser cookie holds only the random session id."""

    __tablename__ = "staff_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(Integer, index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_activity: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: The page to return to after an unlock (a path with ids only).
    return_to: Mapped[str | None] = mapped_column(String(300), nullable=True)
