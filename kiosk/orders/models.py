"""Orders' own tables: the co-signature counts the scheduler keeps for the home screen (one row per
unit, no patient data), who on the unit saw that a provider disagreed with an order (the co-signature's id,
a staff name and a time), the specimen-label prints asked for from an order (the order's id and the
print form's token, so the order can show when its labels printed), and the order numbers being sent
right now (no patient data: a random number and a time)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
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
    #: The co-signature Tasks' ids (JSON list) that a provider disagreed with, as last found on the server:
    #: the home screen counts those nobody on the unit has marked seen (DisagreementSeen).
    disagreements: Mapped[str] = mapped_column(Text, default="[]")


class DisagreementSeen(Base):
    """Someone on the unit saw that the provider disagreed with an order (and revoked it)."""

    __tablename__ = "orders_disagreements_seen"

    #: The co-signature Task's id on the FHIR server.
    task_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_by: Mapped[str] = mapped_column(String(120))
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime())


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
