"""The pages screen as the secretary reads it: each page's steps (paged, paged again, backup, answered)
with the station's local times, its timer (amber when it is due again, red when the backup is due), what
escalation will do next, where its FHIR record stands, and whether the scheduler is running at all.

One FHIR request per render: the open pages' CommunicationRequests in one `_id` search (none on a
server where pages are kept in the kiosk), for the versions the screen's buttons carry as If-Match and
to say when the record was changed elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select

from kiosk import timeutil
from kiosk.db import Database
from kiosk.fhir.change import Seen
from kiosk.fhir.errors import FhirError
from kiosk.fhir.gateway import FhirGateway
from kiosk.fhir.refs import version_of
from kiosk.scheduler.lease import LeaseHolder, current_holder

from .compose import URGENCY_WORDS
from .escalation import BACKUP_PAGED, timetable
from .fhir import record_mode, requests_now
from .models import CLOSED, MessageKind, MessageStatus, Page, PageMessage, PageStatus, utcnow
from .recipients import SYSTEM_WORDS
from .settings import PagingSettings

ANSWER_WORDS = {"link": "Acknowledged", "platform": "Acknowledged on the messaging app",
                "called-back": "Called back", "cancelled": "Cancelled"}


@dataclass(frozen=True)
class StepView:
    at: datetime
    words: str
    status: str  # the message's status in words
    state: str  # ok, wait, problem, answer
    detail: str | None = None  # the technical cause, for IT


@dataclass(frozen=True)
class PageView:
    id: int
    public_id: str
    created_at: datetime
    urgency: str
    urgency_word: str
    recipient_name: str
    recipient_role: str
    about: str  # 'Bed 4W-405A J.M.' or ''
    text: str
    status: PageStatus
    steps: list[StepView]
    minutes: int  # since the page, or until its answer
    timer: str  # '', 'amber', 'red'
    next_words: str | None
    next_at: datetime | None
    escalation_note: str | None
    record: str  # where its FHIR record stands, in words
    record_problem: str | None
    seen: str  # the versions the buttons carry
    source: str

    @property
    def is_open(self) -> bool:
        return self.status is PageStatus.OPEN

    @property
    def can_call_back(self) -> bool:
        return self.status in (PageStatus.OPEN, PageStatus.ACKNOWLEDGED)


@dataclass
class PagesScreen:
    open: list[PageView]
    recent: list[PageView]
    scheduler: LeaseHolder | None
    notes: list[str] = field(default_factory=list)
    fhir_error: str | None = None
    now: datetime = field(default_factory=utcnow)

    @property
    def waiting(self) -> int:
        return len(self.open)


def _about(page: Page) -> str:
    return " ".join(p for p in (f"Bed {page.about_room}" if page.about_room else "", page.about_initials or "") if p)


def _message_step(message: PageMessage) -> StepView:
    status = message.message_status
    how = SYSTEM_WORDS.get(message.telecom_system, message.telecom_system)
    words = f"{message.message_kind.label}: {message.recipient_name}"
    if message.message_kind is MessageKind.BACKUP and message.recipient_role:
        words += f" ({message.recipient_role})"
    words += f", {how}"
    state = {MessageStatus.SENT: "ok", MessageStatus.QUEUED: "wait", MessageStatus.SENDING: "wait",
             MessageStatus.CANCELLED: "quiet"}.get(status, "problem")
    detail = message.last_error if status is not MessageStatus.SENT else None
    when = message.sent_at or message.created_at
    return StepView(when, words, status.label, state, detail)


def _record_words(page: Page, server: dict[str, Any] | None, kept_here: bool) -> tuple[str, str | None]:
    if page.fhir_problem:
        return "Not recorded on the FHIR server", page.fhir_problem
    if page.fhir_request_ref:
        written_status = (page.fhir_request_written or "").partition(":")[0]
        if server is not None and server.get("status") != written_status and not page.fhir_pending:
            return (f"Record {page.fhir_request_ref}", f"Changed on the FHIR server: it now says "
                                                       f"{server.get('status')}.")
        return (f"Recorded on the FHIR server ({written_status or 'active'})"
                + (", updating" if page.fhir_pending else "")), None
    if kept_here:
        return "Kept in the kiosk", None
    return "Waiting to be recorded on the FHIR server", None


def page_view(page: Page, messages: list[PageMessage], settings: PagingSettings, now: datetime,
              server: dict[str, Any] | None = None, kept_here: bool = False) -> PageView:
    steps = [_message_step(m) for m in messages]
    if page.answered_at and page.answered_how:
        by = f" by {page.answered_by}" if page.answered_by and page.answered_how != "cancelled" else ""
        steps.append(StepView(page.answered_at, ANSWER_WORDS.get(page.answered_how, page.answered_how) + by, "",
                              "answer"))
    if page.called_back_at and page.answered_how != "called-back":
        steps.append(StepView(page.called_back_at, f"Called back (recorded by {page.called_back_by})", "", "answer"))
    steps.sort(key=lambda s: s.at)
    table = timetable(page.created_at, page.urgency, settings.escalation)
    open_ = page.page_status is PageStatus.OPEN
    end = now if open_ else (page.answered_at or page.updated_at)
    timer = table.state(now) if open_ else ""
    if open_ and page.escalation_step >= BACKUP_PAGED:
        timer = "red"
    version = version_of(server) if server else page.fhir_request_version
    record, problem = _record_words(page, server, kept_here)
    return PageView(
        id=page.id, public_id=page.public_id, created_at=page.created_at, urgency=page.urgency,
        urgency_word=URGENCY_WORDS.get(page.urgency, page.urgency), recipient_name=page.recipient_name,
        recipient_role=page.recipient_role, about=_about(page), text=page.record_text, status=page.page_status,
        steps=steps, minutes=max(0, int((end - page.created_at).total_seconds() // 60)), timer=timer,
        next_words=table.next_words(page.escalation_step, now) if open_ else None,
        next_at=table.next_at(page.escalation_step, now) if open_ else None,
        escalation_note=page.escalation_note if open_ else None, record=record, record_problem=problem,
        seen=Seen.of([(page.fhir_request_ref or "", version)]).text() if page.fhir_request_ref else "",
        source=page.source,
    )


def load_pages(database: Database, ids: list[int] | None = None, since: datetime | None = None,
               limit: int = 40) -> list[tuple[Page, list[PageMessage]]]:
    """Open pages, and pages answered since `since` (or the pages with these ids), newest first."""
    with database.session() as session:
        query = select(Page).order_by(Page.created_at.desc(), Page.id.desc()).limit(limit)
        if ids is not None:
            query = query.where(Page.id.in_(ids))
        elif since is not None:
            query = query.where(or_(Page.status == PageStatus.OPEN.value, Page.updated_at >= since))
        pages = list(session.scalars(query))
        found = list(session.scalars(select(PageMessage).where(PageMessage.page_id.in_([p.id for p in pages]))
                                     .order_by(PageMessage.seq)))
    by_page: dict[int, list[PageMessage]] = {}
    for message in found:
        by_page.setdefault(message.page_id, []).append(message)
    return [(p, by_page.get(p.id, [])) for p in pages]


def pages_screen(database: Database, gw: FhirGateway, settings: PagingSettings,
                 now: datetime | None = None) -> PagesScreen:
    """Open pages, and the pages answered since the station's midnight."""
    now = now or utcnow()
    midnight = timeutil.local(now).replace(hour=0, minute=0, second=0, microsecond=0)
    loaded = load_pages(database, since=midnight.astimezone(UTC).replace(tzinfo=None))
    mode = record_mode(gw.capabilities)
    refs = [p.fhir_request_ref for p, _ in loaded if p.fhir_request_ref and p.page_status not in CLOSED]
    server: dict[str, dict[str, Any]] = {}
    fhir_error = None
    try:
        server = requests_now(gw, [r for r in refs if r])
    except FhirError as e:
        fhir_error = e.message
    views = [page_view(p, m, settings, now, server.get(p.fhir_request_ref or ""), not mode.request)
             for p, m in loaded]
    open_views = sorted((v for v in views if v.is_open), key=lambda v: (v.urgency != "stat", v.created_at))
    return PagesScreen(open=open_views, recent=[v for v in views if not v.is_open],
                       scheduler=current_holder(database), notes=mode.notes, fhir_error=fhir_error, now=now)


@dataclass(frozen=True)
class WaitingPages:
    """The home screen's line: pages waiting for an answer."""

    count: int
    oldest_minutes: int
    red: int


def waiting_pages(database: Database, settings: PagingSettings, now: datetime | None = None) -> WaitingPages:
    now = now or utcnow()
    with database.session() as session:
        pages = list(session.scalars(select(Page).where(Page.status == PageStatus.OPEN.value)))
    if not pages:
        return WaitingPages(0, 0, 0)
    red = sum(1 for p in pages if p.escalation_step >= BACKUP_PAGED
              or timetable(p.created_at, p.urgency, settings.escalation).state(now) == "red")
    oldest = min(p.created_at for p in pages)
    return WaitingPages(len(pages), int((now - oldest).total_seconds() // 60), red)

