"""Orders' own tables: the co-signature counts the scheduler keeps for the home screen (one row per
unit, no patient data), the orders providers disagreed with and who on the unit saw them (the
co-signature's and the patient's ids, a staff name, times), the specimen-label prints asked for from an
order (the order's id and the print form's token, so the order can show when its labels printed), and the
order numbers being sent right now (no patient data: a random number and a time)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kiosk.db import Base
from kiosk.scheduler.models import UtcDateTime


class CosignCount(Base):
    __tablename__ = "orders_cosign_counts"

    #: The unit as named in the settings (unit.location).
    unit_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    awaiting: Mapped[int] = mapped_column(Integer)
    past_due: Mapped[int] = mapped_column(Integer)
    counted_at: Mapped[datetime] = mapped_column(UtcDateTime())


class UnitDisagreement(Base):
    """An order its provider disagreed with (and so revoked), as the kiosk found it for a unit: the unit it
    was entered on, or the unit its patient is on now. Kept until someone on that unit marks it seen,
    whatever its age, so that the unit is told every time; each unit marks its own."""

    __tablename__ = "orders_disagreements"

    #: The co-signature Task's id on the FHIR server.
    task_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: The unit as named in the settings (unit.location).
    unit_id: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)
    #: 'Patient/<id>' (for the audit trail's row when it is marked seen).
    patient: Mapped[str | None] = mapped_column(String(100), nullable=True)
    found_at: Mapped[datetime] = mapped_column(UtcDateTime())
    seen_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class LabelPrint(Base):
    __tablename__ = "orders_label_prints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: The ServiceRequest's id on the FHIR server.
    order_id: Mapped[str] = mapped_column(String(64), index=True)
    #: The print form's one-time token: the label print job it made is found by it.
    print_token: Mapped[str] = mapped_column(String(64), unique=True)
    asked_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SendInFlight(Base):
    """An order number whose send to the FHIR server is under way (kiosk/orders/sending.py): the row exists
    for the length of the send only."""

    __tablename__ = "orders_sends_in_flight"

    #: The order number the form carried (one per form shown).
    number: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: The send's own token: it gives back its own claim only (not one taken over after it went stale).
    token: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
