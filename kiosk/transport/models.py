"""Patient transport's own table: the jobs the scheduler raised because nobody accepted them within
their target (kiosk/transport/escalation.py). Operational state only: the job itself is a Task on the
FHIR server; a row names it by id, with the places and priority to show without asking the server
(no patient data). The dispatcher's page of an escalation is noted here too: its page id in the paging
outbox, or why nobody was paged."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kiosk.db import Base
from kiosk.scheduler.models import UtcDateTime


class TransportEscalation(Base):
    __tablename__ = "transport_escalations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: The Task's id on the FHIR server: raised once while it waits.
    task_id: Mapped[str] = mapped_column(String(64), unique=True)
    unit_id: Mapped[str] = mapped_column(String(64), index=True)
    priority: Mapped[str] = mapped_column(String(10))
    origin: Mapped[str] = mapped_column(String(120))
    destination: Mapped[str] = mapped_column(String(120))
    due_by: Mapped[datetime] = mapped_column(UtcDateTime())
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime())
    #: When the job stopped waiting (accepted, cancelled, gone), and which of these.
    cleared_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    cleared_why: Mapped[str | None] = mapped_column(String(40))
    #: How many times the job was raised (raised, cleared, raised again): each raise pages once, keyed by
    #: the Task id and this number.
    raised_count: Mapped[int] = mapped_column(Integer, default=1)
    #: The dispatcher's page of this raise (paging's Page id), once written.
    page_id: Mapped[int | None] = mapped_column(Integer)
    #: When paging the dispatcher was settled (paged, or nobody to page): until then the scheduler tries.
    dispatched_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    #: What the board says of it: "Transport dispatcher paged: Dana Reyes (pager): sent" or why not.
    dispatch: Mapped[str | None] = mapped_column(Text)
