"""Staff accounts, their sign-in sessions, failed-PIN counters per badge and per client, and the
sign-in alerts administrators see."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, Integer, String
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


class SignInClient(Base):
    """Wrong PINs from one client (a station's address) across every badge, as a leaky bucket: `tat` is
    the moment (epoch seconds) the bucket would be empty, `wait_until` when the next attempt may come."""

    __tablename__ = "sign_in_client"

    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    tat: Mapped[float] = mapped_column(Float, default=0.0)
    wait_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SignInAlert(Base):
    """Shown to administrators on the staff page: a client that went past its free wrong PINs."""

    __tablename__ = "sign_in_alert"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client: Mapped[str] = mapped_column(String(64), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: Wrong PINs from the client in this episode, counted from the one that started the delays.
    failures: Mapped[int] = mapped_column(Integer, default=0)
    longest_wait_seconds: Mapped[int] = mapped_column(Integer, default=0)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(120), nullable=True)


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
    #: When the page last reported touches without a request of its own (its heartbeat): believed only
    #: within auth.touch_grace_seconds of `last_activity`, which only real requests move.
    touch_reported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
