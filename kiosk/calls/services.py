"""The call-light log: calls raised (by the nurse-call system, or by the secretary in two taps), paged to
the bed's nurse through paging, answered (at the bedside, or recorded at the kiosk), with their response
times; the open calls as the screen and the bed board show them; the figures per shift.

Only the kiosk's database: beds by reference and name, reasons, times, who answered. No patient data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from kiosk import timeutil
from kiosk.db import Database
from kiosk.nav import BedAssignment, BedMark

from .figures import Answered, Shift
from .models import CallLight, Reason, utcnow
from .settings import CallsSettings

if TYPE_CHECKING:
    from kiosk.paging import PageState


@dataclass(frozen=True)
class NewCall:
    source: str  # nurse-call, kiosk
    external_id: str
    station_id: str
    bed_ref: str
    bed_name: str
    reason: Reason
    at: datetime  # naive UTC
    entered_by: str | None = None


def raise_call(database: Database, call: NewCall) -> tuple[int, bool]:
    """Log a call; (its id, True) when new. The same call again (a nurse-call system's retry) finds the
    first and adds nothing."""
    row = CallLight(source=call.source, external_id=call.external_id, station_id=call.station_id,
                    bed_ref=call.bed_ref, bed_name=call.bed_name, reason=call.reason.value,
                    emergency=call.reason is Reason.EMERGENCY, raised_at=call.at, entered_by=call.entered_by)
    try:
        with database.session() as session:
            session.add(row)
            session.flush()
            return row.id, True
    except IntegrityError:
        existing = find_external(database, call.source, call.external_id)
        if existing is None:
            raise
        return existing, False


def find_external(database: Database, source: str, external_id: str) -> int | None:
    with database.session() as session:
        return session.scalar(select(CallLight.id).where(CallLight.source == source,
                                                         CallLight.external_id == external_id))


def answer(database: Database, call_id: int, how: str, by: str, at: datetime) -> bool:
    """Mark a call answered, once: its response time is kept with it."""
    with database.session() as session:
        call = session.get(CallLight, call_id)
        if call is None or call.answered_at is not None:
            return False
        seconds = max(0, int((at - call.raised_at).total_seconds()))
        return session.execute(
            update(CallLight).where(CallLight.id == call_id, CallLight.answered_at.is_(None))
            .values(answered_at=at, answered_how=how, answered_by=by, response_seconds=seconds)
            .execution_options(synchronize_session=False)).rowcount == 1


def record_page(database: Database, call_id: int, page_id: int | None, to: str, at: datetime) -> None:
    with database.session() as session:
        session.execute(update(CallLight).where(CallLight.id == call_id)
                        .values(page_id=page_id, paged_to=to, paged_at=at).execution_options(synchronize_session=False))


def get(database: Database, call_id: int) -> CallLight | None:
    with database.session() as session:
        return session.get(CallLight, call_id)


def open_calls(database: Database) -> list[CallLight]:
    """Calls not answered yet: emergencies first, then the oldest."""
    with database.session() as session:
        calls = list(session.scalars(select(CallLight).where(CallLight.answered_at.is_(None))))
    return sorted(calls, key=lambda c: (not c.emergency, c.raised_at, c.id))


def answered_since(database: Database, since: datetime, limit: int = 12) -> list[CallLight]:
    with database.session() as session:
        return list(session.scalars(select(CallLight).where(CallLight.answered_at >= since)
                                    .order_by(CallLight.answered_at.desc()).limit(limit)))


def calls_in(database: Database, shift: Shift) -> list[Answered]:
    """The calls raised in a shift, as the figures need them (reason and response time only)."""
    with database.session() as session:
        rows = session.execute(select(CallLight.reason, CallLight.response_seconds)
                               .where(CallLight.raised_at >= _utc(shift.start), CallLight.raised_at < _utc(shift.end)))
        return [Answered(reason, seconds) for reason, seconds in rows]


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


# ---------------------------------------------------------------- what the screens show


@dataclass(frozen=True)
class PageLine:
    """How the page about a call stands, in words."""

    words: str
    state: str  # waiting, acknowledged, called back, cancelled
    timer: str


@dataclass
class CallView:
    id: int
    bed_ref: str
    bed_name: str
    reason: Reason
    emergency: bool
    raised_at: datetime
    minutes: int
    timer: str  # '', 'amber', 'red' (an emergency is red at once)
    source: str
    answered_at: datetime | None = None
    answered_by: str | None = None
    response_minutes: float | None = None
    page: PageLine | None = None
    assigned: list[BedAssignment] = field(default_factory=list)
    #: What the scheduler did about an emergency nobody answered or paged ("Paged automatically: ...",
    #: "No one to page: ...", "Not paged yet: ..."; kiosk/calls/escalation.py).
    auto_page: str | None = None
    #: When an open emergency nobody paged will be paged by the scheduler (naive UTC), until it is.
    pages_itself_at: datetime | None = None

    @property
    def auto_state(self) -> str:
        """'paged', 'nobody' or 'waiting': how the automatic page's line is drawn."""
        words = self.auto_page or ""
        return "paged" if words.startswith("Paged") else "nobody" if words.startswith("No one") else "waiting"

    @property
    def source_words(self) -> str:
        return "nurse call" if self.source == "nurse-call" else "entered at the kiosk"


def page_line(call: CallLight, state: PageState | None) -> PageLine | None:
    """How the call's page stands; an answered call's page is said at its time ("at 14:05"), not counted
    on from now."""
    if state is None:
        return None
    when = f"{state.minutes} min ago"
    if call.answered_at is not None and call.paged_at is not None:
        when = f"at {timeutil.local(call.paged_at.replace(tzinfo=UTC)).strftime('%H:%M')}"
    return PageLine(f"Paged {state.recipient}, {when}: {state.status}", state.status, state.timer)


def call_view(call: CallLight, settings: CallsSettings, now: datetime, page: PageLine | None = None,
              assigned: list[BedAssignment] | None = None, pages_itself_at: datetime | None = None) -> CallView:
    """A call as the screens show it. `pages_itself_at`: when the scheduler pages this emergency if it is
    still unanswered and unpaged (shown only while it is)."""
    end = call.answered_at or now
    minutes = (end - call.raised_at).total_seconds() / 60
    timer = ""
    if call.answered_at is None:
        if call.emergency or minutes >= settings.red_minutes:
            timer = "red"
        elif minutes >= settings.amber_minutes:
            timer = "amber"
    return CallView(id=call.id, bed_ref=call.bed_ref, bed_name=call.bed_name, reason=call.call_reason,
                    emergency=call.emergency, raised_at=call.raised_at, minutes=max(0, int(minutes)), timer=timer,
                    source=call.source, answered_at=call.answered_at, answered_by=call.answered_by,
                    response_minutes=None if call.response_seconds is None else call.response_seconds / 60,
                    page=page, assigned=assigned or [], auto_page=call.auto_page,
                    pages_itself_at=pages_itself_at if call.emergency and call.answered_at is None
                    and call.page_id is None and call.auto_page is None else None)


def marks_for(database: Database, beds: list[str]) -> dict[str, list[BedMark]]:
    """A bell on each bed with a call not answered yet (one query)."""
    if not beds:
        return {}
    with database.session() as session:
        calls = list(session.scalars(select(CallLight).where(CallLight.answered_at.is_(None),
                                                             CallLight.bed_ref.in_(beds))))
    marks: dict[str, list[BedMark]] = {}
    for call in sorted(calls, key=lambda c: (not c.emergency, c.raised_at)):
        label = "EMERGENCY CALL" if call.emergency else f"Call: {call.call_reason.short}"
        marks.setdefault(call.bed_ref, []).append(BedMark("call", label, urgent=call.emergency))
    return marks


@dataclass(frozen=True)
class OpenCount:
    count: int
    emergencies: int
    oldest_minutes: int


def open_count(database: Database, now: datetime | None = None) -> OpenCount:
    calls = open_calls(database)
    if not calls:
        return OpenCount(0, 0, 0)
    now = now or utcnow()
    oldest = min(c.raised_at for c in calls)
    return OpenCount(len(calls), sum(c.emergency for c in calls), int((now - oldest) / timedelta(minutes=1)))
